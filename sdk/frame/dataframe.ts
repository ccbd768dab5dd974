/**
 * The bridge between our typed columns and danfo.js DataFrames. Danfo keeps a frame as an
 * array of row arrays (lowMemoryMode) and rejects typed arrays, so a frame is built once, at
 * the end, straight from the typed columns; reading columns back goes through the row arrays,
 * never through danfo's own column paths (slow on large frames).
 */
import type { DataFrame } from 'danfojs-node';
import { KafkalabError, closest } from '../util/errors';
import { Column, ColumnSet, ColumnType, Schema } from '../runtime/decode/columns';
import { toNumber as cellNumber } from '../runtime/decode/values';

export type { DataFrame };

let danfoModule: typeof import('danfojs-node') | undefined;
/** danfo loads TensorFlow.js; load it on first use so that importing kafkalab stays fast. */
export function danfo(): typeof import('danfojs-node') {
  return (danfoModule ??= require('danfojs-node') as typeof import('danfojs-node'));
}

/** What a read saw besides the rows: attached to the frame as the non-enumerable `df.attrs.report`. */
export interface ReadReport {
  topic: string;
  /** Records fetched in the requested range (after `limit`). */
  records: number;
  /** Rows in the frame. */
  rows: number;
  /** Records kept out of the frame because they could not be decoded. */
  failed: number;
  /** Failure count per reason, e.g. `{ 'invalid JSON': 3 }`. */
  failures: Record<string, number>;
  /** The first few failures, to go and look at them. */
  samples: { partition: number; offset: number; reason: string }[];
  /** Schema notes, e.g. a column that had mixed types and was kept as strings. */
  warnings: string[];
  /** Offsets read per partition, `from` inclusive, `to` exclusive. */
  partitions: { partition: number; from: number; to: number }[];
  /** Confluent-framed records: the schemas they were written with (id, type, name) and the records of each. */
  schemas?: { id: number; type: 'AVRO' | 'PROTOBUF' | 'JSON'; name?: string; records: number }[];
  elapsedMs: number;
}

export interface FrameAttrs {
  topic?: string;
  report?: ReadReport;
  [k: string]: unknown;
}

/** The `attrs` of a frame (pandas' `df.attrs`), created on first use. */
export function attrsOf(df: DataFrame): FrameAttrs {
  const holder = df as unknown as { attrs?: FrameAttrs };
  if (!holder.attrs) Object.defineProperty(df, 'attrs', { value: {}, enumerable: false, writable: true, configurable: true });
  return holder.attrs as FrameAttrs;
}

export function readReport(df: DataFrame): ReadReport | undefined {
  return (df as unknown as { attrs?: FrameAttrs }).attrs?.report;
}

function widen(a: ColumnType, b: ColumnType): ColumnType {
  if (a === b || b === 'null') return a;
  if (a === 'null') return b;
  if ((a === 'int' && b === 'float') || (a === 'float' && b === 'int')) return 'float';
  return 'string';
}

function danfoDtype(type: ColumnType, parts: (Column | undefined)[]): string {
  switch (type) {
    case 'int': {
      for (const c of parts) {
        if (!c || c.nullCount > 0) return 'float32';
        const v = c.numbers() as Float64Array;
        for (let i = 0; i < v.length; i++) if (v[i] > 2147483647 || v[i] < -2147483648) return 'float32';
      }
      return 'int32';
    }
    case 'float':
    case 'null':
      return 'float32';
    case 'bool':
      return 'boolean';
    default:
      return 'string';
  }
}

/**
 * Builds the danfo frame in one pass over the typed columns (row arrays, no intermediate
 * columns). Several column sets (one per worker thread) become one frame, one after the other,
 * with their schemas unified the same way inference widens types.
 */
export function toDataFrame(sets: ColumnSet | ColumnSet[], warnings: string[] = []): DataFrame {
  const { DataFrame } = danfo();
  const list = Array.isArray(sets) ? sets : [sets];
  const names: string[] = [];
  const types = new Map<string, ColumnType>();
  for (const set of list) {
    for (const c of set.columns) {
      const had = types.get(c.name);
      if (had === undefined) {
        names.push(c.name);
        types.set(c.name, c.type);
      } else {
        const t = widen(had, c.type);
        if (t === 'string' && had !== 'string' && had !== 'null') warnings.push(`column "${c.name}" has mixed types (${had} and ${c.type}); kept as strings`);
        types.set(c.name, t);
      }
    }
  }
  const dtypes = names.map((name) => danfoDtype(types.get(name) as ColumnType, list.map((set) => set.get(name))));
  const total = list.reduce((n, set) => n + set.rows, 0);
  const materialize = () => rowArrays(list, names, types, total);
  if (total < LAZY_ROWS) {
    return new DataFrame(materialize() as never, { columns: names, dtypes, config: { lowMemoryMode: true } } as never);
  }
  // Large frames: danfo's row arrays (boxed numbers, one array per row) cost seconds and
  // several times the column memory, so they are built on first use by a danfo method, while
  // our column helpers (columnsOf, matrixOf, describeColumns, recordsOf) read the typed columns.
  const df = new DataFrame([] as never, { columns: names, dtypes, config: { lowMemoryMode: true } } as never) as DataFrame & Record<string, unknown>;
  const store: ColumnStore = { sets: list, names, types, rows: total };
  const index: number[] = new Array(total);
  for (let i = 0; i < total; i++) index[i] = i;
  (df as unknown as { $index: number[] }).$index = index;
  const settle = (rows: unknown[][]) => {
    Object.defineProperty(df, '$data', { value: rows, writable: true, configurable: true, enumerable: true });
    delete (df as Record<string, unknown>).shape;
    store.sets = [];
    Object.defineProperty(df, COLUMN_STORE, { value: undefined, configurable: true });
  };
  Object.defineProperty(df, '$data', {
    configurable: true,
    enumerable: true,
    get() {
      const rows = materialize();
      settle(rows);
      return rows;
    },
    set(v: unknown[][]) {
      settle(v);
    },
  });
  Object.defineProperty(df, 'shape', { configurable: true, get: () => [total, names.length] });
  Object.defineProperty(df, COLUMN_STORE, { value: store, configurable: true, enumerable: false });
  return df;
}

const LAZY_ROWS = 50_000;
const COLUMN_STORE = Symbol('kafkalab:columns');

interface ColumnStore {
  sets: ColumnSet[];
  names: string[];
  types: Map<string, ColumnType>;
  rows: number;
}

/** The typed columns behind a frame whose danfo row arrays were not built yet. */
function storeOf(df: DataFrame): ColumnStore | undefined {
  return (df as unknown as Record<symbol, ColumnStore | undefined>)[COLUMN_STORE];
}

/** Whether danfo's row arrays of this frame exist yet (they are built on first use). */
export function isMaterialized(df: DataFrame): boolean {
  return storeOf(df) === undefined;
}

/** Values of one column from the typed store, numeric columns as numbers (NaN for null). */
function storeColumn(store: ColumnStore, name: string, out: (v: unknown, i: number) => void): void {
  const type = store.types.get(name) as ColumnType;
  let base = 0;
  for (const set of store.sets) {
    const c = set.get(name);
    const n = set.rows;
    const nums = c?.numbers();
    if (!c) for (let i = 0; i < n; i++) out(null, base + i);
    else if (nums && type !== 'string' && c.type !== 'bool') for (let i = 0; i < n; i++) out(nums[i], base + i);
    else for (let i = 0; i < n; i++) {
      const v = c.get(i);
      out(type === 'string' && v !== null ? String(v) : v, base + i);
    }
    base += n;
  }
}

function rowArrays(list: ColumnSet[], names: string[], types: Map<string, ColumnType>, total: number): unknown[][] {
  const k = names.length;
  const rows: unknown[][] = new Array(total);
  for (let i = 0; i < total; i++) rows[i] = new Array(k);
  let base = 0;
  for (const set of list) {
    const n = set.rows;
    for (let j = 0; j < k; j++) {
      const type = types.get(names[j]) as ColumnType;
      const c = set.get(names[j]);
      const numeric = type === 'int' || type === 'float' || type === 'null';
      const nums = c?.numbers();
      if (!c) {
        const fill = numeric ? NaN : null;
        for (let i = 0; i < n; i++) rows[base + i][j] = fill;
      } else if (nums && numeric) {
        for (let i = 0; i < n; i++) rows[base + i][j] = nums[i];
      } else if (type === 'string' && c.type !== 'string') {
        for (let i = 0; i < n; i++) {
          const v = c.get(i);
          rows[base + i][j] = v === null ? null : String(v);
        }
      } else if (nums) {
        for (let i = 0; i < n; i++) rows[base + i][j] = c.get(i);
      } else {
        const s = c.strings() as (string | null)[];
        for (let i = 0; i < n; i++) rows[base + i][j] = s[i];
      }
    }
    base += n;
  }
  return rows;
}

/** A frame from row objects (nested objects flattened as `a.b`), with the same inference as reads. */
export function frameFromRecords(records: Record<string, unknown>[], columnOrder?: string[]): DataFrame {
  return buildFrame(records, columnOrder?.map((name) => ({ name, type: 'null' as const }))).df;
}

/**
 * Like frameFromRecords, starting from a previous batch's schema so that the columns and their
 * types stay the same from batch to batch (types only widen); returns the schema to pass next time.
 */
export function buildFrame(records: Record<string, unknown>[], schema?: Schema): { df: DataFrame; schema: Schema; warnings: string[] } {
  const set = new ColumnSet(schema, Math.max(16, records.length));
  records.forEach((r, i) => {
    const failed = set.addValue(r);
    if (failed) set.warn(`row ${i} left out: ${failed}`);
  });
  return { df: toDataFrame(set), schema: set.schema(), warnings: set.warnings };
}

/** Calls fn for every value of a column, from the typed columns when the frame has them. */
export function eachValue(df: DataFrame, name: string, fn: (v: unknown, i: number) => void): number {
  const j = columnIndex(df, name);
  const store = storeOf(df);
  if (store) {
    storeColumn(store, name, fn);
    return store.rows;
  }
  const rows = rowsOf(df);
  for (let i = 0; i < rows.length; i++) fn(rows[i][j], i);
  return rows.length;
}

export function rowCount(df: DataFrame): number {
  return (df.shape as number[])[0];
}

/** Bytes the frame's values take as plain columns: 8 per number, UTF-8 length per string. */
export function columnBytes(df: DataFrame): number {
  let bytes = 0;
  for (const name of df.columns as string[]) {
    eachValue(df, name, (v) => {
      bytes += typeof v === 'string' ? Buffer.byteLength(v) : v === null ? 0 : 8;
    });
  }
  return bytes;
}

/** Row objects of a frame (NaN in numeric columns becomes null). */
export function recordsOf(df: DataFrame): Record<string, unknown>[] {
  const names = df.columns as string[];
  const out: Record<string, unknown>[] = new Array(rowCount(df));
  for (let i = 0; i < out.length; i++) out[i] = {};
  for (const name of names) {
    eachValue(df, name, (v, i) => {
      out[i][name] = typeof v === 'number' && Number.isNaN(v) ? null : v;
    });
  }
  return out;
}

export function rowsOf(df: DataFrame): unknown[][] {
  const values = df.values as unknown as unknown[];
  if (values.length && !Array.isArray(values[0])) return values.map((v) => [v]);
  return values as unknown[][];
}

function columnIndex(df: DataFrame, name: string): number {
  const names = df.columns as string[];
  const j = names.indexOf(name);
  if (j < 0) {
    const near = closest(name, names);
    throw new KafkalabError(`Column "${name}" is not in the frame${near ? ` (did you mean "${near}"?)` : ''}`, {
      code: 'UNKNOWN_COLUMN',
      hint: `columns are ${names.slice(0, 30).join(', ')}${names.length > 30 ? ', ...' : ''}`,
    });
  }
  return j;
}

/**
 * Numeric columns as typed arrays, fast (straight from the typed columns of a read, else one
 * pass over danfo's rows). Nulls become NaN; booleans 0/1; strings that are not numbers throw.
 */
export function columnsOf<T extends 'float32' | 'float64' = 'float32'>(
  df: DataFrame,
  names: string[],
  opts: { dtype?: T } = {},
): Record<string, T extends 'float64' ? Float64Array : Float32Array> {
  const Ctor = opts.dtype === 'float64' ? Float64Array : Float32Array;
  const out: Record<string, Float32Array | Float64Array> = {};
  const n = rowCount(df);
  for (const name of names) {
    const arr = new Ctor(n);
    eachValue(df, name, (v, i) => {
      arr[i] = typeof v === 'number' ? v : toNumber(v, name, i);
    });
    out[name] = arr;
  }
  return out as Record<string, T extends 'float64' ? Float64Array : Float32Array>;
}

/** Row-major matrix of the given columns, the layout `tf.tensor2d(data, [rows, cols])` takes. */
export function matrixOf(df: DataFrame, names: string[], opts: { dtype?: 'float32' | 'float64' } = {}) {
  const n = rowCount(df);
  const k = names.length;
  const data = opts.dtype === 'float64' ? new Float64Array(n * k) : new Float32Array(n * k);
  names.forEach((name, j) => {
    eachValue(df, name, (v, i) => {
      data[i * k + j] = typeof v === 'number' ? v : toNumber(v, name, i);
    });
  });
  return { data, rows: n, cols: k, columns: names.slice() };
}

/** A cell as a number by the runtime's rule (values.ts); text that holds no number throws. */
function toNumber(v: unknown, name: string, i: number): number {
  if (typeof v === 'number') return v;
  const n = cellNumber(v);
  if (!Number.isNaN(n) || v === null || v === undefined || (typeof v === 'string' && v.trim() === '')) return n;
  throw new KafkalabError(`Column "${name}" is not numeric (row ${i} holds ${JSON.stringify(v)})`, {
    code: 'NOT_NUMERIC',
    hint: 'pick numeric columns, or map the values to numbers first',
  });
}

export { describeColumns, type ColumnStats } from './stats';

export type { ColumnType };
