/**
 * The content of `pipeline.json`: what a trained model reads (inputs and their fills, windows,
 * the key), in which order its features come, the scaler, the threshold and the network's shape.
 * The notebook writes it, Autoencoder.load and every exported app read it; bump PIPELINE_VERSION
 * when a saved pipeline.json would be read differently.
 *
 * Data flow (rows.ts, features.ts, scaler.ts, reconstruction.ts), the same in the notebook and the app:
 *   row → problem? (dead letter) → raw inputs (missing → fill) → windowed features per key
 *   → feature row in spec order → scale → model → per-feature squared errors → score = their mean
 *   → anomaly = score > threshold
 */

import type { DistributionSpec } from './drift';

export const PIPELINE_VERSION = 1;

/**
 * Rolling statistics over the last `size` readings of one field, kept per key (e.g. per car).
 * peak: largest absolute value; range: max - min; diff: change since the previous reading;
 * run: how many of the latest readings in a row repeat the current value exactly (1..size),
 * which exposes a frozen sensor without lingering after a spike the way std or peak do.
 */
export type WindowStat = 'mean' | 'std' | 'min' | 'max' | 'peak' | 'range' | 'diff' | 'run';
export const WINDOW_STATS: readonly WindowStat[] = ['mean', 'std', 'min', 'max', 'peak', 'range', 'diff', 'run'];

export interface WindowFeatureSpec {
  field: string;
  /** Number of readings in the window, the current one included. */
  size: number;
  stats: WindowStat[];
}

export interface InputSpec {
  name: string;
  /** Used in place of a missing or non-numeric reading (null, undefined, NaN, a string). */
  fill: number;
}

export interface ScalerSpec {
  kind: 'standard' | 'minmax' | 'none';
  /** scaled = (x - offset[i]) / scale[i]; standard: mean and std, minmax: min and max - min. */
  offset: number[];
  scale: number[];
}

/**
 * The threshold and how it was chosen (the threshold report). Scoring reads only `value`; the
 * rest records the method, its parameters, the validation errors it came from and what to expect.
 */
export interface ThresholdSpec {
  value: number;
  /** percentile | k (legacy mean + k·std) | sigma (mean + k·std) | mad (median + k·1.4826·MAD) | evt (peaks over threshold) | labels (calibrate()) | fixed. */
  method: 'percentile' | 'k' | 'fixed' | 'sigma' | 'mad' | 'evt' | 'labels';
  percentile?: number;
  k?: number;
  /** evt: the target fraction of normal rows above the threshold. */
  falseAlarmRate?: number;
  /** Statistics of the validation errors the threshold came from, for the record. */
  mean?: number;
  std?: number;
  samples?: number;
  median?: number;
  mad?: number;
  /** Generalized Pareto fit of the errors' upper tail: excesses over `threshold` (a fraction `rate` of the errors). */
  tail?: { threshold: number; rate: number; shape: number; scale: number; exceedances: number };
  /** Where the errors came from: held out by time, key, random rows, the last rows, or the training rows. */
  validation?: { by: 'time' | 'key' | 'random' | 'last' | 'training' | 'labelled'; fraction: number; rows: number; column?: string; keys?: number; totalKeys?: number; from?: number; to?: number };
  /** On normal data like the validation rows: the fraction above the threshold, and per hour at the observed row rate. */
  expected?: { falseAlarmRate: number; rowsPerHour?: number; falseAlarmsPerHour?: number };
  /** calibrate(): the labelled result at this threshold. */
  labels?: { target: string; precision: number; recall: number; f1: number; rows: number; positives: number };
}

export interface ModelSpec {
  format: 'tfjs-layers';
  /** 'dense' (default): one row in, one row out; 'sequence': a model over `sequence.length` rows (sequence.ts; `layers` is then [per-reading units, bottleneck]). */
  kind?: 'dense' | 'sequence';
  path: string;
  inputSize: number;
  layers: number[];
  activation: string;
  outputActivation: string;
}

/** The content of `pipeline.json`. */
export interface PipelineSpec {
  version: number;
  /** Record field whose value selects the window state (e.g. 'carId'); absent: one global state. */
  key?: string;
  /** Raw numeric fields read from each record, in this order. */
  inputs: InputSpec[];
  windows: WindowFeatureSpec[];
  /** Model input columns in order: raw input names and windowed names `field_stat_size`. */
  features: string[];
  scaler: ScalerSpec;
  threshold: ThresholdSpec;
  model: ModelSpec;
  /** Fields a well-formed input record carries, for validation and dead-lettering. */
  schema: { fields: { name: string; type: 'number' | 'string' }[] };
  /** A sequence model: the network reads each key's last `length` feature rows (sequence.ts). */
  sequence?: { length: number };
  /** The training rows' distribution of each feature (drift.ts): what live drift is measured against. Absent in older files. */
  distribution?: DistributionSpec;
  createdAt?: string;
  metadata?: Record<string, unknown>;
}

export function windowFeatureName(field: string, stat: WindowStat, size: number): string {
  return `${field}_${stat}_${size}`;
}

export function windowFeatureNames(windows: WindowFeatureSpec[]): string[] {
  const names: string[] = [];
  for (const w of windows) for (const s of w.stats) names.push(windowFeatureName(w.field, s, w.size));
  return names;
}

/** Checks a parsed pipeline.json; throws with the first problem found. */
export function checkPipeline(spec: PipelineSpec): PipelineSpec {
  if (!spec || typeof spec !== 'object') throw new Error('pipeline: not an object');
  if (spec.version !== PIPELINE_VERSION) throw new Error(`pipeline: version ${spec.version} is not supported (expected ${PIPELINE_VERSION})`);
  const nf = spec.features.length;
  if (spec.scaler.offset.length !== nf || spec.scaler.scale.length !== nf) throw new Error('pipeline: scaler size differs from the feature count');
  if (spec.model.inputSize !== nf) throw new Error('pipeline: model input size differs from the feature count');
  if (!Number.isFinite(spec.threshold.value)) throw new Error('pipeline: threshold is not a finite number');
  const q = spec.sequence;
  if (q !== undefined && !(Number.isInteger(q.length) && q.length >= 2)) throw new Error('pipeline: sequence.length must be an integer of at least 2');
  const d = spec.distribution;
  if (d !== undefined && (!Array.isArray(d.features) || d.features.length !== nf || d.features.some((b) => b.fractions.length !== b.edges.length + 1))) {
    throw new Error('pipeline: distribution must have one set of bins per feature, one more fraction than edges');
  }
  featurePlan(spec);
  return spec;
}

/** Where each model feature comes from: an input slot, or a statistic (index into WINDOW_STATS) of a window. */
export interface FeatureSource {
  input: number; // index into inputs, or -1
  window: number; // index into windows, or -1
  stat: number;
}

/** The sources of the features in order, and the input each window reads; throws on an inconsistent spec. */
export function featurePlan(spec: PipelineSpec): { sources: FeatureSource[]; windowInput: number[] } {
  const inputIndex = new Map(spec.inputs.map((inp, i) => [inp.name, i]));
  const windowInput = spec.windows.map((w) => {
    const i = inputIndex.get(w.field);
    if (i === undefined) throw new Error(`pipeline: windowed field "${w.field}" is not among the inputs`);
    if (!(w.size >= 1) || Math.floor(w.size) !== w.size) throw new Error(`pipeline: window size of "${w.field}" must be a positive integer`);
    return i;
  });
  const windowed = new Map<string, { window: number; stat: WindowStat }>();
  spec.windows.forEach((w, wi) => {
    for (const s of w.stats) {
      if (!WINDOW_STATS.includes(s)) throw new Error(`pipeline: unknown window statistic "${s}" (one of ${WINDOW_STATS.join(', ')})`);
      windowed.set(windowFeatureName(w.field, s, w.size), { window: wi, stat: s });
    }
  });
  const sources = spec.features.map((f) => {
    const i = inputIndex.get(f);
    if (i !== undefined) return { input: i, window: -1, stat: -1 };
    const w = windowed.get(f);
    if (w) return { input: -1, window: w.window, stat: WINDOW_STATS.indexOf(w.stat) };
    throw new Error(`pipeline: feature "${f}" is neither an input nor a windowed feature`);
  });
  return { sources, windowInput };
}
