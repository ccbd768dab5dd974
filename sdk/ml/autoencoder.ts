/**
 * The Autoencoder: learns normal behaviour from the chosen features (raw readings plus
 * windowed statistics per key), and scores rows by how badly it reconstructs them. All feature
 * arithmetic goes through pipeline.ts, so the exported app computes exactly the same scores.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { DataFrame } from 'danfojs-node';
import { KafkalabError } from '../util/errors';
import { defaultLogger, Logger } from '../util/log';
import { initBackend, tf } from './backend';
import { checkWindows } from './features';
import { fitStreamData, fitTable, type FitOptions } from './fit';
import { columnNames, columnsOf, isDataFrame, rowCount, TableLike } from './input';
import { fileLoadHandler, fileSaveHandler, writeAtomic } from './io';
import { Evaluation, evaluateScores } from './metrics';
import { checkActivation, reconstruct } from './model';
import { checkPipeline, featureErrors, topFeatures, FeatureState, featureMatrix, PipelineSpec, rowScores, scaleInPlace, windowFeatureNames } from './pipeline';
import { computeThreshold } from './threshold';
import type { History } from './train';
import { frameWithColumns } from './table';
import type { AutoencoderOptions } from './spec';

export type { AutoencoderOptions, FitOptions };

export interface ScoreOptions {
  /** Continue the window state of the previous stateful call (consecutive micro-batches of one stream). */
  stateful?: boolean;
  /** Window state to continue (one per stream; `new FeatureState(ae.spec)`); overrides `stateful`. */
  state?: FeatureState;
}

export interface PredictOptions extends ScoreOptions {
  /** Features named per row as the largest contributors (default 1, column `top_feature`). */
  top?: number;
}

export interface EvaluateOptions {
  /** Label column, 1/true for anomalies (default 'anomaly'). */
  label?: string;
  /** Column with the anomaly kind, for per-kind figures (default 'anomaly_type' when present). */
  typeColumn?: string | null;
  /** Scores already computed for these rows (skips scoring). */
  scores?: ArrayLike<number>;
  threshold?: number;
}

export class Autoencoder {
  readonly options: Readonly<AutoencoderOptions>;
  history: History | undefined;
  private net: tf.LayersModel | undefined;
  private pipeline: PipelineSpec | undefined;
  private online: FeatureState | undefined;
  private readonly log: Logger;

  constructor(options: AutoencoderOptions = {}) {
    if (options.activation) checkActivation(options.activation, 'activation');
    if (options.outputActivation) checkActivation(options.outputActivation, 'outputActivation');
    if (options.windows) checkWindows(options.windows);
    if (options.layers && !options.layers.every((n) => Number.isInteger(n) && n > 0)) {
      throw new KafkalabError(`layers must be positive integers, got [${options.layers.join(', ')}]`, { code: 'BAD_OPTION', hint: 'e.g. layers: [14, 7, 14]' });
    }
    if (options.dropout !== undefined && !(options.dropout >= 0 && options.dropout < 1)) throw new KafkalabError(`dropout must be in [0, 1), got ${options.dropout}`, { code: 'BAD_OPTION' });
    this.options = { ...options };
    this.log = options.logger ?? defaultLogger('ml');
  }

  /** The pipeline.json content: features, windows, scaler, threshold, model shape. */
  get spec(): PipelineSpec {
    if (!this.pipeline) throw notFitted();
    return this.pipeline;
  }

  get fitted(): boolean {
    return this.pipeline !== undefined && this.net !== undefined;
  }

  /** Model input columns in order (raw features, then windowed ones). */
  get features(): string[] {
    return this.pipeline ? [...this.pipeline.features] : [...(this.options.features ?? []), ...windowFeatureNames(this.options.windows ?? [])];
  }

  get threshold(): number {
    return this.spec.threshold.value;
  }

  /** Sets a threshold by hand (e.g. from `bestThreshold`); saved with the model. */
  set threshold(value: number) {
    if (!Number.isFinite(value)) throw new KafkalabError(`threshold must be a finite number, got ${value}`, { code: 'BAD_OPTION' });
    this.spec.threshold = { ...this.spec.threshold, value, method: 'fixed' };
  }

  /** The underlying tf.LayersModel (for inspection; `ae.summary()` returns its layer table as text). */
  get model(): tf.LayersModel {
    if (!this.net) throw notFitted();
    return this.net;
  }

  async fit(data: TableLike | AsyncIterable<TableLike>, opts: FitOptions = {}): Promise<History> {
    if (opts.threshold) computeThreshold([0], opts.threshold); // a bad rule fails now, not after training
    await initBackend(undefined, this.log);
    const isStream = !Array.isArray(data) && typeof (data as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function' && !isDataFrame(data);
    const { spec, model, history } = isStream ? await fitStreamData(this.options, data as AsyncIterable<TableLike>, opts) : await fitTable(this.options, data as TableLike, opts, this.log);
    this.install(spec, model);
    this.history = history;
    return history;
  }

  private install(spec: PipelineSpec, model: tf.LayersModel): void {
    if (this.net && this.net !== model) this.net.dispose();
    this.net = model;
    this.pipeline = spec;
    this.online = undefined;
  }

  /** Scaled feature matrix of a table; window state fresh, or the online one when stateful. */
  matrix(data: TableLike, opts: ScoreOptions = {}): Float32Array {
    const spec = this.spec;
    const cols = spec.key ? [...spec.inputs.map((i) => i.name), spec.key] : spec.inputs.map((i) => i.name);
    const { columns, rows } = columnsOf(data, cols);
    const state = opts.state ?? (opts.stateful ? (this.online ??= new FeatureState(spec)) : new FeatureState(spec));
    return scaleInPlace(spec.scaler, featureMatrix(spec, columns, rows, state));
  }

  /** Forgets the window state kept by `stateful` scoring. */
  resetState(): void {
    this.online = undefined;
  }

  /** Reconstruction error per row (the anomaly score), synchronous. */
  scoreSync(data: TableLike, opts: ScoreOptions = {}): Float32Array {
    const m = this.matrix(data, opts);
    const nf = this.spec.features.length;
    return rowScores(m, reconstruct(this.model, m, nf), nf);
  }

  async score(data: TableLike, opts: ScoreOptions = {}): Promise<Float32Array> {
    return this.scoreSync(data, opts);
  }

  /** Per-feature squared errors (row-major, `features` columns) and the row scores. */
  async scoreFeatures(data: TableLike, opts: ScoreOptions = {}): Promise<{ features: string[]; errors: Float32Array; scores: Float32Array; rows: number }> {
    const m = this.matrix(data, opts);
    const nf = this.spec.features.length;
    const out = reconstruct(this.model, m, nf);
    return { features: this.features, errors: featureErrors(m, out), scores: rowScores(m, out, nf), rows: m.length / nf };
  }

  /** Per row: score, anomaly flag, and the `top` features with the largest errors and their share of the error. */
  async explain(data: TableLike, opts: PredictOptions & { onlyAnomalies?: boolean } = {}) {
    const { features, errors, scores, rows } = await this.scoreFeatures(data, opts);
    const nf = features.length;
    const top = opts.top ?? 3;
    const out: { row: number; score: number; anomaly: boolean; top: { feature: string; error: number; share: number }[] }[] = [];
    for (let r = 0; r < rows; r++) {
      const anomaly = scores[r] > this.threshold;
      if (opts.onlyAnomalies && !anomaly) continue;
      const total = scores[r] * nf || 1;
      const idx = topFeatures(errors, nf, r, top);
      out.push({ row: r, score: scores[r], anomaly, top: idx.map((f) => ({ feature: features[f], error: errors[r * nf + f], share: errors[r * nf + f] / total })) });
    }
    return out;
  }

  /** The input frame plus `score`, `anomaly` (0/1) and `top_feature` (and `top_feature_2`… with `top`). */
  async predict(data: TableLike, opts: PredictOptions = {}): Promise<DataFrame> {
    const { features, errors, scores, rows } = await this.scoreFeatures(data, opts);
    const nf = features.length;
    const top = Math.max(0, opts.top ?? 1);
    const threshold = this.threshold;
    const extra: Record<string, unknown[]> = { score: Array.from(scores), anomaly: Array.from(scores, (s) => (s > threshold ? 1 : 0)) };
    for (let t = 0; t < top; t++) extra[t === 0 ? 'top_feature' : `top_feature_${t + 1}`] = new Array(rows);
    for (let r = 0; r < rows && top > 0; r++) {
      topFeatures(errors, nf, r, top).forEach((f, t) => (extra[t === 0 ? 'top_feature' : `top_feature_${t + 1}`][r] = features[f]));
    }
    return frameWithColumns(data, extra, { score: 'float32', anomaly: 'int32' });
  }

  /**
   * Predictions for each micro-batch of a stream, windows continued from batch to batch
   * (`for await (const p of ae.predictStream(topic.stream())) …`). Leaving the loop ends the stream.
   */
  async *predictStream(stream: AsyncIterable<TableLike>, opts: Omit<PredictOptions, 'state' | 'stateful'> = {}): AsyncGenerator<DataFrame> {
    const state = new FeatureState(this.spec);
    for await (const batch of stream) {
      if (rowCount(batch) === 0) continue;
      yield await this.predict(batch, { ...opts, state });
    }
  }

  /** Precision, recall, F1, ROC-AUC and the confusion matrix against a label column; per kind when `anomaly_type` exists. */
  evaluate(data: TableLike, opts: EvaluateOptions = {}): Evaluation {
    const label = opts.label ?? 'anomaly';
    const names = columnNames(data);
    const typeColumn = opts.typeColumn === null ? undefined : (opts.typeColumn ?? (names.includes('anomaly_type') ? 'anomaly_type' : undefined));
    const { columns, rows } = columnsOf(data, typeColumn ? [label, typeColumn] : [label]);
    const scores = opts.scores ?? this.scoreSync(data);
    if (scores.length !== rows) throw new KafkalabError(`${scores.length} scores for ${rows} rows`, { code: 'BAD_INPUT', hint: 'pass the scores of these same rows' });
    const labels = Array.from(columns[label] as ArrayLike<unknown>, (v) => (v === true || (typeof v === 'number' && v > 0) || v === '1' || v === 'true' ? 1 : 0));
    return evaluateScores(scores, labels, opts.threshold ?? this.threshold, typeColumn ? columns[typeColumn] : undefined);
  }

  /** Writes model.json + weights.bin (TensorFlow.js layers format) and pipeline.json into `dir`. */
  async save(dir: string): Promise<void> {
    const spec = this.spec;
    await this.model.save(fileSaveHandler(dir));
    const saved: PipelineSpec = { ...spec, metadata: { ...spec.metadata, history: this.history } };
    await writeAtomic(path.join(dir, 'pipeline.json'), JSON.stringify(saved, null, 2) + '\n');
  }

  static async load(dir: string, opts: { logger?: Logger } = {}): Promise<Autoencoder> {
    await initBackend(undefined, opts.logger);
    const file = path.join(dir, 'pipeline.json');
    let spec: PipelineSpec;
    try {
      spec = checkPipeline(JSON.parse(await fs.readFile(file, 'utf8')) as PipelineSpec);
    } catch (err) {
      throw new KafkalabError(`Cannot load ${file} (${(err as Error).message})`, { code: 'MODEL_LOAD', hint: 'pass a folder written by `await ae.save(dir)`', cause: err });
    }
    const model = await tf.loadLayersModel(fileLoadHandler(dir));
    const options = (spec.metadata?.options ?? {}) as AutoencoderOptions;
    const ae = new Autoencoder({ ...options, logger: opts.logger });
    ae.install(spec, model);
    ae.history = spec.metadata?.history as History | undefined;
    return ae;
  }

  /** Generates a standalone scoring app (see the export section of the README). */
  async export(dir: string, opts: import('../export/index').ExportOptions): Promise<import('../export/index').ExportResult> {
    const { exportScoringApp } = require('../export/index') as typeof import('../export/index');
    return exportScoringApp({ spec: this.spec, save: (d: string) => this.save(d), scoreRecords: async (records) => this.scoreSync(records) }, dir, opts);
  }

  /** Layer table and pipeline summary, as text. */
  summary(): string {
    const spec = this.spec;
    const lines: string[] = [];
    this.model.summary(100, undefined, (line: string) => lines.push(line));
    lines.push(`features (${spec.features.length}): ${spec.features.join(', ')}`);
    lines.push(`scaler: ${spec.scaler.kind}; threshold: ${spec.threshold.value.toPrecision(6)} (${spec.threshold.method}${spec.threshold.percentile !== undefined ? ` p${spec.threshold.percentile}` : ''}${spec.threshold.k !== undefined ? ` k=${spec.threshold.k}` : ''})`);
    return lines.join('\n');
  }

  /** Frees the model's tensors. */
  dispose(): void {
    this.net?.dispose();
    this.net = undefined;
  }
}

function notFitted(): KafkalabError {
  return new KafkalabError('The autoencoder is not trained yet', { code: 'NOT_FITTED', hint: 'call `await ae.fit(df)` or `Autoencoder.load(dir)` first' });
}
