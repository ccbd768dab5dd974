/**
 * Reading model inputs out of whatever the user holds: a danfo DataFrame, an array of records,
 * or an object of columns. Goes straight to danfo's row or column arrays: its `loc` and
 * `.tensor` paths take seconds on frames of a few hundred thousand rows. Measured here for
 * 200k rows x 16 columns: this takes 0 ms on a default frame (its column arrays are reused)
 * and 56 ms on a lowMemoryMode frame, against 322 / 462 ms for `df.column(name).values` and
 * 96 ms for `getColumnData` (lowMemoryMode transposes everything).
 */
import type { DataFrame } from 'danfojs-node';
import { flattenValue, recordColumns, toNumber } from '../runtime';
import { KafkalabError, closest } from '../util/errors';

/** Row objects; any object type (e.g. `CarReading[]`) is accepted, not only index-signature records. */
export type Records = ReadonlyArray<object>;
export type ColumnsObject = Record<string, ArrayLike<unknown>>;
/** Anything the models read rows from. */
export type TableLike = DataFrame | Records | ColumnsObject;

export interface Columns {
  columns: Record<string, ArrayLike<unknown>>;
  rows: number;
  names: string[];
}

interface DanfoInternals {
  columns: string[];
  values: unknown[];
  $data?: unknown[];
  $dataIncolumnFormat?: unknown[][];
  config?: { isLowMemoryMode?: boolean };
  shape: [number, number];
}

/** Array.isArray does not narrow readonly arrays out of a union; this does. */
export function isRecords(t: TableLike): t is Records {
  return Array.isArray(t);
}

export function isDataFrame(x: unknown): x is DataFrame {
  return !!x && typeof x === 'object' && !Array.isArray(x) && Array.isArray((x as DanfoInternals).columns) && 'shape' in (x as object) && typeof (x as { addColumn?: unknown }).addColumn === 'function';
}

/** The column names of a table (for records: the first record's fields, nested ones flattened as `a.b`). */
export function columnNames(t: TableLike): string[] {
  if (isDataFrame(t)) return [...(t as unknown as DanfoInternals).columns];
  if (Array.isArray(t)) {
    const names: string[] = [];
    if (t.length) flattenValue(t[0], (name) => void names.push(name));
    return [...new Set(names)];
  }
  return Object.keys(t);
}

export function rowCount(t: TableLike): number {
  if (isDataFrame(t)) return (t as unknown as DanfoInternals).shape[0];
  if (isRecords(t)) return t.length;
  const first = Object.values(t)[0];
  return first ? first.length : 0;
}

/**
 * The named columns of a table, as arrays indexed by row. Names that are absent throw with a
 * "did you mean", unless listed in `optional`. With `numeric`, a column of a frame held by
 * column that has only numbers and missing values comes as a Float64Array (NaN for missing: the
 * same cells to the runtime, which reads such columns without per-cell type tests; scoringColumns
 * reads frames of row arrays).
 */
export function columnsOf(t: TableLike, names: string[], optional: string[] = [], opts: { numeric?: boolean } = {}): Columns {
  const all = columnNames(t);
  const have = new Set(all);
  checkNames(all, names, optional);
  const wanted = names.filter((n) => have.has(n));
  const rows = rowCount(t);
  const columns: Record<string, ArrayLike<unknown>> = {};
  if (isDataFrame(t)) {
    const d = t as unknown as DanfoInternals;
    const byCol = !d.config?.isLowMemoryMode && d.$dataIncolumnFormat && d.$dataIncolumnFormat.length === all.length ? d.$dataIncolumnFormat : undefined;
    if (byCol) {
      for (const n of wanted) columns[n] = opts.numeric ? (floatColumn(byCol[all.indexOf(n)]) ?? byCol[all.indexOf(n)]) : byCol[all.indexOf(n)];
    } else {
      // Row arrays (lowMemoryMode, kafkalab's own frames): one pass, all wanted columns at once.
      const values = (d.$data ?? d.values) as unknown[];
      const idx = wanted.map((n) => all.indexOf(n));
      const out = wanted.map(() => new Array<unknown>(rows));
      const single = all.length === 1 || (values.length > 0 && !Array.isArray(values[0]));
      for (let i = 0; i < rows; i++) {
        const row = values[i] as unknown[];
        for (let j = 0; j < idx.length; j++) out[j][i] = single ? row : row[idx[j]];
      }
      wanted.forEach((n, j) => (columns[n] = out[j]));
    }
  } else if (isRecords(t)) {
    // Flattened and typed as a read of the same records as JSON would be (the runtime's rules).
    const read = recordColumns(t, wanted).columns;
    for (const n of wanted) if (read[n] !== undefined) columns[n] = read[n] as ArrayLike<unknown>;
  } else {
    for (const n of wanted) {
      if (t[n].length !== rows) throw new KafkalabError(`Column "${n}" has ${t[n].length} values, the others ${rows}`, { code: 'BAD_INPUT', hint: 'pass columns of equal length' });
      columns[n] = t[n];
    }
  }
  return { columns, rows, names: all };
}

/** A column of numbers and missing cells as a Float64Array (NaN for missing), or undefined when it holds anything else. */
function floatColumn(c: ArrayLike<unknown>): Float64Array | undefined {
  const out = new Float64Array(c.length);
  for (let i = 0; i < c.length; i++) {
    const v = c[i];
    if (typeof v === 'number') out[i] = v;
    else if (v === null || v === undefined) out[i] = NaN;
    else return undefined;
  }
  return out;
}

/**
 * Cells `at[j]` of rows [from, from + rows) (-1: the rows are the cells) into column j of `buf` (`rows`
 * values each; NaN for missing), in one pass over the rows (a column at a time would visit every
 * row array once per column); `other[j]` set when column j holds anything but numbers and
 * missing cells. One buffer for all columns: one allocation for tens of MB. Nothing follows the
 * loop: V8 optimizes it on the stack (OSR) and would throw that away at untried code after it.
 */
function floatRows(values: unknown[], from: number, rows: number, at: number[], buf: Float64Array, other: Uint8Array): void {
  const k = at.length;
  if (k === 1 && at[0] < 0) {
    for (let i = 0; i < rows; i++) {
      const v = values[from + i];
      if (typeof v === 'number') buf[i] = v;
      else if (v === null || v === undefined) buf[i] = NaN;
      else other[0] = 1;
    }
    return;
  }
  // (Kept apart from the case above: a value that may be a row or a number is boxed.)
  for (let i = 0; i < rows; i++) {
    const row = values[from + i] as unknown[];
    for (let j = 0; j < k; j++) {
      const v = row[at[j]];
      if (typeof v === 'number') buf[j * rows + i] = v;
      else if (v === null || v === undefined) buf[j * rows + i] = NaN;
      else other[j] = 1;
    }
  }
}

function rowCells(values: unknown[], from: number, rows: number, j: number): unknown[] {
  const out = new Array<unknown>(rows);
  for (let i = 0; i < rows; i++) out[i] = j < 0 ? values[from + i] : (values[from + i] as unknown[])[j];
  return out;
}

/** Throws for a name not among `all` (with a "did you mean") unless it is optional. */
function checkNames(all: string[], names: string[], optional: string[]): void {
  const have = new Set(all);
  for (const n of names) {
    if (!have.has(n) && !optional.includes(n)) {
      const near = closest(n, all);
      throw new KafkalabError(`Column "${n}" is not in the data${near ? ` (did you mean "${near}"?)` : ''}`, {
        code: 'UNKNOWN_COLUMN',
        hint: `the model reads ${names.join(', ')}; the data has ${all.slice(0, 30).join(', ')}${all.length > 30 ? ', ...' : ''}`,
      });
    }
  }
}

/** The columns of rows [from, from + rows) of a table (valid until the next call). */
export type ColumnBlocks = (from: number, rows: number) => Record<string, ArrayLike<unknown>>;

/**
 * A table's columns for scoring: a frame of row arrays (lowMemoryMode, kafkalab's own frames) as
 * blocks read on demand into one reused buffer (Scorer.scoreRows asks for a few thousand rows at
 * a time: the rows go from row arrays to columns once, into memory that stays in cache, instead
 * of tens of fresh MB per call); anything else as columnsOf's numeric columns.
 */
export function scoringColumns(t: TableLike, names: string[]): { columns: Record<string, ArrayLike<unknown>> | ColumnBlocks; rows: number } {
  if (isDataFrame(t)) {
    const d = t as unknown as DanfoInternals;
    const byCol = !d.config?.isLowMemoryMode && d.$dataIncolumnFormat && d.$dataIncolumnFormat.length === d.columns.length;
    if (!byCol) {
      const all = columnNames(t);
      checkNames(all, names, []);
      return { columns: rowBlocks(d, all, names.filter((n) => all.includes(n))), rows: rowCount(t) };
    }
  }
  const { columns, rows } = columnsOf(t, names, [], { numeric: true });
  return { columns, rows };
}

/** ColumnBlocks over a frame's row arrays: float columns where a block's cells are numbers or missing, cell arrays otherwise. */
function rowBlocks(d: DanfoInternals, all: string[], wanted: string[]): ColumnBlocks {
  const values = (d.$data ?? d.values) as unknown[];
  const single = all.length === 1 || (values.length > 0 && !Array.isArray(values[0]));
  const at = wanted.map((n) => (single ? -1 : all.indexOf(n)));
  let buf = new Float64Array(0);
  const other = new Uint8Array(at.length);
  return (from, rows) => {
    if (buf.length < rows * at.length) buf = new Float64Array(rows * at.length);
    other.fill(0);
    floatRows(values, from, rows, at, buf, other);
    const out: Record<string, ArrayLike<unknown>> = {};
    wanted.forEach((n, j) => (out[n] = other[j] ? rowCells(values, from, rows, at[j]) : buf.subarray(j * rows, (j + 1) * rows)));
    return out;
  };
}

/** Numeric column as Float64Array (cells read by the runtime's rule; non-numbers become NaN). */
export function numericColumn(t: TableLike, name: string): Float64Array {
  const { columns, rows } = columnsOf(t, [name]);
  const c = columns[name];
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) out[i] = toNumber(c[i]);
  return out;
}
