/**
 * Where a score is computed: a trained pipeline (pipeline.json) and its network, from decoded
 * rows to scores, verdicts and the features behind them. The notebook's Autoencoder and the
 * exported app hold one each and call the same methods.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { KafkalabError } from '../../util/errors';
import { backend, initBackend, type BackendName, type tf } from './backend';
import { DenseForward } from './dense';
import { FeatureState } from './features';
import { forward, loadModel } from './model';
import { checkPipeline, type PipelineSpec } from './pipeline';
import { featureErrors, rowScores, topFeatures, topFeaturesInto } from './reconstruction';
import { prepareRows, type PreparedRows, type RowColumns } from './rows';
import { loadVersionModel, type ModelVersion } from './versions';
import { windowFeatureErrors } from './sequence';

export interface Contribution {
  feature: string;
  /** Squared reconstruction error of this feature (scaled units); the score is their mean. */
  error: number;
}

/** Scores of a table's rows, one per row: NaN where the row cannot be scored (`problems` says why). */
export interface RowScores {
  scores: Float32Array;
  /** Squared error per row and feature, row-major; NaN rows where the row cannot be scored. Empty when not asked for. */
  errors: Float32Array;
  problems: (string | undefined)[];
  rows: number;
}

/**
 * What runs the network: `simd`, the generated forward pass (dense.ts) for a plain dense
 * ReLU/linear autoencoder; `tfjs` for any other model, or when asked (KAFKALAB_SCORE_ENGINE=tfjs).
 */
export type ScoreEngine = 'simd' | 'tfjs';

/** Rows prepared and run through the network at a time by scoreRows: their buffers stay in cache. */
const BLOCK = 8192;

export class Scorer {
  /** Features per row: the width of `matrix`, of per-feature errors and of explanations. */
  readonly width: number;
  /** Values per row the model reads: `width`, or for a sequence model length x width (PreparedRows.input). */
  readonly inputWidth: number;
  /** Rows per window of a sequence model; 1 for a dense one. */
  readonly steps: number;

  /** The SIMD forward pass, found on first use (null: tfjs runs this model). */
  private dense: DenseForward | null | undefined;

  constructor(
    readonly spec: PipelineSpec,
    readonly model: tf.LayersModel,
    private readonly thresholdOverride?: number,
    engine: ScoreEngine | 'auto' = engineFromEnv(),
  ) {
    this.width = spec.features.length;
    this.steps = spec.sequence?.length ?? 1;
    this.inputWidth = this.width * this.steps;
    if (engine === 'tfjs' || this.steps !== 1) this.dense = null;
  }

  /** What runs the network (see ScoreEngine). */
  get engine(): ScoreEngine {
    return this.simd() ? 'simd' : 'tfjs';
  }

  private simd(): DenseForward | null {
    if (this.dense === undefined) this.dense = DenseForward.of(this.model) ?? null;
    return this.dense;
  }

  /** The model folder written by `ae.save(dir)` (or an exported app's `model/`), on the backend chosen (see backend.ts). */
  static async load(dir: string, opts: { threshold?: number; backend?: BackendName; engine?: ScoreEngine | 'auto' } = {}): Promise<Scorer> {
    const file = path.join(dir, 'pipeline.json');
    let spec: PipelineSpec;
    try {
      spec = checkPipeline(JSON.parse(await fs.readFile(file, 'utf8')) as PipelineSpec);
    } catch (err) {
      throw new KafkalabError(`Cannot load ${file} (${(err as Error).message})`, { code: 'MODEL_LOAD', hint: 'pass the folder holding pipeline.json and model.json', cause: err });
    }
    await initBackend(opts.backend);
    const model = await loadModel(dir);
    const shape = model.inputs[0].shape;
    if (shape[shape.length - 1] !== spec.features.length || (spec.sequence !== undefined && shape[1] !== spec.sequence.length)) {
      throw new KafkalabError(`model.json takes ${shape[shape.length - 1]} inputs but pipeline.json lists ${spec.features.length} features`, { code: 'MODEL_LOAD' });
    }
    return new Scorer(spec, model, opts.threshold, opts.engine);
  }

  /** A model version read from a models topic (versions.ts), on the backend chosen. */
  static async fromVersion(v: ModelVersion, opts: { threshold?: number; backend?: BackendName; engine?: ScoreEngine | 'auto' } = {}): Promise<Scorer> {
    await initBackend(opts.backend);
    return new Scorer(v.pipeline, await loadVersionModel(v), opts.threshold, opts.engine);
  }

  /** The TensorFlow.js backend the model runs on. */
  get backend(): BackendName {
    return backend();
  }

  /** The threshold in force: the one chosen in the notebook, unless overridden. */
  get threshold(): number {
    return this.thresholdOverride ?? this.spec.threshold.value;
  }

  isAnomaly(score: number): boolean {
    return score > this.threshold;
  }

  /** A fresh window state for one ordered stream of rows. */
  newState(): FeatureState {
    return new FeatureState(this.spec);
  }

  /** Which of rows [from, from + rows) can be scored, their window state advanced and their scaled features (see rows.ts); `at`: each row's source offset. */
  prepare(columns: RowColumns, rows: number, state: FeatureState, out?: Float32Array, at?: ArrayLike<number>, from = 0): PreparedRows {
    return prepareRows(this.spec, columns, rows, state, out, at, from);
  }

  /** One model call over `rows` prepared rows (PreparedRows.input); returns the reconstructions, row-major like the input (into `out` when given). */
  reconstruct(input: Float32Array, rows: number, out?: Float32Array): Float32Array {
    const dense = this.simd();
    if (dense) return dense.forward(input, rows, out ?? new Float32Array(rows * this.width));
    const y = forward(this.model, input, rows, this.width, undefined, this.steps);
    if (!out) return y;
    out.set(y);
    return out.subarray(0, y.length);
  }

  /** The score of each row of `input` (PreparedRows.input): its mean squared reconstruction error. */
  scores(input: Float32Array, reconstruction: Float32Array): Float32Array {
    return rowScores(input, reconstruction, this.inputWidth);
  }

  /** Per-feature squared reconstruction errors of a batch, rows x width (the score is each row's mean; a sequence model's averaged over its steps). */
  errors(input: Float32Array, reconstruction: Float32Array): Float32Array {
    return this.steps === 1 ? featureErrors(input, reconstruction) : windowFeatureErrors(input, reconstruction, this.steps, this.width);
  }

  /** The `n` features with the largest error in one row of `errors`, largest first. */
  explain(errors: ArrayLike<number>, row: number, n: number): Contribution[] {
    if (n <= 0) return [];
    const base = row * this.width;
    return topFeatures(errors, this.width, row, n).map((f) => ({ feature: this.spec.features[f], error: errors[base + f] }));
  }

  /** `explain` as feature indexes written into `out`, without allocating; returns how many. */
  topInto(errors: ArrayLike<number>, row: number, out: Int32Array): number {
    return topFeaturesInto(errors, this.width, row, out);
  }

  /**
   * Scores every row of a table (the notebook's path; the app batches across partitions itself),
   * in blocks of rows: prepared, run through the network and reduced to scores (and, unless
   * `errors: false`, per-feature errors) while they are in cache. `columns` may be a function
   * giving the columns of rows [from, from + rows) (valid until its next call).
   */
  scoreRows(columns: RowColumns | ((from: number, rows: number) => RowColumns), rows: number, state: FeatureState, opts: { errors?: boolean } = {}): RowScores {
    const w = this.width;
    const scores = new Float32Array(rows).fill(NaN);
    const errors = opts.errors === false ? new Float32Array(0) : new Float32Array(rows * w).fill(NaN);
    const problems: (string | undefined)[] = new Array(rows);
    const block = Math.max(1, Math.floor(BLOCK / this.steps));
    const matrix = new Float32Array(Math.min(rows, block) * w);
    const recon = new Float32Array(Math.min(rows, block) * this.inputWidth);
    for (let from = 0; from < rows; from += block) {
      const n = Math.min(block, rows - from);
      // Columns by block (a frame's row arrays read on demand) start at the block's first row.
      const p = typeof columns === 'function' ? this.prepare(columns(from, n), n, state, matrix) : this.prepare(columns, n, state, matrix, undefined, from);
      for (let r = 0; r < n; r++) if (p.problems[r] !== undefined) problems[from + r] = p.problems[r];
      if (p.rows === 0) continue;
      const y = this.reconstruct(p.input, p.rows, recon);
      if (this.steps === 1) {
        reduceRows(p.input, y, p.rows, w, p.index, from, scores, opts.errors === false ? undefined : errors);
        continue;
      }
      const s = this.scores(p.input, y);
      const e = this.errors(p.input, y);
      for (let k = 0; k < p.rows; k++) {
        const r = from + p.index[k];
        scores[r] = s[k];
        if (errors.length) errors.set(e.subarray(k * w, (k + 1) * w), r * w);
      }
    }
    return { scores, errors, problems, rows };
  }
}

/**
 * Scores (rowScores' arithmetic) and per-feature squared errors (featureErrors') of `n` prepared
 * rows, written at their rows: prepared row k is row `from + index[k]` of the table.
 */
function reduceRows(input: Float32Array, recon: Float32Array, n: number, w: number, index: Int32Array, from: number, scores: Float32Array, errors: Float32Array | undefined): void {
  if (errors === undefined) {
    for (let k = 0, i = 0; k < n; k++) {
      let sum = 0;
      for (let f = 0; f < w; f++, i++) {
        const d = input[i] - recon[i];
        sum += d * d;
      }
      scores[from + index[k]] = sum / w;
    }
    return;
  }
  for (let k = 0, i = 0; k < n; k++) {
    const r = from + index[k];
    const e = r * w;
    let sum = 0;
    for (let f = 0; f < w; f++, i++) {
      const d = input[i] - recon[i];
      const sq = d * d;
      sum += sq;
      errors[e + f] = sq;
    }
    scores[r] = sum / w;
  }
}

function engineFromEnv(): ScoreEngine | 'auto' {
  const v = process.env.KAFKALAB_SCORE_ENGINE?.trim().toLowerCase();
  if (!v || v === 'auto') return 'auto';
  if (v === 'tfjs' || v === 'simd') return v;
  throw new KafkalabError(`KAFKALAB_SCORE_ENGINE="${v}" is not a scoring engine`, { code: 'ML_BACKEND', hint: 'use auto, simd or tfjs, or unset it' });
}
