/**
 * Frames in and out of the models: which columns are features by default, and the input
 * frame with result columns appended (built from row arrays, the fast way into danfo).
 */
import type { DataFrame } from 'danfojs-node';
import { danfo } from '../frame/dataframe';
import { KafkalabError } from '../util/errors';
import { columnNames, columnsOf, isDataFrame, numericColumn, rowCount, TableLike } from './input';

/** Every numeric column not in `exclude` (numbers in the first 100 rows, nothing else but missing values). */
export function inferFeatures(sample: TableLike, exclude: Set<string>): string[] {
  const names = columnNames(sample);
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
  const extras = extraNames.map((e) => extra[e]);
  const width = names.length + extras.length;
  for (let i = 0; i < rows; i++) {
    // Each row array made at its final size: rows are most of the garbage a large predict() makes.
    const row = new Array<unknown>(width);
    const s = src?.[i];
    if (src) {
      if (Array.isArray(s)) for (let j = 0; j < names.length; j++) row[j] = s[j];
      else row[0] = s;
    } else for (let j = 0; j < names.length; j++) row[j] = cols![names[j]][i];
    for (let e = 0; e < extras.length; e++) row[names.length + e] = extras[e][i];
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

/** Where predict() keeps an input column named `anomaly` (the label), next to its own `anomaly`. */
export const KEPT_LABEL = 'anomaly_label';

/** Whether a table came out of predict(): its `score` and `anomaly` next to the kept label or `top_feature`. */
export function isPredicted(names: readonly string[]): boolean {
  return names.includes('score') && names.includes('anomaly') && (names.includes(KEPT_LABEL) || names.includes('top_feature'));
}

/**
 * The label column to evaluate a predicted table against: `anomaly_label` by default. Its
 * `anomaly` column is the model's own verdict, so evaluating against it would score the model
 * against itself (always F1 = 1): that is refused.
 */
export function predictedLabel(names: readonly string[], label: string | undefined): string {
  const kept = names.includes(KEPT_LABEL);
  if (label === 'anomaly') {
    throw new KafkalabError('Column "anomaly" of a frame from predict() is the model\'s own verdict, not a label', {
      code: 'BAD_OPTION',
      hint: kept ? `predict() kept the input's label as "${KEPT_LABEL}": call evaluate(predicted) or evaluate(predicted, { label: '${KEPT_LABEL}' })` : 'the input had no "anomaly" label; evaluate against a label column of the input: evaluate(predicted, { label: \'<column>\' })',
    });
  }
  if (label !== undefined) return label;
  if (!kept) {
    throw new KafkalabError('This frame from predict() has no label column to evaluate against', {
      code: 'NO_LABEL',
      hint: `predict() keeps an input column "anomaly" as "${KEPT_LABEL}"; name another label column with evaluate(predicted, { label: '<column>' })`,
    });
  }
  return KEPT_LABEL;
}

/** The `score` column of a predicted table, so that evaluating it needs no second model pass. */
export function predictedScores(data: TableLike): Float64Array {
  const scores = numericColumn(data, 'score');
  const bad = scores.findIndex((v) => Number.isNaN(v));
  if (bad >= 0) {
    throw new KafkalabError(`Column "score" holds a non-number at row ${bad}`, { code: 'BAD_INPUT', hint: 'evaluate the frame predict() returned, or pass scores: await ae.score(df)' });
  }
  return scores;
}
