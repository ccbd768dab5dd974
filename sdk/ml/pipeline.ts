/**
 * The scoring pipeline's pure arithmetic and the `pipeline.json` schema.
 *
 * THIS FILE IS COPIED VERBATIM INTO EVERY EXPORTED SCORING APP. It must stay import-free
 * (no `import`, no `require`, no Node or browser APIs): the exported app's features, scaling
 * and scores are then the notebook's to the bit. Change it with that in mind, and bump
 * PIPELINE_VERSION when a saved pipeline.json would be read differently.
 *
 * Data flow, identical offline (a DataFrame's columns) and online (one record at a time):
 *   raw inputs (missing → fill) → windowed features per key → feature row in spec order
 *   → scale → model → per-feature squared errors → score = their mean → anomaly = score > threshold
 */

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

/** A reading as a number, or NaN when it is missing or not numeric. */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return NaN;
}

/** Where each model feature comes from: an input slot or a window statistic. */
interface FeatureSource {
  input: number; // index into inputs, or -1
  window: number; // index into windows, or -1
  stat: number; // index into WINDOW_STATS
}

interface KeyState {
  /** One ring buffer of `size` values per window; `count` readings seen so far. */
  rings: Float64Array[];
  count: number;
  last: Float64Array;
}

/**
 * Per-key rolling state plus the feature plan. Use one instance per ordered stream of records:
 * `row()` must see each key's readings in time order.
 */
export class FeatureState {
  readonly spec: PipelineSpec;
  private readonly sources: FeatureSource[];
  private readonly windowInput: number[];
  private readonly keys = new Map<string, KeyState>();
  private readonly values: Float64Array;
  private readonly stats: Float64Array[];

  constructor(spec: PipelineSpec) {
    this.spec = spec;
    const inputIndex = new Map(spec.inputs.map((inp, i) => [inp.name, i]));
    this.windowInput = spec.windows.map((w) => {
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
    this.sources = spec.features.map((f) => {
      const i = inputIndex.get(f);
      if (i !== undefined) return { input: i, window: -1, stat: -1 };
      const w = windowed.get(f);
      if (w) return { input: -1, window: w.window, stat: WINDOW_STATS.indexOf(w.stat) };
      throw new Error(`pipeline: feature "${f}" is neither an input nor a windowed feature`);
    });
    this.values = new Float64Array(spec.inputs.length);
    this.stats = spec.windows.map(() => new Float64Array(WINDOW_STATS.length));
  }

  /** Number of keys with state (e.g. cars seen). */
  get size(): number {
    return this.keys.size;
  }

  reset(): void {
    this.keys.clear();
  }

  /**
   * Feed one reading and write its feature row at `out[offset..]`.
   * `get(i)` returns the raw value of input i (any type; missing or non-numeric uses `fill`).
   */
  row(key: string, get: (input: number) => unknown, out: Float32Array | Float64Array, offset = 0): void {
    const inputs = this.spec.inputs;
    for (let i = 0; i < inputs.length; i++) {
      const v = toNumber(get(i));
      this.values[i] = Number.isFinite(v) ? v : inputs[i].fill;
    }
    if (this.spec.windows.length) this.updateWindows(key);
    for (let f = 0; f < this.sources.length; f++) {
      const s = this.sources[f];
      out[offset + f] = s.input >= 0 ? this.values[s.input] : this.stats[s.window][s.stat];
    }
  }

  /** Feature row of one record (online path: one message in an exported app). */
  record(rec: Record<string, unknown>, out?: Float32Array): Float32Array {
    const row = out ?? new Float32Array(this.spec.features.length);
    const key = this.spec.key === undefined ? '' : String(rec[this.spec.key]);
    const inputs = this.spec.inputs;
    this.row(key, (i) => rec[inputs[i].name], row, 0);
    return row;
  }

  private updateWindows(key: string): void {
    let st = this.keys.get(key);
    if (!st) {
      st = { rings: this.spec.windows.map((w) => new Float64Array(w.size)), count: 0, last: new Float64Array(this.spec.windows.length) };
      this.keys.set(key, st);
    }
    const windows = this.spec.windows;
    for (let w = 0; w < windows.length; w++) {
      const size = windows[w].size;
      const ring = st.rings[w];
      const x = this.values[this.windowInput[w]];
      ring[st.count % size] = x;
      const n = Math.min(st.count + 1, size);
      // Summed directly over the ring each time: exact and order-fixed, so offline and online
      // agree to the bit; windows are small, so this costs less than it would to keep it fast.
      let sum = 0;
      let min = Infinity;
      let max = -Infinity;
      let peak = 0;
      for (let j = 0; j < n; j++) {
        const v = ring[j];
        sum += v;
        if (v < min) min = v;
        if (v > max) max = v;
        const a = Math.abs(v);
        if (a > peak) peak = a;
      }
      const mean = sum / n;
      let sq = 0;
      for (let j = 0; j < n; j++) {
        const d = ring[j] - mean;
        sq += d * d;
      }
      const out = this.stats[w];
      out[0] = mean;
      out[1] = Math.sqrt(sq / n);
      out[2] = min;
      out[3] = max;
      out[4] = peak;
      out[5] = max - min;
      out[6] = st.count === 0 ? 0 : x - st.last[w];
      let run = 1;
      const newest = st.count % size;
      while (run < n && ring[(newest - run + size) % size] === x) run++;
      out[7] = run;
      st.last[w] = x;
    }
    st.count++;
  }
}

/**
 * Feature matrix (row-major Float32Array, rows x features) from column arrays, rows taken in
 * order. `columns` holds one array per input name (and the key column when the spec has one).
 * Pass `state` to continue the windows of an earlier call (consecutive micro-batches).
 */
export function featureMatrix(
  spec: PipelineSpec,
  columns: Record<string, ArrayLike<unknown> | undefined>,
  rows: number,
  state: FeatureState = new FeatureState(spec),
): Float32Array {
  const nf = spec.features.length;
  const out = new Float32Array(rows * nf);
  const cols = spec.inputs.map((inp) => columns[inp.name]);
  const keyCol = spec.key === undefined ? undefined : columns[spec.key];
  let r = 0;
  const get = (i: number): unknown => {
    const c = cols[i];
    return c === undefined ? undefined : c[r];
  };
  for (; r < rows; r++) state.row(keyCol === undefined ? '' : String(keyCol[r]), get, out, r * nf);
  return out;
}

/** Feature matrix from records (online path, or an array of parsed messages). */
export function recordsMatrix(spec: PipelineSpec, records: Record<string, unknown>[], state: FeatureState = new FeatureState(spec)): Float32Array {
  const nf = spec.features.length;
  const out = new Float32Array(records.length * nf);
  for (let r = 0; r < records.length; r++) state.record(records[r], out.subarray(r * nf, (r + 1) * nf));
  return out;
}

/** Fits a scaler on a row-major matrix; a constant feature gets scale 1 so it cannot divide by 0. */
export function fitScaler(kind: ScalerSpec['kind'], matrix: ArrayLike<number>, features: number): ScalerSpec {
  const rows = Math.floor(matrix.length / features);
  const offset = new Array<number>(features).fill(0);
  const scale = new Array<number>(features).fill(1);
  if (kind === 'none' || rows === 0) return { kind, offset, scale };
  for (let f = 0; f < features; f++) {
    if (kind === 'standard') {
      let sum = 0;
      for (let r = 0; r < rows; r++) sum += matrix[r * features + f];
      const mean = sum / rows;
      let sq = 0;
      for (let r = 0; r < rows; r++) {
        const d = matrix[r * features + f] - mean;
        sq += d * d;
      }
      const std = Math.sqrt(sq / rows);
      offset[f] = mean;
      scale[f] = std > 1e-12 ? std : 1;
    } else {
      let min = Infinity;
      let max = -Infinity;
      for (let r = 0; r < rows; r++) {
        const v = matrix[r * features + f];
        if (v < min) min = v;
        if (v > max) max = v;
      }
      offset[f] = min;
      scale[f] = max - min > 1e-12 ? max - min : 1;
    }
  }
  return { kind, offset, scale };
}

/** Scales a row-major matrix in place (Float32 results, as the model consumes them). */
export function scaleInPlace(scaler: ScalerSpec, matrix: Float32Array): Float32Array {
  const nf = scaler.offset.length;
  for (let i = 0; i < matrix.length; i++) {
    const f = i % nf;
    matrix[i] = (matrix[i] - scaler.offset[f]) / scaler.scale[f];
  }
  return matrix;
}

/** Per-feature squared reconstruction errors, row-major like the input. */
export function featureErrors(input: ArrayLike<number>, output: ArrayLike<number>): Float32Array {
  const out = new Float32Array(input.length);
  for (let i = 0; i < input.length; i++) {
    const d = input[i] - output[i];
    out[i] = d * d;
  }
  return out;
}

/** The anomaly score of each row: the mean squared reconstruction error over its features. */
export function rowScores(input: ArrayLike<number>, output: ArrayLike<number>, features: number): Float32Array {
  const rows = Math.floor(input.length / features);
  const out = new Float32Array(rows);
  for (let r = 0, i = 0; r < rows; r++) {
    let sum = 0;
    for (let f = 0; f < features; f++, i++) {
      const d = input[i] - output[i];
      sum += d * d;
    }
    out[r] = sum / features;
  }
  return out;
}

export function isAnomaly(spec: PipelineSpec, score: number): boolean {
  return score > spec.threshold.value;
}

/** Indexes of the `n` largest per-feature errors of one row, largest first ("which sensors"). */
export function topFeatures(errors: ArrayLike<number>, features: number, row: number, n = 3): number[] {
  const idx: number[] = [];
  for (let f = 0; f < features; f++) idx.push(f);
  const base = row * features;
  idx.sort((a, b) => errors[base + b] - errors[base + a] || a - b);
  return idx.slice(0, n);
}

/**
 * Why a record cannot be scored, or undefined when it can. Missing numeric readings are not a
 * reason (they take `fill`, and a dropped-out sensor is what the model should flag); a record
 * that is not an object, or lacks the key, is.
 */
export function recordProblem(spec: PipelineSpec, rec: unknown): string | undefined {
  if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) return 'record is not a JSON object';
  const r = rec as Record<string, unknown>;
  if (spec.key !== undefined && (r[spec.key] === undefined || r[spec.key] === null)) return `record has no "${spec.key}"`;
  let present = 0;
  for (const inp of spec.inputs) if (r[inp.name] !== undefined) present++;
  if (present === 0) return `record has none of the model inputs (${spec.inputs.map((i) => i.name).join(', ')})`;
  return undefined;
}

/** Checks a parsed pipeline.json; throws with the first problem found. */
export function checkPipeline(spec: PipelineSpec): PipelineSpec {
  if (!spec || typeof spec !== 'object') throw new Error('pipeline: not an object');
  if (spec.version !== PIPELINE_VERSION) throw new Error(`pipeline: version ${spec.version} is not supported (expected ${PIPELINE_VERSION})`);
  const nf = spec.features.length;
  if (spec.scaler.offset.length !== nf || spec.scaler.scale.length !== nf) throw new Error('pipeline: scaler size differs from the feature count');
  if (spec.model.inputSize !== nf) throw new Error('pipeline: model input size differs from the feature count');
  if (!Number.isFinite(spec.threshold.value)) throw new Error('pipeline: threshold is not a finite number');
  new FeatureState(spec);
  return spec;
}
