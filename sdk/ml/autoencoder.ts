/**
 * The Autoencoder: learns normal behaviour from the chosen features (raw readings plus
 * windowed statistics per key), and scores rows by how badly it reconstructs them. Scoring is
 * the runtime's Scorer (sdk/runtime/score), the code an exported app runs: same rows rejected,
 * same features, same scores. `ae.export()` is added by sdk/export (ml does not depend on export).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { DataFrame } from 'danfojs-node';
import { KafkalabError } from '../util/errors';
import { badOption, checkOptions, optionKeys } from '../util/options';
import { defaultLogger, Logger } from '../util/log';
import { initBackend, tf } from '../runtime/score/backend';
import { loadModel } from '../runtime/score/model';
import { checkFitOptions, fitStreamData, fitTable, type FitOptions } from './fit';
import { columnNames, columnsOf, isDataFrame, rowCount, scoringColumns, TableLike } from './input';
import { fileSaveHandler, writeAtomic } from './io';
import { Evaluation, evaluateScores } from './metrics';
import { checkPipeline, DriftMonitor, FeatureState, featureMatrix, PipelineSpec, scaleInPlace, Scorer, topFeatures, topFeaturesInto, windowFeatureNames, type DriftReport, type RowScores, type ThresholdSpec } from '../runtime';
import type { KafkaClient } from '../kafka/client';
import { publishModel, type ModelPublishOptions, type ModelPublishResult } from './production';
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
  /** Squared error per row and feature, row-major (NaN for a row that cannot be scored). */
  errors: Float32Array;
  /** NaN for a row that cannot be scored. */
  scores: Float32Array;
  /** Per row: why it cannot be scored (what an exported app's dead-letter header says), or undefined. */
  problems: (string | undefined)[];
  rows: number;
}

export const SCORE_OPTIONS = optionKeys<ScoreOptions>()(['stateful', 'state']);
export const PREDICT_OPTIONS = optionKeys<PredictOptions>()(['stateful', 'state', 'top']);
export const EXPLAIN_OPTIONS = optionKeys<ExplainOptions>()(['stateful', 'state', 'top', 'onlyAnomalies']);
export const PREDICT_STREAM_OPTIONS = optionKeys<Omit<PredictOptions, 'state' | 'stateful'>>()(['top']);
export const EVALUATE_OPTIONS = optionKeys<EvaluateOptions>()(['label', 'typeColumn', 'scores', 'threshold']);
export const WATCH_OPTIONS = optionKeys<DriftWatchOptions>()(['window']);
export interface DriftWatchOptions {
  /** Rows the drift figures cover (between one and two windows of the latest rows). Default 50,000. */
  window?: number;
}
export const LOAD_OPTIONS = optionKeys<{ logger?: Logger }>()(['logger']);

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
  private scorer: Scorer | undefined;
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
    this.scorer = new Scorer(spec, model);
    this.online = undefined;
  }

  /** Scaled feature matrix of a table; window state fresh, or the online one when stateful. */
  matrix(data: TableLike, opts: ScoreOptions = {}): Float32Array {
    checkScoreOptions('matrix()', opts, SCORE_OPTIONS);
    return this.scaledMatrix(data, opts);
  }

  private scaledMatrix(data: TableLike, opts: ScoreOptions): Float32Array {
    const spec = this.spec;
    const { columns, rows } = columnsOf(data, this.inputColumns());
    return scaleInPlace(spec.scaler, featureMatrix(spec, columns, rows, this.stateFor(opts)));
  }

  private inputColumns(): string[] {
    const spec = this.spec;
    return spec.key ? [...spec.inputs.map((i) => i.name), spec.key] : spec.inputs.map((i) => i.name);
  }

  /** The window state a call continues: the one passed, the online one when stateful, else a fresh one. */
  private stateFor(opts: ScoreOptions): FeatureState {
    const spec = this.spec;
    if (opts.state && opts.state.spec.features.join('\n') !== spec.features.join('\n')) {
      throw new KafkalabError('The window state passed as `state` belongs to another model', { code: 'BAD_OPTION', hint: 'create it from this model: new FeatureState(ae.spec) (again after each fit)' });
    }
    return opts.state ?? (opts.stateful ? (this.online ??= new FeatureState(spec)) : new FeatureState(spec));
  }

  /** Forgets the window state kept by `stateful` scoring. */
  resetState(): void {
    this.online = undefined;
  }

  /** Every row through the runtime's Scorer: scores and errors, NaN where a row cannot be scored. */
  private rowScores(data: TableLike, opts: ScoreOptions, errors = true): RowScores {
    if (!this.scorer) throw notFitted();
    const { columns, rows } = scoringColumns(data, this.inputColumns());
    return this.scorer.scoreRows(columns, rows, this.stateFor(opts), { errors });
  }

  /** Reconstruction error per row (the anomaly score), synchronous; NaN for a row that cannot be scored (see explain()). */
  scoreSync(data: TableLike, opts: ScoreOptions = {}): Float32Array {
    checkScoreOptions('score()', opts, SCORE_OPTIONS);
    return this.rowScores(data, opts, false).scores;
  }

  async score(data: TableLike, opts: ScoreOptions = {}): Promise<Float32Array> {
    return this.scoreSync(data, opts);
  }

  /** Per-feature squared errors (row-major, `features` columns), the row scores and why rows cannot be scored. */
  async scoreFeatures(data: TableLike, opts: ScoreOptions = {}): Promise<FeatureScores> {
    checkScoreOptions('scoreFeatures()', opts, SCORE_OPTIONS);
    const { errors, scores, problems, rows } = this.rowScores(data, opts);
    return { features: this.features, errors, scores, problems, rows };
  }

  /**
   * Per row: score, anomaly flag, and the `top` features with the largest errors and their share
   * of the error; a row that cannot be scored has score NaN and `problem`, the reason an exported
   * app gives when it dead-letters that record.
   */
  async explain(data: TableLike, opts: ExplainOptions = {}) {
    checkScoreOptions('explain()', opts, EXPLAIN_OPTIONS);
    const { errors, scores, problems, rows } = this.rowScores(data, opts);
    const features = this.features;
    const nf = features.length;
    const top = opts.top ?? 3;
    const out: { row: number; score: number; anomaly: boolean; top: { feature: string; error: number; share: number }[]; problem?: string }[] = [];
    for (let r = 0; r < rows; r++) {
      const anomaly = this.scorer!.isAnomaly(scores[r]);
      if (opts.onlyAnomalies && !anomaly) continue;
      const problem = problems[r];
      if (problem !== undefined) {
        out.push({ row: r, score: scores[r], anomaly, top: [], problem });
        continue;
      }
      const total = scores[r] * nf || 1;
      const idx = topFeatures(errors, nf, r, top);
      out.push({ row: r, score: scores[r], anomaly, top: idx.map((f) => ({ feature: features[f], error: errors[r * nf + f], share: errors[r * nf + f] / total })) });
    }
    return out;
  }

  /**
   * The input frame plus `score`, `anomaly` (0/1) and `top_feature` (and `top_feature_2`… with
   * `top`); plus `problem` when some row cannot be scored (its score is NaN, anomaly 0).
   */
  async predict(data: TableLike, opts: PredictOptions = {}): Promise<DataFrame> {
    checkScoreOptions('predict()', opts, PREDICT_OPTIONS);
    const { errors, scores, problems, rows } = this.rowScores(data, opts);
    const features = this.features;
    const nf = features.length;
    const top = opts.top ?? 1;
    const extra: Record<string, ArrayLike<unknown>> = { score: scores, anomaly: Int32Array.from(scores, (s) => (this.scorer!.isAnomaly(s) ? 1 : 0)) };
    const names: (string | null)[][] = [];
    for (let t = 0; t < top; t++) extra[t === 0 ? 'top_feature' : `top_feature_${t + 1}`] = names[t] = new Array<string | null>(rows).fill(null);
    const idx = new Int32Array(Math.min(top, nf));
    for (let r = 0; r < rows && top > 0; r++) {
      if (problems[r] !== undefined) continue;
      const n = topFeaturesInto(errors, nf, r, idx);
      for (let t = 0; t < n; t++) names[t][r] = features[idx[t]];
    }
    if (problems.some((p) => p !== undefined)) extra.problem = problems.map((p) => p ?? null);
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
  async calibrate(data: TableLike, opts: CalibrateOptions = {}): Promise<ThresholdSpec & { summary: string }> {
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
  /**
   * Publishes this model as a new version on a compacted models topic (created when missing):
   * exported apps with MODEL_TOPIC swap to it between batches (role 'live', the default) or score
   * with it in shadow (role 'candidate'; `promoteModel` makes it live).
   */
  publish(kafka: KafkaClient, topic: string, opts: ModelPublishOptions = {}): Promise<ModelPublishResult> {
    return publishModel(kafka, topic, { spec: this.spec, model: this.model, history: this.history }, opts);
  }

  /** How far `data` has drifted from the training rows: PSI per feature against the training distribution in pipeline.json. */
  drift(data: TableLike, opts: ScoreOptions = {}): DriftReport {
    const monitor = this.driftMonitor(Infinity);
    const x = this.matrix(data, opts);
    monitor.observe(x, x.length / this.spec.features.length);
    return monitor.report();
  }

  /**
   * Drift of a stream as it runs: after each micro-batch, one flat row with `_timestamp`, `rows`
   * (covered), `batchRows`, `psi_max`, `psi_max_feature` and `psi_<feature>` per feature, over
   * the latest `window` to 2 x `window` rows, windows continued from batch to batch. The kernel's
   * `watch(ae.watch(topic.stream()), { y: ['psi_max'] })` charts it live; leaving the loop ends the stream.
   */
  async *watch(stream: AsyncIterable<TableLike>, opts: DriftWatchOptions = {}): AsyncGenerator<Record<string, number | string>> {
    checkOptions('watch()', opts, WATCH_OPTIONS);
    if (opts.window !== undefined && !(Number.isInteger(opts.window) && opts.window > 0)) throw badOption('watch()', 'window', opts.window, 'a positive integer', 'window: 50_000');
    const monitor = this.driftMonitor(opts.window ?? 50_000);
    const state = new FeatureState(this.spec);
    for await (const batch of stream) {
      const rows = rowCount(batch);
      if (rows === 0) continue;
      const x = this.matrix(batch, { state });
      monitor.observe(x, rows);
      const d = monitor.report();
      const point: Record<string, number | string> = { _timestamp: Date.now(), rows: d.rows, batchRows: rows, psi_max: d.max, psi_max_feature: d.feature ?? '' };
      for (const [f, v] of Object.entries(d.psi)) point[`psi_${f}`] = v;
      yield point;
    }
  }

  private driftMonitor(window: number): DriftMonitor {
    if (!DriftMonitor.supports(this.spec)) throw new KafkalabError('This model has no training distribution to measure drift against', { code: 'NO_DISTRIBUTION', hint: 'fit it again with this kafkalab version (fit() records the distribution in pipeline.json)' });
    return new DriftMonitor(this.spec, window);
  }

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
    const model = await loadModel(dir);
    // Only the options this version knows: a pipeline.json from a newer kafkalab still loads.
    const saved = (spec.metadata?.options ?? {}) as Record<string, unknown>;
    const options = Object.fromEntries(Object.entries(saved).filter(([k]) => (AUTOENCODER_OPTIONS as readonly string[]).includes(k))) as AutoencoderOptions;
    const ae = new Autoencoder({ ...options, logger: opts.logger });
    ae.install(spec, model);
    ae.history = spec.metadata?.history as History | undefined;
    return ae;
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
    this.scorer = undefined;
  }
}

function notFitted(): KafkalabError {
  return new KafkalabError('The autoencoder is not trained yet', { code: 'NOT_FITTED', hint: 'call `await ae.fit(df)` or `Autoencoder.load(dir)` first' });
}
