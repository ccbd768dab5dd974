/**
 * Training a new network from a table or a stream: from the Autoencoder's options and the data
 * to a fitted pipeline spec (features, fills, scaler, threshold) and its trained model. The
 * Autoencoder installs the result; nothing here touches an Autoencoder instance.
 */
import type { Logger } from '../util/log';
import { KafkalabError } from '../util/errors';
import { parseDuration } from '../util/duration';
import { badOption, checkOptions, optionKeys } from '../util/options';
import { mulberry32 } from '../util/prng';
import type { tf } from '../runtime/score/backend';
import { columnNames, columnsOf, rowCount, TableLike } from './input';
import { Activation, buildNetwork } from './model';
import { FeatureState, featureDistribution, featureMatrix, fitScaler, forward, PipelineSpec, rowScores, scaleInPlace } from '../runtime';
import { type AutoencoderOptions, makeSpec, neededColumns, type NeededColumns } from './spec';
import { fitStream } from './stream-fit';
import { checkThresholdRule, computeThreshold, ThresholdRule } from './threshold';
import { checkValidationOptions, DEFAULT_VALIDATION_FRACTION, lastRows, rowsPerHour, splitRows, timeColumn, type Split, type ValidationOptions } from './split';
import { BatchTrainer, checkEarlyStopping, EarlyStopper, EarlyStoppingOptions, History, meanError, Progress, shuffleRows, type Trainer } from './train';
import { FusedTrainer, fusedLayers } from './fused-trainer';
import { buildSequenceNetwork, gatherWindows, sequenceWindows, trainSequence, windowScores } from './sequence';

export interface FitOptions {
  /** Passes over the data (default 10); for a stream, passes over each micro-batch (default 1). */
  epochs?: number;
  batchSize?: number;
  /** Fraction held out for validation and the threshold, Keras-style: the last rows of a frame, a random sample of a stream. */
  validationSplit?: number;
  /**
   * Which rows validate and calibrate the threshold (frames): the latest by time, whole keys
   * (devices), or random rows, e.g. `{ by: 'time', fraction: 0.2 }`. Default `{ by: 'random',
   * fraction: 0.2 }` (chosen by bench/calibration.ts). Streams hold out random rows only.
   */
  validation?: ValidationOptions;
  shuffle?: boolean;
  earlyStopping?: EarlyStoppingOptions | boolean;
  threshold?: ThresholdRule;
  onEpoch?: (p: Progress) => unknown;
  onBatch?: (p: Progress) => unknown;
  /** Streams: stop after this many rows, or after this long (milliseconds or '10m'); any input: on abort. */
  maxRows?: number;
  maxMs?: number | string;
  signal?: AbortSignal;
  /** Streams: rows the scaler is fitted on before training (default 2000). */
  warmupRows?: number;
  /** Streams: size of the validation reservoir (default 5000). */
  validationRows?: number;
  /** Streams: training rows between evaluations (default 20 x batchSize). */
  evaluateEvery?: number;
  /** Called once after training succeeded (a spread `trainingProgress()` draws its final state here). */
  done?: () => unknown;
  /** Not read: lets `{ ...trainingProgress() }` be spread into the options (fit returns its own History). */
  history?: unknown;
  /**
   * Who runs the training steps: 'auto' (default) = the fused typed-array trainer for plain dense
   * networks, tfjs otherwise; 'tfjs' forces tfjs's optimizer; 'fused' fails when it cannot apply.
   * KAFKALAB_TRAINER=tfjs|fused sets the default for a process.
   */
  trainer?: 'auto' | 'fused' | 'tfjs';
}

export const FIT_OPTIONS = optionKeys<FitOptions>()([
  'epochs', 'batchSize', 'validationSplit', 'validation', 'shuffle', 'earlyStopping', 'threshold', 'onEpoch', 'onBatch', 'maxRows', 'maxMs', 'signal', 'warmupRows', 'validationRows', 'evaluateEvery',
  'done', 'history', 'trainer',
]);

/** Throws a BAD_OPTION error for an unknown option or a bad value, before any data is read. */
export function checkFitOptions(opts: FitOptions): void {
  const what = 'fit()';
  checkOptions(what, opts, FIT_OPTIONS);
  for (const name of ['epochs', 'batchSize', 'warmupRows', 'validationRows', 'evaluateEvery'] as const) {
    const v = opts[name];
    if (v !== undefined && !(Number.isSafeInteger(v) && v > 0)) throw badOption(what, name, v, 'a positive integer', `${name}: ${FIT_EXAMPLES[name]}`);
  }
  // 0 is allowed, as in Keras: no held-out rows, the threshold then comes from the training rows.
  const split = opts.validationSplit;
  if (split !== undefined && !(typeof split === 'number' && split >= 0 && split < 1)) throw badOption(what, 'validationSplit', split, 'a fraction in [0, 1)', 'validationSplit: 0.1');
  if (opts.validation !== undefined) {
    checkValidationOptions(opts.validation);
    if (split !== undefined) throw badOption(what, 'validation', opts.validation, 'not given together with validationSplit', "validation: { by: 'time', fraction: 0.2 } alone");
  }
  if (opts.maxRows !== undefined && !(opts.maxRows === Infinity || (Number.isSafeInteger(opts.maxRows) && opts.maxRows > 0))) throw badOption(what, 'maxRows', opts.maxRows, 'a positive integer', 'maxRows: 500_000');
  if (opts.maxMs !== undefined) parseDuration(opts.maxMs, 'maxMs');
  if (opts.shuffle !== undefined && typeof opts.shuffle !== 'boolean') throw badOption(what, 'shuffle', opts.shuffle, 'true or false');
  if (opts.earlyStopping !== undefined) checkEarlyStopping(opts.earlyStopping);
  if (opts.threshold !== undefined) checkThresholdRule(opts.threshold);
  for (const name of ['onEpoch', 'onBatch', 'done'] as const) {
    if (opts[name] !== undefined && typeof opts[name] !== 'function') throw badOption(what, name, opts[name], 'a function', `${name}: (p) => console.log(p.epoch, p.loss)`);
  }
  if (opts.trainer !== undefined && !['auto', 'fused', 'tfjs'].includes(opts.trainer)) throw badOption(what, 'trainer', opts.trainer, "'auto', 'fused' or 'tfjs'", "trainer: 'tfjs'");
  if (opts.signal !== undefined && !(opts.signal && typeof opts.signal.aborted === 'boolean' && typeof opts.signal.addEventListener === 'function')) {
    throw badOption(what, 'signal', opts.signal, 'an AbortSignal', 'signal: AbortSignal.timeout(60_000)');
  }
}

const FIT_EXAMPLES = { epochs: 20, batchSize: 256, warmupRows: 2000, validationRows: 5000, evaluateEvery: 5120 };

/** A freshly trained pipeline: the caller owns (and must eventually dispose) the model. */
export interface Trained {
  spec: PipelineSpec;
  model: tf.LayersModel;
  history: History;
}

/** The default hold-out when neither `validation` nor `validationSplit` is given. */
export const DEFAULT_VALIDATION: ValidationOptions = { by: 'random', fraction: DEFAULT_VALIDATION_FRACTION };

/** Trains on the rows of a frame, records or columns, holding out validation rows (see FitOptions.validation). */
export async function fitTable(options: AutoencoderOptions, data: TableLike, opts: FitOptions, log: Logger): Promise<Trained> {
  const started = Date.now();
  const rows = rowCount(data);
  if (rows < 2) throw new KafkalabError(`Cannot train on ${rows} row(s)`, { code: 'NO_DATA', hint: 'read more data, e.g. topic.read({ from: "earliest" })' });
  const names = columnNames(data);
  const need = neededColumns(options, names, data);
  const time = timeColumn(names, opts.validation?.by === 'time' ? opts.validation.column : undefined);
  const extra = [time, opts.validation?.by === 'key' ? (opts.validation.column ?? options.key ?? '_key') : undefined].filter((c): c is string => !!c && names.includes(c) && !need.columns.includes(c));
  const { columns } = columnsOf(data, [...need.columns, ...extra], need.optional);
  const split = chooseRows(rows, opts, columns, names, options);
  const nTrain = split.train.length;
  const trainColumns = split.info.by === 'last' || split.info.by === 'training' ? columns : gatherColumns(columns, need.inputs, split.train);
  const spec = makeSpec(options, need.inputs, need.key, [{ columns: trainColumns, rows: nTrain }]);
  const nf = spec.features.length;
  // Features over all rows in their order (window state runs through held-out rows as it will in production).
  const matrix = featureMatrix(spec, columns, rows);
  const contiguous = split.info.by === 'last' || split.info.by === 'training';
  const train = contiguous ? matrix.subarray(0, nTrain * nf) : gatherRows(matrix, nf, split.train);
  const val = contiguous ? matrix.subarray(nTrain * nf) : gatherRows(matrix, nf, split.validation);
  spec.scaler = fitScaler(options.scaler ?? 'standard', train, nf);
  // Contiguous: train and val are views of one matrix; otherwise two copies.
  if (contiguous) scaleInPlace(spec.scaler, matrix);
  else {
    scaleInPlace(spec.scaler, train);
    scaleInPlace(spec.scaler, val);
  }
  spec.distribution = featureDistribution(train, nf);
  if (spec.sequence) {
    // Windows over every row in order, held-out rows included, as production builds them.
    const scaled = contiguous ? matrix : scaleInPlace(spec.scaler, matrix);
    return fitSequenceTable(options, spec, opts, { scaled, rows, keys: spec.key === undefined ? undefined : columns[spec.key], split, context: { validation: split.info, rowsPerHour: rowsPerHour(time ? columns[time] : undefined, rows) }, started, log });
  }

  const { model, trainer, stopper } = makeNetwork(options, spec, opts);
  const epochs = opts.epochs ?? 10;
  const batchSize = opts.batchSize ?? 256;
  const batches = Math.ceil(nTrain / batchSize);
  const shuffled = opts.shuffle === false ? train : new Float32Array(train.length);
  const random = mulberry32((options.seed ?? 42) ^ 0x5eed);
  const history: History = { loss: [], valLoss: [], epochs: 0, rowsPerSec: 0, rows: 0, elapsedMs: 0, bestEpoch: 0, trainer: trainer.kind, stopReason: 'epochs' };
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      if (opts.signal?.aborted) {
        history.stopReason = 'signal';
        break;
      }
      if (opts.shuffle !== false) shuffleRows(train, shuffled, nf, random);
      const onBatch = opts.onBatch ? (b: number, loss: number) => void opts.onBatch!(progress(epoch, epochs, loss, undefined, trainer, started, b, batches)) : undefined;
      const { lossSum, rows: done } = await trainer.pass(shuffled, batchSize, onBatch, () => opts.signal?.aborted === true);
      const loss = lossSum / Math.max(1, done);
      const valLoss = val.length ? meanError(model, val, nf) : NaN;
      history.loss.push(loss);
      history.valLoss.push(valLoss);
      history.epochs = epoch;
      await opts.onEpoch?.(progress(epoch, epochs, loss, valLoss, trainer, started));
      if (stopper.update(epoch, val.length && stopper.monitor !== 'loss' ? valLoss : loss)) {
        history.stopReason = 'earlyStopping';
        break;
      }
    }
    history.bestEpoch = stopper.finish(history.epochs);
    history.rows = trainer.rows;
    history.rowsPerSec = trainer.rowsPerSec;
    history.rowsPerCpuSec = trainer.trainCpuMs > 0 ? (trainer.rows / trainer.trainCpuMs) * 1000 : 0;
    // Threshold from held-out rows; without any, from the training rows (optimistic, documented).
    const sample = val.length ? val : train;
    const context = { validation: split.info, rowsPerHour: rowsPerHour(time ? columns[time] : undefined, rows) };
    spec.threshold = computeThreshold(rowScores(sample, forward(model, sample, sample.length / nf, nf), nf), opts.threshold, context);
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    trainer.dispose();
  }
  history.elapsedMs = Date.now() - started;
  log.info('trained', { rows, epochs: history.epochs, loss: history.loss.at(-1), valLoss: history.valLoss.at(-1), threshold: spec.threshold.value });
  return { spec, model, history };
}

async function fitSequenceTable(
  options: AutoencoderOptions,
  spec: PipelineSpec,
  opts: FitOptions,
  d: { scaled: Float32Array; rows: number; keys: ArrayLike<unknown> | undefined; split: Split; context: Parameters<typeof computeThreshold>[2]; started: number; log: Logger },
): Promise<Trained> {
  if (opts.earlyStopping) throw badOption('fit()', 'earlyStopping', opts.earlyStopping, 'left out for a sequence model (not supported there yet)');
  const nf = spec.features.length;
  const steps = spec.sequence!.length;
  const span = steps * nf;
  const windows = sequenceWindows(spec, d.scaled, d.rows, d.keys);
  const train = gatherWindows(windows, span, d.split.train);
  const val = gatherWindows(windows, span, d.split.validation);
  const seed = options.seed ?? 42;
  const model = buildSequenceNetwork(steps, nf, { filters: spec.model.layers[0], bottleneck: spec.model.layers[1], activation: (options.activation ?? 'relu') as Activation, seed });
  try {
    const epochs = opts.epochs ?? 10;
    const history = await trainSequence(model, spec, train, val, {
      epochs, batchSize: opts.batchSize ?? 256, learningRate: options.learningRate ?? 1e-3, shuffle: opts.shuffle !== false, seed, signal: opts.signal, trainer: opts.trainer ?? defaultTrainer(),
      onEpoch: (epoch, loss, valLoss, rowsPerSec) => opts.onEpoch?.({ epoch, epochs, loss, valLoss, rows: train.length / span * epoch, rowsPerSec, elapsed: Date.now() - d.started } as Progress),
    });
    const sample = val.length ? val : train;
    spec.threshold = computeThreshold(windowScores(model, sample, steps, nf), opts.threshold, d.context);
    history.elapsedMs = Date.now() - d.started;
    d.log.info('trained', { rows: d.rows, epochs: history.epochs, loss: history.loss.at(-1), valLoss: history.valLoss.at(-1), threshold: spec.threshold.value, sequence: steps });
    return { spec, model, history };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/** Trains on micro-batches as they arrive (see stream-fit.ts); the scaler comes from the warm-up rows. */
export async function fitStreamData(options: AutoencoderOptions, stream: AsyncIterable<TableLike>, opts: FitOptions): Promise<Trained> {
  const batchSize = opts.batchSize ?? 256;
  if (options.sequence) throw new KafkalabError('A sequence model trains from a table, not a stream', { code: 'BAD_OPTION', hint: "read the training rows first: ae.fit(await topic.read({ from: '-1d' }))" });
  if (opts.validation && opts.validation.by !== 'random') {
    throw new KafkalabError(`A stream cannot hold out validation rows by ${opts.validation.by}: rows arrive one micro-batch at a time`, { code: 'BAD_OPTION', hint: "fit a frame read from the topic (topic.read()) for validation by time or key, or use validation: { by: 'random' }" });
  }
  if (opts.validation) opts = { ...opts, validationSplit: opts.validation.fraction ?? DEFAULT_VALIDATION_FRACTION };
  let need: NeededColumns | undefined;
  let network: ReturnType<typeof makeNetwork> | undefined;
  let spec: PipelineSpec | undefined;
  try {
    const { history, validation } = await fitStream(
      stream,
      (first) => (need = neededColumns(options, columnNames(first), first)),
      (warm) => {
        spec = makeSpec(options, need!.inputs, need!.key, warm);
        const state = new FeatureState(spec);
        const parts = warm.map((c) => featureMatrix(spec!, c.columns, c.rows, state));
        const nf = spec.features.length;
        const all = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
        parts.reduce((at, p) => (all.set(p, at), at + p.length), 0);
        spec.scaler = fitScaler(options.scaler ?? 'standard', all, nf);
        spec.distribution = featureDistribution(scaleInPlace(spec.scaler, all), nf);
        network = makeNetwork(options, spec, opts);
        return { spec, ...network };
      },
      {
        batchSize,
        epochs: opts.epochs ?? 1,
        validationSplit: opts.validationSplit ?? 0.1,
        warmupRows: opts.warmupRows ?? 2000,
        validationRows: opts.validationRows ?? 5000,
        evaluateEvery: opts.evaluateEvery ?? 20 * batchSize,
        maxRows: opts.maxRows ?? Infinity,
        maxMs: opts.maxMs === undefined ? Infinity : parseDuration(opts.maxMs, 'maxMs'),
        signal: opts.signal,
        seed: options.seed ?? 42,
        onEpoch: opts.onEpoch,
        onBatch: opts.onBatch,
      },
    );
    history.trainer = network!.trainer.kind;
    const validationInfo = { by: opts.validationSplit === 0 ? ('training' as const) : ('random' as const), fraction: opts.validationSplit ?? 0.1, rows: validation.length / spec!.features.length };
    history.rowsPerCpuSec = network!.trainer.trainCpuMs > 0 ? (network!.trainer.rows / network!.trainer.trainCpuMs) * 1000 : 0;
    const nf = spec!.features.length;
    spec!.threshold = computeThreshold(rowScores(validation, forward(network!.model, validation, validation.length / nf, nf), nf), opts.threshold, { validation: validationInfo });
    return { spec: spec!, model: network!.model, history };
  } catch (err) {
    network?.model.dispose();
    throw err;
  } finally {
    network?.trainer.dispose();
  }
}

function progress(epoch: number, epochs: number, loss: number, valLoss: number | undefined, trainer: Trainer, started: number, batch?: number, batches?: number): Progress {
  const p: Progress = { epoch, epochs, loss, valLoss, rows: trainer.rows, rowsPerSec: trainer.rowsPerSec, elapsed: Date.now() - started };
  if (batch !== undefined) Object.assign(p, { batch, batches });
  return p;
}

function makeNetwork(options: AutoencoderOptions, spec: PipelineSpec, opts: FitOptions) {
  const model = buildNetwork({
    inputSize: spec.features.length,
    layers: spec.model.layers,
    activation: spec.model.activation as Activation,
    outputActivation: spec.model.outputActivation as Activation,
    l2: options.l2 ?? 0,
    dropout: options.dropout ?? 0,
    seed: options.seed ?? 42,
  });
  const trainer = makeTrainer(model, spec.features.length, options.learningRate ?? 1e-3, options.l2 ?? 0, opts.trainer);
  const es = opts.earlyStopping === true ? {} : opts.earlyStopping === false ? undefined : opts.earlyStopping;
  const stopper = new EarlyStopper(model, es);
  return { model, trainer, stopper };
}

/** The fused trainer where it applies (and unless told otherwise), else tfjs's. */
export function makeTrainer(model: tf.LayersModel, features: number, learningRate: number, l2: number, choice: FitOptions['trainer'] = defaultTrainer()): Trainer {
  if (choice === 'tfjs') return new BatchTrainer(model, features, learningRate, l2);
  const layers = fusedLayers(model);
  if (typeof layers !== 'string') return new FusedTrainer(model, features, learningRate, l2, layers);
  if (choice === 'fused') throw new KafkalabError(`The fused trainer cannot train this network (${layers})`, { code: 'BAD_OPTION', hint: "use trainer: 'auto' or 'tfjs'" });
  return new BatchTrainer(model, features, learningRate, l2);
}

function defaultTrainer(): FitOptions['trainer'] {
  const env = process.env.KAFKALAB_TRAINER?.trim().toLowerCase();
  if (!env) return 'auto';
  if (env === 'auto' || env === 'fused' || env === 'tfjs') return env;
  throw new KafkalabError(`KAFKALAB_TRAINER="${env}" is not a trainer`, { code: 'BAD_OPTION', hint: 'use auto, fused or tfjs, or unset it' });
}

/** validationSplit: Keras's last rows; else `validation`, else DEFAULT_VALIDATION. */
function chooseRows(rows: number, opts: FitOptions, columns: Record<string, ArrayLike<unknown>>, names: string[], options: AutoencoderOptions): Split {
  if (opts.validationSplit !== undefined) return lastRows(rows, Math.floor(rows * opts.validationSplit));
  return splitRows(rows, opts.validation ?? DEFAULT_VALIDATION, columns, names, options.seed ?? 42, options.key);
}

function gatherRows(matrix: Float32Array, nf: number, rows: Uint32Array): Float32Array {
  const out = new Float32Array(rows.length * nf);
  for (let i = 0, o = 0; i < rows.length; i++) {
    const s = rows[i] * nf;
    for (let j = 0; j < nf; j++) out[o++] = matrix[s + j];
  }
  return out;
}

function gatherColumns(columns: Record<string, ArrayLike<unknown>>, names: string[], rows: Uint32Array): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const n of names) {
    const col = columns[n];
    if (!col) continue;
    const c = new Array<unknown>(rows.length);
    for (let i = 0; i < rows.length; i++) c[i] = col[rows[i]];
    out[n] = c;
  }
  return out;
}
