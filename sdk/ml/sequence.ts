/**
 * The sequence autoencoder (`new Autoencoder({ sequence: { length: 16 } })`): over each key's
 * last `length` scaled feature rows, a dense layer applied to every reading (a 1-D convolution
 * of width 1: tfjs's wasm backend has no gradient for wider convolution kernels), a dense
 * bottleneck over the whole window, and a dense layer that reconstructs the window (sdk/runtime/score/sequence.ts builds the windows and scores
 * them, in the notebook and the exported app alike). Trained by the fused trainer's JavaScript
 * engine by default (the per-reading layer is a dense layer repeated over the window's readings,
 * sequenceLayers), or through TensorFlow.js; saved in tfjs's layers format like the dense model.
 */
import { KafkalabError } from '../util/errors';
import { badOption } from '../util/options';
import { tf } from '../runtime/score/backend';
import { forward } from '../runtime/score/model';
import { SequenceState } from '../runtime/score/sequence';
import { rowScores, type PipelineSpec } from '../runtime';
import { mulberry32 } from '../util/prng';
import { ACTIVATIONS, type Activation } from './model';
import type { DenseLayerSpec } from './fused-dense';
import { FusedTrainer } from './fused-trainer';
import { shuffleRows, type History } from './train';

export interface SequenceOptions {
  /** Readings per window, the current one last (default 16). */
  length?: number;
  /** Units of the per-reading layer (default 16). */
  filters?: number;
  /** Size of the dense bottleneck (default the feature count). */
  bottleneck?: number;
}

export function checkSequenceOptions(s: unknown): void {
  const what = 'new Autoencoder()';
  if (s === null || typeof s !== 'object' || Array.isArray(s)) throw badOption(what, 'sequence', s, 'an object', 'sequence: { length: 16 }');
  const o = s as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!['length', 'filters', 'bottleneck'].includes(k)) throw badOption(what, `sequence.${k}`, o[k], 'one of length, filters, bottleneck');
  if (o.length !== undefined && !(Number.isInteger(o.length) && (o.length as number) >= 2 && (o.length as number) <= 1024)) throw badOption(what, 'sequence.length', o.length, 'an integer from 2 to 1024', 'sequence: { length: 16 }');
  for (const k of ['filters', 'bottleneck']) {
    if (o[k] !== undefined && !(Number.isInteger(o[k]) && (o[k] as number) > 0)) throw badOption(what, `sequence.${k}`, o[k], 'a positive integer', `sequence: { ${k}: 8 }`);
  }
}

/** The network for windows of `length` x `width`: per-reading dense -> flatten -> dense bottleneck -> dense -> reshape. */
export function buildSequenceNetwork(length: number, width: number, o: { filters: number; bottleneck: number; activation: Activation; seed: number }): tf.LayersModel {
  const init = (i: number) => tf.initializers.glorotUniform({ seed: o.seed * 31 + i + 1 });
  const model = tf.sequential({ name: 'sequence_autoencoder' });
  model.add(tf.layers.timeDistributed({ inputShape: [length, width], layer: tf.layers.dense({ units: o.filters, activation: o.activation, kernelInitializer: init(0) }), name: 'per_reading' }));
  model.add(tf.layers.flatten({ name: 'flatten' }));
  model.add(tf.layers.dense({ units: o.bottleneck, activation: o.activation, kernelInitializer: init(1), name: 'bottleneck' }));
  model.add(tf.layers.dense({ units: length * width, activation: 'linear', kernelInitializer: init(2), name: 'reconstruction' }));
  model.add(tf.layers.reshape({ targetShape: [length, width], name: 'window' }));
  return model;
}

/**
 * The sequence network as the fused trainer's dense layers: the per-reading layer applied to each
 * of the window's readings (`repeat`), the bottleneck, the reconstruction; or why it is not one.
 */
export function sequenceLayers(model: tf.LayersModel): DenseLayerSpec[] | string {
  const kinds = model.layers.map((l) => l.getClassName()).join(', ');
  if (kinds !== 'TimeDistributed, Flatten, Dense, Dense, Reshape') return `layers ${kinds}`;
  const inner = (model.layers[0] as unknown as { layer: tf.layers.Layer }).layer;
  const dense = [inner, model.layers[2], model.layers[3]];
  if (inner.getClassName() !== 'Dense') return `a ${inner.getClassName()} per reading`;
  const specs: DenseLayerSpec[] = [];
  for (const layer of dense) {
    const c = layer.getConfig() as { activation?: string; useBias?: boolean };
    const activation = (c.activation ?? 'linear') as Activation;
    if (c.useBias === false) return 'a layer without bias';
    if (!ACTIVATIONS.includes(activation)) return `activation ${activation}`;
    const [inputs, units] = layer.getWeights()[0].shape as [number, number];
    specs.push({ inputs, units, activation });
  }
  const length = (model.inputs[0].shape[1] as number) ?? 1;
  specs[0].repeat = length;
  return specs;
}

/** Each row's window, in row order, windows per key (`keys[r]`) as production builds them. */
export function sequenceWindows(spec: PipelineSpec, scaled: Float32Array, rows: number, keys: ArrayLike<unknown> | undefined): Float32Array {
  const nf = spec.features.length;
  const n = spec.sequence!.length;
  const state = new SequenceState(n, nf);
  const out = new Float32Array(rows * n * nf);
  for (let r = 0; r < rows; r++) state.push(keys === undefined ? '' : String(keys[r]), scaled, r * nf, out, r * n * nf);
  return out;
}

export function gatherWindows(windows: Float32Array, span: number, rows: ArrayLike<number>): Float32Array {
  const out = new Float32Array(rows.length * span);
  for (let i = 0; i < rows.length; i++) out.set(windows.subarray(rows[i] * span, (rows[i] + 1) * span), i * span);
  return out;
}

export interface SequenceTraining {
  epochs: number;
  batchSize: number;
  learningRate: number;
  shuffle: boolean;
  seed: number;
  signal?: AbortSignal;
  /** 'auto' (default): fused where sequenceLayers reads the network, else tfjs. */
  trainer?: 'auto' | 'fused' | 'tfjs';
  onEpoch?: (epoch: number, loss: number, valLoss: number, rowsPerSec: number) => unknown;
}

/** Trains `model` to reconstruct the windows of `train`; returns the history (valLoss: mean score of `val`). */
export async function trainSequence(model: tf.LayersModel, spec: PipelineSpec, train: Float32Array, val: Float32Array, o: SequenceTraining): Promise<History> {
  const nf = spec.features.length;
  const n = spec.sequence!.length;
  const span = n * nf;
  const rows = train.length / span;
  if (rows < 1) throw new KafkalabError('No training rows left after holding out validation rows', { code: 'NO_DATA' });
  const layers = o.trainer === 'tfjs' ? 'tfjs asked for' : sequenceLayers(model);
  if (typeof layers === 'string' && o.trainer === 'fused') throw new KafkalabError(`The fused trainer cannot train this network (${layers})`, { code: 'BAD_OPTION', hint: "use trainer: 'auto' or 'tfjs'" });
  const fused = typeof layers === 'string' ? undefined : new FusedTrainer(model, span, o.learningRate, 0, layers, 'js');
  if (!fused) model.compile({ optimizer: tf.train.adam(o.learningRate), loss: 'meanSquaredError' });
  const random = mulberry32(o.seed ^ 0x5eed);
  const shuffled = o.shuffle ? new Float32Array(train.length) : train;
  const history: History = { loss: [], valLoss: [], epochs: 0, rowsPerSec: 0, rows: 0, elapsedMs: 0, bestEpoch: 0, trainer: fused ? 'fused' : 'tfjs', stopReason: 'epochs' };
  const started = Date.now();
  let trainMs = 0;
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    if (o.signal?.aborted) {
      history.stopReason = 'signal';
      break;
    }
    if (o.shuffle) shuffleRows(train, shuffled, span, random);
    const t0 = Date.now();
    let lossSum = 0;
    if (fused) lossSum = (await fused.pass(shuffled, o.batchSize, undefined, () => o.signal?.aborted === true)).lossSum;
    else for (let at = 0; at < rows; at += o.batchSize) {
      const m = Math.min(o.batchSize, rows - at);
      const x = tf.tensor3d(shuffled.subarray(at * span, (at + m) * span), [m, n, nf]);
      try {
        lossSum += ((await model.trainOnBatch(x, x)) as number) * m;
      } finally {
        x.dispose();
      }
    }
    trainMs += Date.now() - t0;
    history.rows += rows;
    const loss = lossSum / rows;
    const valLoss = val.length ? meanScore(model, val, n, nf) : NaN;
    history.loss.push(loss);
    history.valLoss.push(valLoss);
    history.epochs = epoch;
    history.bestEpoch = epoch;
    history.rowsPerSec = trainMs > 0 ? (history.rows / trainMs) * 1000 : 0;
    await o.onEpoch?.(epoch, loss, valLoss, history.rowsPerSec);
  }
  history.elapsedMs = Date.now() - started;
  return history;
}

/** Scores of windows (mean squared error over each window). */
export function windowScores(model: tf.LayersModel, windows: Float32Array, steps: number, width: number): Float32Array {
  return rowScores(windows, forward(model, windows, windows.length / (steps * width), width, undefined, steps), steps * width);
}

function meanScore(model: tf.LayersModel, windows: Float32Array, steps: number, width: number): number {
  const s = windowScores(model, windows, steps, width);
  let sum = 0;
  for (const x of s) sum += x;
  return s.length ? sum / s.length : NaN;
}
