/**
 * From an Autoencoder's options and the first data it sees to its PipelineSpec: which columns
 * are inputs, the key, fill values, feature order, layer sizes (the scaler and the threshold
 * are filled in by training).
 */
import { KafkalabError } from '../util/errors';
import { badOption, checkOptions, optionKeys } from '../util/options';
import { checkWindows, firstDuplicate } from './features';
import type { Logger } from '../util/log';
import type { TableLike } from './input';
import { MODEL_FILE } from '../runtime/score/model';
import { type Activation, checkActivation, defaultLayers } from './model';
import { PIPELINE_VERSION, windowFeatureNames, type PipelineSpec, type ScalerSpec, type WindowFeatureSpec } from '../runtime';
import { inferFeatures } from './table';
import { checkSequenceOptions, type SequenceOptions } from './sequence';

export interface AutoencoderOptions {
  /** Raw numeric fields the model reads (default: every numeric column but Kafka metadata, time, counters and labels). */
  features?: string[];
  /** Rolling statistics per key added as features, e.g. [{ field: 'engine_vibration_amplitude', size: 10, stats: ['mean', 'std', 'peak'] }]. */
  windows?: WindowFeatureSpec[];
  /** Column that separates window state (default 'carId' when the data has it). */
  key?: string;
  /** Hidden layer sizes (default about [0.875n, 0.45n, 0.875n], e.g. [14, 7, 14] for 16 features). */
  layers?: number[];
  activation?: Activation;
  outputActivation?: Activation;
  /** L2 penalty on the kernels (default 0). */
  l2?: number;
  /** Dropout rate after each hidden layer but the last (default 0). */
  dropout?: number;
  scaler?: ScalerSpec['kind'];
  seed?: number;
  learningRate?: number;
  /** Value for missing readings: 'mean' (of the training rows, default), a number, or per field. */
  fill?: 'mean' | number | Record<string, number>;
  /** A sequence autoencoder over each key's last `length` readings (sequence.ts) instead of a dense one per reading. */
  sequence?: SequenceOptions;
  logger?: Logger;
}

export const AUTOENCODER_OPTIONS = optionKeys<AutoencoderOptions>()([
  'features', 'windows', 'key', 'layers', 'activation', 'outputActivation', 'l2', 'dropout', 'scaler', 'seed', 'learningRate', 'fill', 'sequence', 'logger',
]);

const SCALERS: readonly ScalerSpec['kind'][] = ['standard', 'minmax', 'none'];

/** Throws a BAD_OPTION error naming the first unknown option or bad value. */
export function checkAutoencoderOptions(options: AutoencoderOptions): void {
  const what = 'new Autoencoder()';
  checkOptions(what, options, AUTOENCODER_OPTIONS);
  const o = options;
  if (o.features !== undefined) {
    const example = "features: ['coolant_temp', 'engine_vibration_amplitude']";
    if (!Array.isArray(o.features) || !o.features.length) throw badOption(what, 'features', o.features, 'a non-empty array of column names (omit it to use every numeric column)', example);
    const bad = o.features.find((f) => typeof f !== 'string' || !f);
    if (bad !== undefined) throw badOption(what, 'features', o.features, 'column names (non-empty strings)', example);
  }
  if (o.windows !== undefined) checkWindows(o.windows);
  const twice = firstDuplicate([...(o.features ?? []), ...windowFeatureNames(o.windows ?? [])]);
  if (twice) throw new KafkalabError(`${what}: feature "${twice}" is listed twice`, { code: 'BAD_OPTION', hint: 'name each feature once (windowed features are named field_stat_size)' });
  if (o.key !== undefined && (typeof o.key !== 'string' || !o.key)) throw badOption(what, 'key', o.key, 'a column name', "key: 'carId'");
  if (o.layers !== undefined) {
    if (!Array.isArray(o.layers) || !o.layers.length || !o.layers.every((n) => Number.isInteger(n) && n > 0)) {
      throw badOption(what, 'layers', o.layers, 'a non-empty array of positive integers (hidden layer sizes)', 'layers: [14, 7, 14]');
    }
  }
  if (o.activation !== undefined) checkActivation(o.activation, 'activation');
  if (o.outputActivation !== undefined) checkActivation(o.outputActivation, 'outputActivation');
  if (o.l2 !== undefined && !(Number.isFinite(o.l2) && o.l2 >= 0)) throw badOption(what, 'l2', o.l2, 'a number >= 0', 'l2: 1e-4');
  if (o.dropout !== undefined && !(o.dropout >= 0 && o.dropout < 1)) throw badOption(what, 'dropout', o.dropout, 'in [0, 1)', 'dropout: 0.1');
  if (o.scaler !== undefined && !SCALERS.includes(o.scaler)) throw badOption(what, 'scaler', o.scaler, `one of ${SCALERS.join(', ')}`, "scaler: 'minmax'");
  if (o.seed !== undefined && !Number.isSafeInteger(o.seed)) throw badOption(what, 'seed', o.seed, 'an integer', 'seed: 42');
  if (o.learningRate !== undefined && !(Number.isFinite(o.learningRate) && o.learningRate > 0)) throw badOption(what, 'learningRate', o.learningRate, 'a number > 0', 'learningRate: 1e-3');
  if (o.fill !== undefined) checkFill(o.fill);
  if (o.sequence !== undefined) {
    checkSequenceOptions(o.sequence);
    if (o.dropout) throw badOption(what, 'dropout', o.dropout, '0 with a sequence model (not supported there)');
  }
  if (o.logger !== undefined && !isLogger(o.logger)) {
    throw badOption(what, 'logger', o.logger, 'a Logger (debug, info, warn, error, child)', "logger: consoleLogger({ level: 'info' })");
  }
}

function isLogger(x: unknown): x is Logger {
  const l = x as Record<string, unknown> | null;
  return typeof l === 'object' && l !== null && ['debug', 'info', 'warn', 'error', 'child'].every((m) => typeof l[m] === 'function');
}

function checkFill(fill: unknown): void {
  const expected = "'mean', a number, or a number per field";
  if (fill === 'mean' || (typeof fill === 'number' && Number.isFinite(fill))) return;
  if (fill && typeof fill === 'object' && !Array.isArray(fill)) {
    for (const [field, v] of Object.entries(fill)) {
      if (!(typeof v === 'number' && Number.isFinite(v))) throw badOption('new Autoencoder()', `fill.${field}`, v, 'a finite number', 'fill: { coolant_temp: 90 }');
    }
    return;
  }
  throw badOption('new Autoencoder()', 'fill', fill, expected, "fill: 'mean'");
}

/** Columns that are never default features: Kafka metadata, time, counters and labels. */
const META = new Set(['_key', '_partition', '_offset', '_timestamp', 'ts', 'seq', 'anomaly', 'label']);

export interface NeededColumns {
  inputs: string[];
  key: string | undefined;
  columns: string[];
  optional: string[];
}

export type Chunk = { columns: Record<string, ArrayLike<unknown>>; rows: number };

/** Which columns to read: the raw features, the key when windows need one. */
export function neededColumns(options: AutoencoderOptions, names: string[], sample: TableLike): NeededColumns {
  const windows = options.windows ?? [];
  let inputs = options.features ? [...options.features] : inferFeatures(sample, META);
  for (const w of windows) if (!inputs.includes(w.field)) inputs = [...inputs, w.field];
  if (!inputs.length) throw new KafkalabError('No numeric feature columns found', { code: 'NO_FEATURES', hint: "pass features: ['coolant_temp', ...]" });
  const perKey = windows.length > 0 || options.sequence !== undefined;
  const key = perKey ? (options.key ?? (names.includes('carId') ? 'carId' : undefined)) : undefined;
  if (options.key && perKey && !names.includes(options.key)) {
    throw new KafkalabError(`Key column "${options.key}" is not in the data`, { code: 'UNKNOWN_COLUMN', hint: 'windows are kept per key: pass key: <a column naming the device>' });
  }
  return { inputs, key, columns: key ? [...inputs, key] : inputs, optional: [] };
}

/** The spec before training: fills come from `chunks` (the training rows). */
export function makeSpec(options: AutoencoderOptions, inputs: string[], key: string | undefined, chunks: Chunk[]): PipelineSpec {
  const windows = (options.windows ?? []).map((w) => ({ field: w.field, size: w.size, stats: [...w.stats] }));
  const rawFeatures = options.features ?? inputs;
  const features = [...rawFeatures, ...windowFeatureNames(windows)];
  const seq = options.sequence;
  const layers = seq ? [seq.filters ?? 16, seq.bottleneck ?? features.length] : (options.layers ?? defaultLayers(features.length));
  return {
    version: PIPELINE_VERSION,
    ...(seq ? { sequence: { length: seq.length ?? 16 } } : {}),
    key,
    inputs: inputs.map((name) => ({ name, fill: fillFor(options, name, chunks) })),
    windows,
    features,
    scaler: { kind: options.scaler ?? 'standard', offset: [], scale: [] },
    threshold: { value: Infinity, method: 'fixed' },
    model: {
      format: 'tfjs-layers',
      ...(seq ? { kind: 'sequence' as const } : {}),
      path: MODEL_FILE,
      inputSize: features.length,
      layers,
      activation: options.activation ?? 'relu',
      outputActivation: options.outputActivation ?? 'linear',
    },
    schema: { fields: [...(key ? [{ name: key, type: 'string' as const }] : []), ...inputs.map((name) => ({ name, type: 'number' as const }))] },
    createdAt: new Date().toISOString(),
    metadata: { generator: 'kafkalab', options: serialisableOptions(options) },
  };
}

function fillFor(options: AutoencoderOptions, name: string, chunks: Chunk[]): number {
  const fill = options.fill ?? 'mean';
  if (typeof fill === 'number') return fill;
  if (typeof fill === 'object' && fill[name] !== undefined) return fill[name];
  let sum = 0;
  let n = 0;
  for (const c of chunks) {
    const col = c.columns[name];
    for (let i = 0; i < c.rows; i++) {
      const v = col[i];
      if (typeof v === 'number' && Number.isFinite(v)) (sum += v), n++;
    }
  }
  return n ? sum / n : 0;
}

function serialisableOptions(options: AutoencoderOptions): Record<string, unknown> {
  const { logger: _logger, ...rest } = options;
  return JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
}
