/**
 * Frames in and out of the models: which columns are features by default, and the input
 * frame with result columns appended (built from row arrays, the fast way into danfo).
 */
import type { DataFrame } from 'danfojs-node';
import { danfo } from '../frame/dataframe';
import { CAR_FEATURES } from '../ingest/simulator';
import { columnNames, columnsOf, isDataFrame, rowCount, TableLike } from './input';

/** CAR_FEATURES when the data holds all of them, else every numeric column not in `exclude`. */
export function inferFeatures(sample: TableLike, exclude: Set<string>): string[] {
  const names = columnNames(sample);
  if (CAR_FEATURES.every((f) => names.includes(f))) return [...CAR_FEATURES];
  const rows = Math.min(rowCount(sample), 100);
  const candidates = names.filter((n) => !exclude.has(n));
  const { columns } = columnsOf(sample, candidates);
  return candidates.filter((n) => {
    let numeric = false;
    for (let i = 0; i < rows; i++) {
      const v = columns[n][i];
      if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) continue;
      if (typeof v !== 'number') return false;
      numeric = true;
    }
    return numeric;
  });
}

/**
 * The input's rows with extra columns appended, as a danfo DataFrame. An input column with the
 * name of an extra one is kept, renamed: `anomaly` (a label) to `anomaly_label`, others to `<name>_input`.
 */
export function frameWithColumns(data: TableLike, extra: Record<string, ArrayLike<unknown>>, dtypes: Record<string, string> = {}): DataFrame {
  const names = columnNames(data);
  const rows = rowCount(data);
  const extraNames = Object.keys(extra);
  const out: unknown[][] = new Array(rows);
  const src = isDataFrame(data) ? ((data as unknown as { $data?: unknown[][]; values: unknown[][] }).$data ?? (data.values as unknown[][])) : undefined;
  const cols = src ? undefined : columnsOf(data, names).columns;
  for (let i = 0; i < rows; i++) {
    let row: unknown[];
    if (src) row = Array.isArray(src[i]) ? (src[i] as unknown[]).slice() : [src[i]];
    else {
      row = new Array(names.length);
      for (let j = 0; j < names.length; j++) row[j] = cols![names[j]][i];
    }
    for (const e of extraNames) row.push(extra[e][i]);
    out[i] = row;
  }
  const inDtypes = isDataFrame(data) ? ((data as unknown as { dtypes: string[] }).dtypes as string[]) : undefined;
  const renamed = names.map((n) => (extraNames.includes(n) ? (n === 'anomaly' ? 'anomaly_label' : `${n}_input`) : n));
  const allNames = [...renamed, ...extraNames];
  const { DataFrame } = danfo();
  const config: Record<string, unknown> = { columns: allNames, config: { lowMemoryMode: true } };
  if (inDtypes && inDtypes.length === names.length) config.dtypes = [...inDtypes, ...extraNames.map((e) => dtypes[e] ?? 'string')];
  return new DataFrame(out as never, config as never);
}
