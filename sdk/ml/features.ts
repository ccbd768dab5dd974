/**
 * Windowed features as a notebook helper: the rolling statistics the Autoencoder computes
 * internally (and the exported app computes online), added as columns to look at and plot.
 */
import type { DataFrame } from 'danfojs-node';
import { closest, KafkalabError } from '../util/errors';
import { badOption, checkOptions, optionKeys } from '../util/options';
import { danfo } from '../frame/dataframe';
import { columnNames, columnsOf, rowCount, TableLike } from './input';
import { featureMatrix, PIPELINE_VERSION, WINDOW_STATS, windowFeatureNames, type PipelineSpec, type WindowFeatureSpec, type WindowStat } from '../runtime';

export type { WindowFeatureSpec, WindowStat };

/** Shorthand: rolling('engine_vibration_amplitude', 10, ['mean', 'std', 'peak']). */
export function rolling(field: string, size: number, stats: WindowStat[] = ['mean', 'std', 'peak']): WindowFeatureSpec {
  return { field, size, stats };
}

export const WINDOW_OPTIONS = optionKeys<WindowFeatureSpec>()(['field', 'size', 'stats']);

const WINDOW_EXAMPLE = "{ field: 'engine_vibration_amplitude', size: 10, stats: ['mean', 'std', 'peak'] }";

export function checkWindows(windows: WindowFeatureSpec[]): WindowFeatureSpec[] {
  if (!Array.isArray(windows)) throw badOption('windows', 'windows', windows, 'an array of windows', `windows: [${WINDOW_EXAMPLE}]`);
  for (const w of windows) {
    checkOptions('a window', w ?? null, WINDOW_OPTIONS);
    if (typeof w.field !== 'string' || !w.field) throw new KafkalabError('A window needs a field', { code: 'BAD_OPTION', hint: `e.g. ${WINDOW_EXAMPLE}` });
    if (!Number.isInteger(w.size) || w.size < 1) throw new KafkalabError(`Window size of "${w.field}" must be a positive integer, got ${w.size}`, { code: 'BAD_OPTION' });
    if (!Array.isArray(w.stats) || !w.stats.length) throw badOption(`the window of "${w.field}"`, 'stats', w.stats, `a non-empty array of ${WINDOW_STATS.join(', ')}`, WINDOW_EXAMPLE);
    for (const s of w.stats) {
      if (!WINDOW_STATS.includes(s)) {
        const near = closest(String(s), WINDOW_STATS);
        throw new KafkalabError(`Unknown window statistic "${s}"${near ? ` (did you mean "${near}"?)` : ''}`, { code: 'BAD_OPTION', hint: `use ${WINDOW_STATS.join(', ')}` });
      }
    }
  }
  const twice = firstDuplicate(windowFeatureNames(windows));
  if (twice) throw new KafkalabError(`Two windows compute "${twice}"`, { code: 'BAD_OPTION', hint: 'list each field, size and statistic once' });
  return windows;
}

/** The first value that occurs more than once. */
export function firstDuplicate(values: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) return v;
    seen.add(v);
  }
  return undefined;
}

/** A pipeline spec that computes only windowed features (shared by the helpers below). */
export function windowSpec(windows: WindowFeatureSpec[], key: string | undefined): PipelineSpec {
  const fields = [...new Set(windows.map((w) => w.field))];
  const features = windowFeatureNames(windows);
  return {
    version: PIPELINE_VERSION,
    key,
    inputs: fields.map((name) => ({ name, fill: NaN })),
    windows,
    features,
    scaler: { kind: 'none', offset: features.map(() => 0), scale: features.map(() => 1) },
    threshold: { value: Infinity, method: 'fixed' },
    model: { format: 'tfjs-layers', path: '', inputSize: features.length, layers: [], activation: 'linear', outputActivation: 'linear' },
    schema: { fields: [] },
  };
}

/**
 * Adds rolling statistics per key (default `carId` when the data has it) as new columns named
 * `field_stat_size`, e.g. `engine_vibration_amplitude_std_10`. Rows must be in time order per key
 * (as a topic read returns them). Missing readings stay missing in the statistics' input (NaN).
 */
export function addWindowFeatures(df: TableLike, windows: WindowFeatureSpec[], opts: { key?: string | null } = {}): DataFrame {
  checkWindows(windows);
  const names = columnNames(df);
  const key = opts.key === null ? undefined : (opts.key ?? (names.includes('carId') ? 'carId' : undefined));
  const spec = windowSpec(windows, key);
  const rows = rowCount(df);
  const { columns } = columnsOf(df, [...names]);
  const m = featureMatrix(spec, columns, rows);
  const nf = spec.features.length;
  const clash = spec.features.find((f) => names.includes(f));
  if (clash) throw new KafkalabError(`The data already has a column "${clash}"`, { code: 'BAD_INPUT', hint: 'drop it first, or compute the windows on the raw readings' });
  const all = [...names, ...spec.features];
  const out: unknown[][] = new Array(rows);
  const src = names.map((n) => columns[n]);
  for (let i = 0; i < rows; i++) {
    const row = new Array<unknown>(all.length);
    for (let j = 0; j < src.length; j++) row[j] = src[j][i];
    for (let f = 0; f < nf; f++) row[names.length + f] = m[i * nf + f];
    out[i] = row;
  }
  const { DataFrame } = danfo();
  return new DataFrame(out as never, { columns: all, config: { lowMemoryMode: true } } as never);
}
