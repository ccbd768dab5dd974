/**
 * Column access and reduction for plots: figures stay small (a few thousand points per trace)
 * however large the frame, because a notebook holding a 1M-point chart is slow to open.
 */
import { eachValue } from '../frame/dataframe';
import { closest, KafkalabError } from '../util/errors';

/** A danfo DataFrame, or plain columns: `{ speed: [..], ts: Float64Array }`. */
export type Columnar = { columns: string[]; shape?: number[] } | Record<string, ArrayLike<unknown>>;

interface DanfoLike {
  columns: string[];
  shape: number[];
}

function isDanfo(v: unknown): v is DanfoLike {
  return typeof v === 'object' && v !== null && Array.isArray((v as DanfoLike).columns) && Array.isArray((v as DanfoLike).shape);
}

export function columnNames(src: Columnar): string[] {
  return isDanfo(src) ? src.columns.slice() : Object.keys(src);
}

export function hasColumn(src: Columnar, name: string): boolean {
  return columnNames(src).includes(name);
}

export function rowCount(src: Columnar): number {
  if (isDanfo(src)) return src.shape[0];
  const first = Object.values(src)[0] as ArrayLike<unknown> | undefined;
  return first ? first.length : 0;
}

/** The values of one column, without copying where the source allows it. */
export function column(src: Columnar, name: string, plot = 'plot'): ArrayLike<unknown> {
  const names = columnNames(src);
  if (!names.includes(name)) {
    const guess = closest(name, names);
    throw new KafkalabError(`${plot}: no column "${name}"${guess ? ` (did you mean "${guess}"?)` : ''}`, {
      code: 'UNKNOWN_COLUMN',
      hint: `columns are ${names.slice(0, 20).join(', ')}${names.length > 20 ? ', …' : ''}`,
    });
  }
  if (isDanfo(src)) {
    // eachValue reads kafkalab's typed columns when the frame has them, so a plot never makes
    // danfo build its row arrays (seconds and several times the memory for 1M rows).
    const out = new Array<unknown>(src.shape[0]);
    eachValue(src as never, name, (v, i) => (out[i] = v));
    return out;
  }
  return (src as Record<string, ArrayLike<unknown>>)[name];
}

/** Numbers for plotting: Dates become epoch ms, numeric strings parse, everything else NaN. */
export function toNumbers(values: ArrayLike<unknown>): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toNumber(values[i]);
  return out;
}

export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    if (!Number.isNaN(n)) return n;
    const t = Date.parse(v);
    return Number.isNaN(t) ? NaN : t;
  }
  return NaN;
}

/**
 * Whether an x column holds times: Dates, ISO strings, or epoch milliseconds under a time-like
 * name (`_timestamp`, `ts`, `time`…); Plotly then draws a date axis from the ms numbers.
 */
export function looksLikeTime(name: string, values: ArrayLike<unknown>): boolean {
  const sample = firstDefined(values);
  if (sample instanceof Date) return true;
  if (typeof sample === 'string') return /^\d{4}-\d{2}-\d{2}/.test(sample);
  if (typeof sample === 'number' || typeof sample === 'bigint') {
    const n = Number(sample);
    return /(^|_)(ts|time|timestamp|date|datetime)$|timestamp|time$/i.test(name) && n > 1e11 && n < 1e14;
  }
  return false;
}

function firstDefined(values: ArrayLike<unknown>): unknown {
  for (let i = 0; i < Math.min(values.length, 1000); i++) if (values[i] !== null && values[i] !== undefined) return values[i];
  return undefined;
}

export interface Decimated {
  x: Float64Array;
  y: Float64Array;
  /** True when points were dropped. */
  reduced: boolean;
}

/**
 * Min-max decimation: splits the series into buckets of consecutive points and keeps each
 * bucket's lowest and highest point in their original order, so spikes (the anomalies people
 * look for) survive while the trace shrinks to at most `maxPoints`.
 */
export function minMaxDecimate(x: Float64Array, y: Float64Array, maxPoints: number): Decimated {
  const n = y.length;
  if (n <= maxPoints) return { x, y, reduced: false };
  const buckets = Math.max(1, Math.floor(maxPoints / 2));
  const ox: number[] = [];
  const oy: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor((b * n) / buckets);
    const end = Math.floor(((b + 1) * n) / buckets);
    let lo = -1;
    let hi = -1;
    for (let i = start; i < end; i++) {
      const v = y[i];
      if (Number.isNaN(v)) continue;
      if (lo < 0 || v < y[lo]) lo = i;
      if (hi < 0 || v > y[hi]) hi = i;
    }
    if (lo < 0) continue;
    const first = Math.min(lo, hi);
    const second = Math.max(lo, hi);
    ox.push(x[first]);
    oy.push(y[first]);
    if (second !== first) {
      ox.push(x[second]);
      oy.push(y[second]);
    }
  }
  return { x: Float64Array.from(ox), y: Float64Array.from(oy), reduced: true };
}

/** Evenly spaced row indices, at most `max` of them (deterministic, keeps order). */
export function strideIndices(n: number, max: number): Uint32Array {
  if (n <= max) return Uint32Array.from({ length: n }, (_, i) => i);
  const out = new Uint32Array(max);
  for (let i = 0; i < max; i++) out[i] = Math.floor((i * n) / max);
  return out;
}

export function pick<T>(values: ArrayLike<T>, idx: Uint32Array): T[] {
  const out = new Array<T>(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = values[idx[i]];
  return out;
}

export interface Bins {
  /** Bin centres. */
  centers: Float64Array;
  counts: Float64Array;
  width: number;
  min: number;
  max: number;
  /** Values that were NaN or ±Infinity, left out. */
  dropped: number;
}

/** Fixed-width bins over [min, max] of the finite values (computed here, not by Plotly, so 1M values cost 50 bars). */
export function bin(values: ArrayLike<number>, bins: number, range?: [number, number]): Bins {
  let min = Infinity;
  let max = -Infinity;
  let dropped = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      dropped++;
      continue;
    }
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (range) [min, max] = range;
  if (!Number.isFinite(min)) return { centers: new Float64Array(0), counts: new Float64Array(0), width: 0, min: NaN, max: NaN, dropped };
  if (max === min) max = min + (Math.abs(min) || 1) * 1e-6;
  const width = (max - min) / bins;
  const counts = new Float64Array(bins);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v) || v < min || v > max) continue;
    counts[Math.min(bins - 1, Math.floor((v - min) / width))]++;
  }
  const centers = Float64Array.from({ length: bins }, (_, i) => min + (i + 0.5) * width);
  return { centers, counts, width, min, max, dropped };
}

/** The x axis of a time-series chart: the named column, else `_timestamp` when present, else the row number. */
export function xAxis(df: Columnar, name: string | undefined, plot: string): { name: string | undefined; x: Float64Array; isTime: boolean } {
  const xName = name ?? (hasColumn(df, '_timestamp') ? '_timestamp' : undefined);
  const raw = xName ? column(df, xName, plot) : undefined;
  const x = raw ? toNumbers(raw) : Float64Array.from({ length: rowCount(df) }, (_, i) => i);
  return { name: xName, x, isTime: xName !== undefined && raw !== undefined && looksLikeTime(xName, raw) };
}
