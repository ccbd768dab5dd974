/**
 * Which rows of a table validate a model (and calibrate its threshold) instead of training it.
 * A threshold only carries to new data if its validation errors look like the new data's: a
 * random sample of the training period's rows is almost the training data itself, so its errors
 * are optimistic. Holding out the latest period (`by: 'time'`) prices in drift; holding out whole
 * devices (`by: 'key'`) prices in devices the model never saw.
 */
import { KafkalabError, closest } from '../util/errors';
import { badOption, checkOptions, optionKeys } from '../util/options';
import { mulberry32 } from '../util/prng';

export interface ValidationOptions {
  /** 'time': the latest rows by timestamp; 'key': whole keys (devices); 'random': random rows (seeded). */
  by: 'time' | 'key' | 'random';
  /** Fraction of the rows held out (default 0.2). */
  fraction?: number;
  /** The timestamp column (time: default `_timestamp`, else `ts`, `timestamp`, `time`) or key column (key: default the model's `key`, else `_key`). */
  column?: string;
}

export const VALIDATION_OPTIONS = optionKeys<ValidationOptions>()(['by', 'fraction', 'column']);
export const DEFAULT_VALIDATION_FRACTION = 0.2;
/** Columns tried, in order, as the time of a row. */
export const TIME_COLUMNS = ['_timestamp', 'ts', 'timestamp', 'time'];

/** How validation rows were chosen, as recorded in pipeline.json. */
export interface ValidationInfo {
  by: 'time' | 'key' | 'random' | 'last' | 'training';
  /** Fraction of the rows actually held out. */
  fraction: number;
  rows: number;
  column?: string;
  /** by key: how many keys were held out, of how many. */
  keys?: number;
  totalKeys?: number;
  /** by time: epoch ms of the first and last held-out row. */
  from?: number;
  to?: number;
}

export interface Split {
  train: Uint32Array;
  validation: Uint32Array;
  info: ValidationInfo;
}

export function checkValidationOptions(v: ValidationOptions, what = 'fit()'): void {
  checkOptions(`${what} validation`, v ?? null, VALIDATION_OPTIONS);
  if (!['time', 'key', 'random'].includes(v.by)) throw badOption(what, 'validation.by', v.by, "'time', 'key' or 'random'", "validation: { by: 'time', fraction: 0.2 }");
  if (v.fraction !== undefined && !(typeof v.fraction === 'number' && v.fraction > 0 && v.fraction < 1)) throw badOption(what, 'validation.fraction', v.fraction, 'a fraction in (0, 1)', "validation: { by: 'time', fraction: 0.2 }");
  if (v.column !== undefined && typeof v.column !== 'string') throw badOption(what, 'validation.column', v.column, 'a column name', "validation: { by: 'key', column: 'motor' }");
}

/** A row's time in epoch ms: numbers as they are, Dates, ISO strings; NaN otherwise. */
export function timeOf(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string') return Date.parse(v);
  return NaN;
}

/** The time column of a table, or undefined. */
export function timeColumn(names: string[], explicit?: string): string | undefined {
  if (explicit) return names.includes(explicit) ? explicit : undefined;
  return TIME_COLUMNS.find((c) => names.includes(c));
}

/** The first `n` rows train and the rest validate (Keras's validationSplit). */
export function lastRows(rows: number, nValidation: number): Split {
  const nTrain = rows - nValidation;
  const train = new Uint32Array(nTrain);
  const validation = new Uint32Array(nValidation);
  for (let i = 0; i < nTrain; i++) train[i] = i;
  for (let i = 0; i < nValidation; i++) validation[i] = nTrain + i;
  return { train, validation, info: nValidation ? { by: 'last', fraction: nValidation / rows, rows: nValidation } : { by: 'training', fraction: 0, rows: nTrain } };
}

/**
 * Chooses validation rows; both index lists ascend (row order is kept, so per-key windows and
 * time order stay as they were). `columns` holds the column the mode needs.
 */
export function splitRows(rows: number, v: ValidationOptions, columns: Record<string, ArrayLike<unknown>>, names: string[], seed: number, modelKey?: string): Split {
  const fraction = v.fraction ?? DEFAULT_VALIDATION_FRACTION;
  const target = Math.max(1, Math.round(rows * fraction));
  if (rows < 2) throw new KafkalabError(`Cannot hold out validation rows from ${rows} row(s)`, { code: 'NO_DATA', hint: 'read more data' });
  const held = new Uint8Array(rows);
  const info: ValidationInfo = { by: v.by, fraction: 0, rows: 0 };
  if (v.by === 'random') {
    const order = shuffled(rows, seed);
    for (let i = 0; i < Math.min(target, rows - 1); i++) held[order[i]] = 1;
  } else if (v.by === 'time') {
    const col = timeColumn(names, v.column);
    if (!col) throw missingColumn('time', v.column, names, TIME_COLUMNS);
    const t = Float64Array.from({ length: rows }, (_, i) => timeOf(columns[col][i]));
    const bad = t.findIndex((x) => Number.isNaN(x));
    if (bad >= 0) throw new KafkalabError(`Column "${col}" has no time in row ${bad} (${String(columns[col][bad])})`, { code: 'BAD_INPUT', hint: 'hold out by time on a column of epoch milliseconds, Dates or ISO strings' });
    const order = Uint32Array.from({ length: rows }, (_, i) => i).sort((a, b) => t[a] - t[b] || a - b);
    for (let i = rows - Math.min(target, rows - 1); i < rows; i++) held[order[i]] = 1;
    info.column = col;
  } else {
    const col = v.column ?? (modelKey && names.includes(modelKey) ? modelKey : names.includes('_key') ? '_key' : undefined);
    if (!col || !names.includes(col)) throw missingColumn('key', v.column, names, modelKey ? [modelKey, '_key'] : ['_key']);
    const keyCol = columns[col];
    const counts = new Map<unknown, number>();
    for (let i = 0; i < rows; i++) counts.set(keyCol[i], (counts.get(keyCol[i]) ?? 0) + 1);
    if (counts.size < 2) throw new KafkalabError(`Column "${col}" has ${counts.size} distinct key(s): nothing to hold out by key`, { code: 'BAD_OPTION', hint: "hold out by 'time' or 'random', or read data of more devices" });
    const keys = [...counts.keys()].sort((a, b) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
    const order = shuffled(keys.length, seed);
    const chosen = new Set<unknown>();
    let n = 0;
    // Whole keys until the fraction is reached; at least one key held out and one kept.
    for (const k of order) {
      if (n >= target || chosen.size === keys.length - 1) break;
      chosen.add(keys[k]);
      n += counts.get(keys[k])!;
    }
    for (let i = 0; i < rows; i++) if (chosen.has(keyCol[i])) held[i] = 1;
    info.column = col;
    info.keys = chosen.size;
    info.totalKeys = keys.length;
  }
  let nVal = 0;
  for (let i = 0; i < rows; i++) nVal += held[i];
  const train = new Uint32Array(rows - nVal);
  const validation = new Uint32Array(nVal);
  for (let i = 0, a = 0, b = 0; i < rows; i++) held[i] ? (validation[b++] = i) : (train[a++] = i);
  info.rows = nVal;
  info.fraction = nVal / rows;
  if (v.by === 'time' && nVal) {
    const t = columns[info.column!];
    let lo = Infinity;
    let hi = -Infinity;
    for (const i of validation) {
      const x = timeOf(t[i]);
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    info.from = lo;
    info.to = hi;
  }
  return { train, validation, info };
}

function shuffled(n: number, seed: number): Uint32Array {
  const random = mulberry32((seed ^ 0x5a17) >>> 0);
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const x = order[i];
    order[i] = order[j];
    order[j] = x;
  }
  return order;
}

function missingColumn(kind: 'time' | 'key', explicit: string | undefined, names: string[], tried: string[]): KafkalabError {
  const what = explicit ? `Column "${explicit}"` : `No ${kind} column (tried ${tried.join(', ')})`;
  const guess = explicit ? closest(explicit, names) : undefined;
  return new KafkalabError(explicit ? `${what} is not in the data${guess ? ` (did you mean "${guess}"?)` : ''}` : `${what} to hold out validation rows by ${kind}`, {
    code: 'UNKNOWN_COLUMN',
    hint: kind === 'time' ? "name it: validation: { by: 'time', column: 'ts' }" : "name it: validation: { by: 'key', column: 'motor' }",
  });
}

/** Rows per hour over a time column's span (the observed arrival rate), or undefined. */
export function rowsPerHour(column: ArrayLike<unknown> | undefined, rows: number): number | undefined {
  if (!column || rows < 2) return undefined;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < rows; i++) {
    const t = timeOf(column[i]);
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  return hi > lo ? (rows / (hi - lo)) * 3_600_000 : undefined;
}
