/**
 * The Autoencoder: learns normal behaviour from the chosen features (raw readings plus
 * windowed statistics per key), and scores rows by how badly it reconstructs them. All feature
 * arithmetic goes through pipeline.ts, so the exported app computes exactly the same scores.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { DataFrame } from 'danfojs-node';
import { KafkalabError } from '../util/errors';
import { badOption, checkOptions, optionKeys } from '../util/options';
import type { ExportOptions, ExportResult } from '../export/index';
import { defaultLogger, Logger } from '../util/log';
import { initBackend, tf } from './backend';
import { checkFitOptions, fitStreamData, fitTable, type FitOptions } from './fit';
import { columnNames, columnsOf, isDataFrame, rowCount, TableLike } from './input';
import { fileLoadHandler, fileSaveHandler, writeAtomic } from './io';
import { Evaluation, evaluateScores } from './metrics';
import { reconstruct } from './model';
import { checkPipeline, featureErrors, topFeatures, FeatureState, featureMatrix, PipelineSpec, rowScores, scaleInPlace, windowFeatureNames, type ThresholdSpec } from './pipeline';
import type { History } from './train';
import { frameWithColumns, isPredicted, predictedLabel, predictedScores } from './table';
import { AUTOENCODER_OPTIONS, type AutoencoderOptions, checkAutoencoderOptions } from './spec';
import { calibrateThreshold, checkCalibrateOptions, labelColumn, toLabel, type CalibrateOptions } from './calibrate';
import { rowsPerHour, timeColumn } from './split';
import { describeThreshold } from './threshold';

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

export interface ExplainOptions extends PredictOptions {
  /** Only the rows over the threshold. */
  onlyAnomalies?: boolean;
}

export interface EvaluateOptions {
  /** Label column, 1/true for anomalies (default 'anomaly'; 'anomaly_label' on a frame from predict()). */
  label?: string;
  /** Column with the anomaly kind, for per-kind figures (default 'anomaly_type' when present). */
  typeColumn?: string | null;
  /** Scores already computed for these rows (skips scoring; a frame from predict() has them in `score`). */
  scores?: ArrayLike<number>;
  threshold?: number;
}

export interface FeatureScores {
  features: string[];
  /** Squared error per row and feature, row-major. */
  errors: Float32Array;
  scores: Float32Array;
  rows: number;
}

export const SCORE_OPTIONS = optionKeys<ScoreOptions>()(['stateful', 'state']);
export const PREDICT_OPTIONS = optionKeys<PredictOptions>()(['stateful', 'state', 'top']);
export const EXPLAIN_OPTIONS = optionKeys<ExplainOptions>()(['stateful', 'state', 'top', 'onlyAnomalies']);
export const PREDICT_STREAM_OPTIONS = optionKeys<Omit<PredictOptions, 'state' | 'stateful'>>()(['top']);
export const EVALUATE_OPTIONS = optionKeys<EvaluateOptions>()(['label', 'typeColumn', 'scores', 'threshold']);
export const LOAD_OPTIONS = optionKeys<{ logger?: Logger }>()(['logger']);
export const EXPORT_OPTIONS = optionKeys<ExportOptions>()([
  'input', 'output', 'dlq', 'group', 'name', 'outputMode', 'brokers', 'autoOffsetReset', 'batchSize', 'batchMs', 'topFeatures', 'golden', 'tolerance', 'force',
]);

function checkScoreOptions(what: string, opts: ExplainOptions, allowed: readonly string[]): void {
  checkOptions(what, opts, allowed);
  if (opts.stateful !== undefined && typeof opts.stateful !== 'boolean') throw badOption(what, 'stateful', opts.stateful, 'true or false');
  if (opts.state !== undefined && !(opts.state instanceof FeatureState)) throw badOption(what, 'state', opts.state, 'a FeatureState', 'state: new FeatureState(ae.spec)');
  if (opts.top !== undefined && !(Number.isSafeInteger(opts.top) && opts.top >= 0)) throw badOption(what, 'top', opts.top, 'an integer >= 0', 'top: 3');
  if (opts.onlyAnomalies !== undefined && typeof opts.onlyAnomalies !== 'boolean') throw badOption(what, 'onlyAnomalies', opts.onlyAnomalies, 'true or false');
}

function checkEvaluateOptions(opts: EvaluateOptions): void {
  const what = 'evaluate()';
  checkOptions(what, opts, EVALUATE_OPTIONS);
  if (opts.label !== undefined && (typeof opts.label !== 'string' || !opts.label)) throw badOption(what, 'label', opts.label, 'a column name', "label: 'anomaly'");
  if (opts.typeColumn !== undefined && opts.typeColumn !== null && (typeof opts.typeColumn !== 'string' || !opts.typeColumn)) {
    throw badOption(what, 'typeColumn', opts.typeColumn, 'a column name or null', "typeColumn: 'anomaly_type'");
  }
  if (opts.scores !== undefined && (opts.scores === null || typeof opts.scores !== 'object' || typeof opts.scores.length !== 'number')) {
    throw badOption(what, 'scores', opts.scores, 'an array of scores, one per row', 'scores: await ae.score(df)');
  }
  if (opts.threshold !== undefined && !(typeof opts.threshold === 'number' && Number.isFinite(opts.threshold))) throw badOption(what, 'threshold', opts.threshold, 'a finite number', 'threshold: 0.8');
}

export class Autoencoder {
  readonly options: Readonly<AutoencoderOptions>;
  history: History | undefined;
  private net: tf.LayersModel | undefined;
  private pipeline: PipelineSpec | undefined;
  private online: FeatureState | undefined;
  private readonly log: Logger;

  constructor(options: AutoencoderOptions = {}) {
    checkAutoencoderOptions(options);
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
    // Keep the validation statistics for the record; what described the old method no longer applies.
    const { mean, std, samples, median, mad, validation } = this.spec.threshold;
    this.spec.threshold = { value, method: 'fixed', mean, std, samples, median, mad, validation };
  }

  /** The underlying tf.LayersModel (for inspection; `ae.summary()` returns its layer table as text). */
  get model(): tf.LayersModel {
    if (!this.net) throw notFitted();
    return this.net;
  }

  async fit(data: TableLike | AsyncIterable<TableLike>, opts: FitOptions = {}): Promise<History> {
    checkFitOptions(opts); // a bad option fails now, not after reading and training
    await initBackend(undefined, this.log);
    const isStream = !Array.isArray(data) && typeof (data as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function' && !isDataFrame(data);
    const { spec, model, history } = isStream ? await fitStreamData(this.options, data as AsyncIterable<TableLike>, opts) : await fitTable(this.options, data as TableLike, opts, this.log);
    this.install(spec, model);
    this.history = history;
    await opts.done?.();
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
    checkScoreOptions('matrix()', opts, SCORE_OPTIONS);
    return this.scaledMatrix(data, opts);
  }

  private scaledMatrix(data: TableLike, opts: ScoreOptions): Float32Array {
    const spec = this.spec;
    if (opts.state && opts.state.spec.features.join('\n') !== spec.features.join('\n')) {
      throw new KafkalabError('The window state passed as `state` belongs to another model', { code: 'BAD_OPTION', hint: 'create it from this model: new FeatureState(ae.spec) (again after each fit)' });
    }
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
    checkScoreOptions('score()', opts, SCORE_OPTIONS);
    const m = this.scaledMatrix(data, opts);
    const nf = this.spec.features.length;
    return rowScores(m, reconstruct(this.model, m, nf), nf);
  }

  async score(data: TableLike, opts: ScoreOptions = {}): Promise<Float32Array> {
    return this.scoreSync(data, opts);
  }

  /** Per-feature squared errors (row-major, `features` columns) and the row scores. */
  async scoreFeatures(data: TableLike, opts: ScoreOptions = {}): Promise<FeatureScores> {
    checkScoreOptions('scoreFeatures()', opts, SCORE_OPTIONS);
    return this.featureScores(data, opts);
  }

  private featureScores(data: TableLike, opts: ScoreOptions): FeatureScores {
    const m = this.scaledMatrix(data, opts);
    const nf = this.spec.features.length;
    const out = reconstruct(this.model, m, nf);
    return { features: this.features, errors: featureErrors(m, out), scores: rowScores(m, out, nf), rows: m.length / nf };
  }

  /** Per row: score, anomaly flag, and the `top` features with the largest errors and their share of the error. */
  async explain(data: TableLike, opts: ExplainOptions = {}) {
    checkScoreOptions('explain()', opts, EXPLAIN_OPTIONS);
    const { features, errors, scores, rows } = this.featureScores(data, opts);
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
    checkScoreOptions('predict()', opts, PREDICT_OPTIONS);
    const { features, errors, scores, rows } = this.featureScores(data, opts);
    const nf = features.length;
    const top = opts.top ?? 1;
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
    checkScoreOptions('predictStream()', opts, PREDICT_STREAM_OPTIONS);
    const state = new FeatureState(this.spec);
    for await (const batch of stream) {
      if (rowCount(batch) === 0) continue;
      yield await this.predict(batch, { ...opts, state });
    }
  }

  /** Precision, recall, F1, ROC-AUC and the confusion matrix against a label column; per kind when `anomaly_type` exists. */
  evaluate(data: TableLike, opts: EvaluateOptions = {}): Evaluation {
    checkEvaluateOptions(opts);
    const names = columnNames(data);
    const predicted = isPredicted(names);
    const label = predicted ? predictedLabel(names, opts.label) : (opts.label ?? 'anomaly');
    const typeColumn = opts.typeColumn === null ? undefined : (opts.typeColumn ?? (names.includes('anomaly_type') ? 'anomaly_type' : undefined));
    const { columns, rows } = columnsOf(data, typeColumn ? [label, typeColumn] : [label]);
    const scores = opts.scores ?? (predicted ? predictedScores(data) : this.scoreSync(data));
    if (scores.length !== rows) throw new KafkalabError(`${scores.length} scores for ${rows} rows`, { code: 'BAD_INPUT', hint: 'pass the scores of these same rows' });
    const labels = Array.from(columns[label] as ArrayLike<unknown>, (v) => (v === true || (typeof v === 'number' && v > 0) || v === '1' || v === 'true' ? 1 : 0));
    return evaluateScores(scores, labels, opts.threshold ?? this.threshold, typeColumn ? columns[typeColumn] : undefined);
  }

  /**
   * Sets the threshold from labelled rows: the one that best meets `target` (F1 by default) on
   * them. Returns the threshold report (also in `ae.spec.threshold` and pipeline.json).
   */
  async calibrate(data: TableLike, opts: CalibrateOptions = {}): Promise<ThresholdSpec> {
    checkCalibrateOptions(opts);
    const names = columnNames(data);
    const label = labelColumn(names, opts.label);
    const time = timeColumn(names);
    const { columns, rows } = columnsOf(data, time ? [label, time] : [label]);
    const labels = Array.from(columns[label] as ArrayLike<unknown>, toLabel);
    const scores = await this.score(data);
    this.spec.threshold = calibrateThreshold(scores, labels, opts, rowsPerHour(time ? columns[time] : undefined, rows));
    return this.thresholdReport();
  }

  /** How the threshold was chosen: method, parameters, validation rows, expected false alarms (and `summary`, one line). */
  thresholdReport(): ThresholdSpec & { summary: string } {
    const t = this.spec.threshold;
    return { ...JSON.parse(JSON.stringify(t)), summary: describeThreshold(t) };
  }

  /** Writes model.json + weights.bin (TensorFlow.js layers format) and pipeline.json into `dir`. */
  async save(dir: string): Promise<void> {
    const spec = this.spec;
    await this.model.save(fileSaveHandler(dir));
    const saved: PipelineSpec = { ...spec, metadata: { ...spec.metadata, history: this.history } };
    await writeAtomic(path.join(dir, 'pipeline.json'), JSON.stringify(saved, null, 2) + '\n');
  }

  static async load(dir: string, opts: { logger?: Logger } = {}): Promise<Autoencoder> {
    checkOptions('Autoencoder.load()', opts, LOAD_OPTIONS);
    await initBackend(undefined, opts.logger);
    const file = path.join(dir, 'pipeline.json');
    let spec: PipelineSpec;
    try {
      spec = checkPipeline(JSON.parse(await fs.readFile(file, 'utf8')) as PipelineSpec);
    } catch (err) {
      throw new KafkalabError(`Cannot load ${file} (${(err as Error).message})`, { code: 'MODEL_LOAD', hint: 'pass a folder written by `await ae.save(dir)`', cause: err });
    }
    const model = await tf.loadLayersModel(fileLoadHandler(dir));
    // Only the options this version knows: a pipeline.json from a newer kafkalab still loads.
    const saved = (spec.metadata?.options ?? {}) as Record<string, unknown>;
    const options = Object.fromEntries(Object.entries(saved).filter(([k]) => (AUTOENCODER_OPTIONS as readonly string[]).includes(k))) as AutoencoderOptions;
    const ae = new Autoencoder({ ...options, logger: opts.logger });
    ae.install(spec, model);
    ae.history = spec.metadata?.history as History | undefined;
    return ae;
  }

  /** Generates a standalone scoring app (see the export section of the README). */
  async export(dir: string, opts: ExportOptions): Promise<ExportResult> {
    checkOptions('export()', opts ?? null, EXPORT_OPTIONS);
    const { exportScoringApp } = require('../export/index') as typeof import('../export/index');
    return exportScoringApp({ spec: this.spec, save: (d: string) => this.save(d), scoreRecords: async (records) => this.scoreSync(records) }, dir, opts);
  }

  /** Layer table and pipeline summary, as text. */
  summary(): string {
    const spec = this.spec;
    const lines: string[] = [];
    this.model.summary(100, undefined, (line: string) => lines.push(line));
    lines.push(`features (${spec.features.length}): ${spec.features.join(', ')}`);
    lines.push(`scaler: ${spec.scaler.kind}; threshold: ${describeThreshold(spec.threshold)}`);
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
