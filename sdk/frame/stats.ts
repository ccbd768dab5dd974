/**
 * Column statistics (pandas' describe) computed by kafkalab, since danfo's describe() takes
 * tens of seconds on large frames. Reads the typed columns of a frame when it still has them.
 */
import type { DataFrame } from 'danfojs-node';
import { eachValue, rowCount } from './dataframe';

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

/** pandas-style `describe()` per column, from the typed columns when the frame has them. */
export function describeColumns(df: DataFrame): ColumnStats[] {
  const names = df.columns as string[];
  const dtypes = df.dtypes as string[];
  const total = rowCount(df);
  return names.map((column, j) => {
    const dtype = dtypes[j];
    let nulls = 0;
    let numeric = dtype !== 'string';
    const nums = new Float64Array(numeric ? total : 0);
    let n = 0;
    if (numeric) {
      eachValue(df, column, (v) => {
        if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) nulls++;
        else if (typeof v === 'number') nums[n++] = v;
        else if (typeof v === 'boolean') nums[n++] = v ? 1 : 0;
        else numeric = false;
      });
    }
    if (!numeric) return stringStats(df, column, dtype);
    const s: ColumnStats = { column, dtype, count: total - nulls, nulls };
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

function stringStats(df: DataFrame, column: string, dtype: string): ColumnStats {
  const freq = new Map<string, number>();
  let min: string | undefined;
  let max: string | undefined;
  let nulls = 0;
  const total = eachValue(df, column, (v) => {
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) {
      nulls++;
      return;
    }
    const s = String(v);
    freq.set(s, (freq.get(s) ?? 0) + 1);
    if (min === undefined || s < min) min = s;
    if (max === undefined || s > max) max = s;
  });
  let top: string | undefined;
  let topN = 0;
  for (const [s, c] of freq) if (c > topN) [top, topN] = [s, c];
  return { column, dtype, count: total - nulls, nulls, unique: freq.size, top, freq: top === undefined ? undefined : topN, min, max };
}

/** Linear interpolation between closest ranks, as pandas does by default. */
function quantile(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

