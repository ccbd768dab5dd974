/**
 * The bridge between our typed columns and danfo.js DataFrames. Danfo keeps a frame as an
 * array of row arrays (lowMemoryMode) and rejects typed arrays, so a frame is built once, at
 * the end, straight from the typed columns; reading columns back goes through the row arrays,
 * never through danfo's own column paths (slow on large frames).
 */
import type { DataFrame } from 'danfojs-node';
import { KafkalabError, closest } from '../util/errors';
import { Column, ColumnSet, ColumnType, Schema } from './columns';

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

function danfoDtype(c: Column): string {
  switch (c.type) {
    case 'int': {
      if (c.nullCount > 0) return 'float32';
      const v = c.numbers() as Float64Array;
      for (let i = 0; i < v.length; i++) if (v[i] > 2147483647 || v[i] < -2147483648) return 'float32';
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

/** Builds the danfo frame in one pass over the typed columns (row arrays, no intermediate columns). */
export function toDataFrame(set: ColumnSet): DataFrame {
  const { DataFrame } = danfo();
  const cols = set.columns;
  const names = cols.map((c) => c.name);
  const dtypes = cols.map(danfoDtype);
  const n = set.rows;
  const k = cols.length;
  const rows: unknown[][] = new Array(n);
  for (let i = 0; i < n; i++) rows[i] = new Array(k);
  for (let j = 0; j < k; j++) {
    const c = cols[j];
    const nums = c.numbers();
    if (nums && c.type !== 'bool') {
      for (let i = 0; i < n; i++) rows[i][j] = nums[i];
    } else if (nums) {
      for (let i = 0; i < n; i++) rows[i][j] = c.get(i);
    } else {
      const s = c.strings() as (string | null)[];
      for (let i = 0; i < n; i++) rows[i][j] = s[i];
    }
  }
  return new DataFrame(rows as never, { columns: names, dtypes, config: { lowMemoryMode: true } } as never);
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
  for (const r of records) {
    writeFlat(set, r, '');
    set.endRow();
  }
  return { df: toDataFrame(set), schema: set.schema(), warnings: set.warnings };
}

function writeFlat(set: ColumnSet, obj: Record<string, unknown>, prefix: string): void {
  for (const k in obj) {
    const v = obj[k];
    const name = prefix === '' ? k : `${prefix}.${k}`;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)) {
      writeFlat(set, v as Record<string, unknown>, name);
      continue;
    }
    const col = set.column(name);
    if (col.length !== set.rows) continue;
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) col.pushNull();
    else if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') set.warn(col.push(v));
    else if (v instanceof Date) col.push(v.getTime());
    else set.warn(col.push(JSON.stringify(v)));
  }
}

/** Row objects of a frame (NaN in numeric columns becomes null). */
export function recordsOf(df: DataFrame): Record<string, unknown>[] {
  const names = df.columns as string[];
  const values = rowsOf(df);
  const out: Record<string, unknown>[] = new Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const row = values[i];
    const o: Record<string, unknown> = {};
    for (let j = 0; j < names.length; j++) {
      const v = row[j];
      o[names[j]] = typeof v === 'number' && Number.isNaN(v) ? null : v;
    }
    out[i] = o;
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
 * Numeric columns as typed arrays, fast (one pass over the row arrays). Nulls become NaN;
 * booleans 0/1; strings that are not numbers throw, since they cannot be features.
 */
export function columnsOf<T extends 'float32' | 'float64' = 'float32'>(
  df: DataFrame,
  names: string[],
  opts: { dtype?: T } = {},
): Record<string, T extends 'float64' ? Float64Array : Float32Array> {
  const rows = rowsOf(df);
  const Ctor = opts.dtype === 'float64' ? Float64Array : Float32Array;
  const out: Record<string, Float32Array | Float64Array> = {};
  for (const name of names) {
    const j = columnIndex(df, name);
    const arr = new Ctor(rows.length);
    for (let i = 0; i < rows.length; i++) arr[i] = toNumber(rows[i][j], name, i);
    out[name] = arr;
  }
  return out as Record<string, T extends 'float64' ? Float64Array : Float32Array>;
}

/** Row-major matrix of the given columns, the layout `tf.tensor2d(data, [rows, cols])` takes. */
export function matrixOf(df: DataFrame, names: string[], opts: { dtype?: 'float32' | 'float64' } = {}) {
  const rows = rowsOf(df);
  const idx = names.map((n) => columnIndex(df, n));
  const k = idx.length;
  const data = opts.dtype === 'float64' ? new Float64Array(rows.length * k) : new Float32Array(rows.length * k);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    for (let j = 0; j < k; j++) data[i * k + j] = toNumber(row[idx[j]], names[j], i);
  }
  return { data, rows: rows.length, cols: k, columns: names.slice() };
}

function toNumber(v: unknown, name: string, i: number): number {
  if (typeof v === 'number') return v;
  if (v === null || v === undefined) return NaN;
  if (typeof v === 'boolean') return v ? 1 : 0;
  const n = Number(v);
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(n)) return n;
  throw new KafkalabError(`Column "${name}" is not numeric (row ${i} holds ${JSON.stringify(v)})`, {
    code: 'NOT_NUMERIC',
    hint: 'pick numeric columns, or map the values to numbers first',
  });
}

export interface ColumnStats {
  column: string;
  dtype: string;
  count: number;
  nulls: number;
  mean?: number;
  std?: number;
  min?: number | string;
  q25?: number;
  median?: number;
  q75?: number;
  max?: number | string;
  /** String columns: number of distinct values, the most frequent one and its count. */
  unique?: number;
  top?: string;
  freq?: number;
}

/** pandas-style `describe()` per column, computed in one pass per column over the row arrays. */
export function describeColumns(df: DataFrame): ColumnStats[] {
  const names = df.columns as string[];
  const dtypes = df.dtypes as string[];
  const rows = rowsOf(df);
  return names.map((column, j) => {
    const dtype = dtypes[j];
    let nulls = 0;
    let numeric = dtype !== 'string';
    const nums = new Float64Array(rows.length);
    let n = 0;
    for (let i = 0; i < rows.length; i++) {
      const v = rows[i][j];
      if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) nulls++;
      else if (typeof v === 'number') nums[n++] = v;
      else if (typeof v === 'boolean') nums[n++] = v ? 1 : 0;
      else numeric = false;
    }
    const count = rows.length - nulls;
    if (!numeric) return stringStats(column, dtype, rows, j, count, nulls);
    const s: ColumnStats = { column, dtype, count, nulls };
    if (n === 0) return s;
    const sorted = nums.subarray(0, n).sort();
    let mean = 0;
    for (let i = 0; i < n; i++) mean += (sorted[i] - mean) / (i + 1);
    let m2 = 0;
    for (let i = 0; i < n; i++) m2 += (sorted[i] - mean) ** 2;
    s.mean = mean;
    s.std = n > 1 ? Math.sqrt(m2 / (n - 1)) : NaN;
    s.min = sorted[0];
    s.q25 = quantile(sorted, 0.25);
    s.median = quantile(sorted, 0.5);
    s.q75 = quantile(sorted, 0.75);
    s.max = sorted[n - 1];
    return s;
  });
}

function stringStats(column: string, dtype: string, rows: unknown[][], j: number, count: number, nulls: number): ColumnStats {
  const freq = new Map<string, number>();
  let min: string | undefined;
  let max: string | undefined;
  for (const row of rows) {
    const v = row[j];
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) continue;
    const s = String(v);
    freq.set(s, (freq.get(s) ?? 0) + 1);
    if (min === undefined || s < min) min = s;
    if (max === undefined || s > max) max = s;
  }
  let top: string | undefined;
  let topN = 0;
  for (const [s, c] of freq) if (c > topN) [top, topN] = [s, c];
  return { column, dtype, count, nulls, unique: freq.size, top, freq: top === undefined ? undefined : topN, min, max };
}

/** Linear interpolation between closest ranks, as pandas does by default. */
function quantile(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export type { ColumnType };
