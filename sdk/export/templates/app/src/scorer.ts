/**
 * The notebook's pipeline (./pipeline.ts, copied verbatim from kafkalab at export time) plus the
 * exported model: records in, scores and explanations out. No Kafka here, so the golden tests
 * exercise exactly the code path the streaming app runs.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import type { LayersModel } from '@tensorflow/tfjs';
import { chooseBackend, forward, loadLayersModel, type Backend } from './model';
import { topFeaturesInto } from './topk';
import { FeatureState, checkPipeline, featureErrors, recordProblem, rowScores, scaleInPlace, topFeatures, type PipelineSpec } from './pipeline';

export interface Contribution {
  feature: string;
  /** Squared reconstruction error of this feature (scaled units); the score is their mean. */
  error: number;
}

export class Scorer {
  readonly width: number;
  readonly threshold: number;
  /** Rolling per-key window state; records must reach `prepare` in time order per key. */
  readonly state: FeatureState;

  private constructor(readonly spec: PipelineSpec, readonly model: LayersModel, readonly backend: Backend, threshold?: number) {
    this.width = spec.features.length;
    this.threshold = threshold ?? spec.threshold.value;
    this.state = new FeatureState(spec);
  }

  static async load(modelDir: string, opts: { threshold?: number; backend?: string } = {}): Promise<Scorer> {
    const specPath = path.join(modelDir, 'pipeline.json');
    let spec: PipelineSpec;
    try {
      spec = checkPipeline(JSON.parse(await fs.readFile(specPath, 'utf8')) as PipelineSpec);
    } catch (err) {
      throw new Error(`cannot load ${specPath}: ${(err as Error).message}; set MODEL_DIR to the folder holding pipeline.json and model.json`);
    }
    const backend = await chooseBackend(opts.backend);
    const model = await loadLayersModel(modelDir);
    const inputShape = model.inputs[0].shape;
    if (inputShape[inputShape.length - 1] !== spec.features.length) {
      throw new Error(`model.json takes ${inputShape[inputShape.length - 1]} inputs but pipeline.json lists ${spec.features.length} features`);
    }
    return new Scorer(spec, model, backend, opts.threshold);
  }

  /**
   * Validates one decoded record and writes its scaled feature row at `row` of `matrix`.
   * Returns why the record cannot be scored, or undefined. Invalid records leave window state untouched.
   */
  prepare(record: unknown, matrix: Float32Array, row: number): string | undefined {
    const problem = recordProblem(this.spec, record);
    if (problem) return problem;
    const out = matrix.subarray(row * this.width, (row + 1) * this.width);
    this.state.record(record as Record<string, unknown>, out);
    scaleInPlace(this.spec.scaler, out);
    return undefined;
  }

  /** One model call over `rows` prepared rows; returns the reconstructions, row-major. */
  reconstruct(matrix: Float32Array, rows: number): Float32Array {
    return forward(this.model, matrix, rows, this.width);
  }

  scores(matrix: Float32Array, reconstruction: Float32Array): Float32Array {
    return rowScores(matrix, reconstruction, this.width);
  }

  isAnomaly(score: number): boolean {
    return score > this.threshold;
  }

  /** Per-feature squared reconstruction errors of a batch, row-major (the score is each row's mean). */
  errors(matrix: Float32Array, reconstruction: Float32Array): Float32Array {
    return featureErrors(matrix, reconstruction);
  }

  /** The `n` features with the largest reconstruction error in one row of `errors`, largest first. */
  explain(errors: Float32Array, row: number, n: number): Contribution[] {
    if (n <= 0) return [];
    const base = row * this.width;
    return topFeatures(errors, this.width, row, n).map((f) => ({ feature: this.spec.features[f], error: errors[base + f] }));
  }

  /**
   * The same features as `explain` (largest error first, ties by feature order) as indexes
   * written into `out`, without allocating: the per-record path of the streaming app.
   * Returns how many were written (out.length, at most the feature count).
   */
  topInto(errors: Float32Array, row: number, out: Int32Array): number {
    return topFeaturesInto(errors, this.width, row, out);
  }

  /** Scores records in order from fresh window state, in one model call (tests, offline checks). */
  async scoreRecords(records: unknown[]): Promise<{ scores: Float32Array; problems: (string | undefined)[] }> {
    const matrix = new Float32Array(records.length * this.width);
    const problems: (string | undefined)[] = [];
    const rowOf: number[] = [];
    let rows = 0;
    for (const rec of records) {
      const p = this.prepare(rec, matrix, rows);
      problems.push(p);
      rowOf.push(p ? -1 : rows);
      if (!p) rows++;
    }
    const x = matrix.subarray(0, rows * this.width);
    const s = rows ? this.scores(x, this.reconstruct(x, rows)) : new Float32Array(0);
    const scores = new Float32Array(records.length).fill(NaN);
    rowOf.forEach((r, i) => {
      if (r >= 0) scores[i] = s[r];
    });
    return { scores, problems };
  }
}

