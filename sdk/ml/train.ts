/**
 * The training loop: mini-batches sliced from one row-major Float32Array, one
 * `optimizer.minimize` per batch (faster here than `model.fit`, which re-slices tensors and
 * runs callbacks), seeded shuffling, early stopping with best-weight restore.
 */
import { badOption, checkOptions, optionKeys } from '../util/options';
import { tf } from '../runtime/score/backend';
import { disposeSnapshot, restoreWeights, snapshotWeights, WeightSnapshot } from './model';
import { forward, rowScores } from '../runtime';

// A type alias, not an interface: it is then assignable to index-signature types such as the
// kernel's EpochInfo, so `fit(df, { ...trainingProgress() })` type-checks.
export type Progress = {
  epoch: number;
  /** Planned epochs (for streams: Infinity unless bounded by maxRows). */
  epochs: number;
  loss: number;
  valLoss?: number;
  /** Training rows processed so far, and the training throughput. */
  rows: number;
  rowsPerSec: number;
  /** Milliseconds since training began. */
  elapsed: number;
  /** onBatch only: batch index within the epoch (0-based) and batches per epoch (frames only). */
  batch?: number;
  batches?: number;
};

export interface EarlyStoppingOptions {
  /** Evaluations without improvement before stopping (default 3). */
  patience?: number;
  /** Smallest decrease that counts as an improvement (default 0). */
  minDelta?: number;
  /** Put back the weights of the best evaluation when training ends (default true). */
  restoreBest?: boolean;
  /** 'valLoss' (default, when there is validation data) or 'loss'. */
  monitor?: 'valLoss' | 'loss';
}

export const EARLY_STOPPING_OPTIONS = optionKeys<EarlyStoppingOptions>()(['patience', 'minDelta', 'restoreBest', 'monitor']);

export function checkEarlyStopping(es: EarlyStoppingOptions | boolean, what = 'fit({ earlyStopping })'): void {
  if (typeof es === 'boolean') return;
  checkOptions(what, es ?? null, EARLY_STOPPING_OPTIONS);
  if (es.patience !== undefined && !(Number.isInteger(es.patience) && es.patience >= 0)) throw badOption(what, 'patience', es.patience, 'an integer >= 0', 'earlyStopping: { patience: 3 }');
  if (es.minDelta !== undefined && !(Number.isFinite(es.minDelta) && es.minDelta >= 0)) throw badOption(what, 'minDelta', es.minDelta, 'a number >= 0', 'earlyStopping: { minDelta: 0.001 }');
  if (es.restoreBest !== undefined && typeof es.restoreBest !== 'boolean') throw badOption(what, 'restoreBest', es.restoreBest, 'true or false');
  if (es.monitor !== undefined && es.monitor !== 'valLoss' && es.monitor !== 'loss') throw badOption(what, 'monitor', es.monitor, "'valLoss' or 'loss'", "earlyStopping: { monitor: 'loss' }");
}

/** What trains a network: tfjs op by op (BatchTrainer) or one fused step per batch (FusedTrainer). */
export interface Trainer {
  readonly kind: 'tfjs' | 'fused';
  readonly model: tf.LayersModel;
  /** One pass over the rows of `matrix` in mini-batches; `onBatch` gets each batch's loss. */
  pass(matrix: Float32Array, batchSize: number, onBatch?: (batch: number, loss: number) => void, stop?: () => boolean): Promise<{ lossSum: number; rows: number }>;
  rows: number;
  trainMs: number;
  /** CPU time of the process during training steps (robust to a busy machine, unlike trainMs). */
  trainCpuMs: number;
  readonly rowsPerSec: number;
  dispose(): void;
}

/** Process CPU milliseconds (all threads) since `since`, a process.cpuUsage() value. */
export function cpuMsSince(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
}

export interface History {
  loss: number[];
  valLoss: number[];
  epochs: number;
  /** Training rows per second over the whole run (validation and callbacks excluded). */
  rowsPerSec: number;
  /** Training rows per CPU second of the process (the same steps; what to compare on a shared machine). */
  rowsPerCpuSec?: number;
  rows: number;
  elapsedMs: number;
  /** 1-based epoch whose weights the model holds at the end. */
  bestEpoch: number;
  /** Which trainer ran: 'fused' (typed-array steps, the default for dense autoencoders) or 'tfjs'. */
  trainer?: 'fused' | 'tfjs';
  stopReason: 'epochs' | 'earlyStopping' | 'maxRows' | 'maxMs' | 'signal' | 'end';
}

/** Copies the rows of `src` into `dst` in a seeded random order. */
export function shuffleRows(src: Float32Array, dst: Float32Array, features: number, random: () => number): void {
  const rows = src.length / features;
  const order = new Uint32Array(rows);
  for (let i = 0; i < rows; i++) order[i] = i;
  for (let i = rows - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  // A plain loop: one subarray view per row costs more than the copy at ~16 floats a row.
  for (let i = 0, o = 0; i < rows; i++) {
    const s = order[i] * features;
    for (let j = 0; j < features; j++) dst[o++] = src[s + j];
  }
}

type Step = (x: tf.Tensor2D) => tf.Scalar;

/** Activations tf.fused.matMul applies inside the matmul; the others run as a separate op. */
const FUSED = new Set(['linear', 'relu', 'relu6', 'elu', 'sigmoid']);

function activate(name: string, h: tf.Tensor2D): tf.Tensor2D {
  switch (name) {
    case 'tanh':
      return tf.tanh(h);
    case 'selu':
      return tf.selu(h);
    case 'softplus':
      return tf.softplus(h);
    case 'swish':
      return tf.mul(h, tf.sigmoid(h)) as tf.Tensor2D;
    default:
      throw new Error(`no functional form for activation ${name}`);
  }
}

export class BatchTrainer implements Trainer {
  readonly kind = 'tfjs' as const;
  private readonly optimizer: tf.Optimizer;
  private readonly step: Step;
  private readonly vars: tf.Variable[] | undefined;
  private lastYield = Date.now();
  rows = 0;
  trainMs = 0;
  trainCpuMs = 0;

  constructor(readonly model: tf.LayersModel, readonly features: number, learningRate: number, private readonly l2: number) {
    this.optimizer = tf.train.adam(learningRate);
    const dense = model.layers.filter((l) => l.getClassName() === 'Dense');
    const plain = model.layers.every((l) => l.getClassName() === 'Dense');
    const kernels = () => dense.map((l) => l.getWeights()[0]);
    const penalty = (loss: tf.Scalar): tf.Scalar => {
      if (this.l2 > 0) for (const k of kernels()) loss = loss.add(tf.mul(this.l2, tf.sum(tf.square(k))));
      return loss;
    };
    if (plain) {
      // The same network as the model's layers, as fused matmuls on the layers' own variables:
      // fewer ops per step than Layer.apply, which is what costs time at this size.
      const params = dense.map((l) => {
        const [kernel, bias] = l.trainableWeights.map((w) => (w as unknown as { read(): tf.Variable }).read());
        const activation = (l.getConfig().activation as string) ?? 'linear';
        return { kernel: kernel as tf.Variable<tf.Rank.R2>, bias, activation };
      });
      this.vars = params.flatMap((p) => (p.bias ? [p.kernel, p.bias] : [p.kernel]));
      this.step = (x) => {
        let h: tf.Tensor2D = x;
        for (const p of params) {
          const fused = FUSED.has(p.activation);
          h = tf.fused.matMul({ a: h, b: p.kernel, bias: p.bias, activation: fused ? (p.activation as 'relu') : 'linear' }) as tf.Tensor2D;
          if (!fused) h = activate(p.activation, h);
        }
        return penalty(tf.mean(tf.squaredDifference(h, x)) as tf.Scalar);
      };
    } else {
      // Dropout layers need Layer.apply's training mode.
      this.step = (x) => penalty(tf.losses.meanSquaredError(x, this.model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
    }
  }

  /**
   * One pass over the rows in `matrix` in mini-batches; returns the summed loss x rows.
   * `onBatch` gets each batch's loss.
   */
  async pass(matrix: Float32Array, batchSize: number, onBatch?: (batch: number, loss: number) => void, stop?: () => boolean): Promise<{ lossSum: number; rows: number }> {
    const f = this.features;
    const rows = matrix.length / f;
    let lossSum = 0;
    let done = 0;
    for (let start = 0, b = 0; start < rows; start += batchSize, b++) {
      if (stop?.()) break;
      const n = Math.min(batchSize, rows - start);
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const x = tf.tensor2d(matrix.subarray(start * f, (start + n) * f), [n, f]);
      const cost = this.optimizer.minimize(() => this.step(x), true, this.vars)!;
      const l = cost.dataSync()[0];
      cost.dispose();
      x.dispose();
      this.trainMs += performance.now() - t0;
      this.trainCpuMs += cpuMsSince(c0);
      lossSum += l * n;
      done += n;
      this.rows += n;
      onBatch?.(b, l);
      // Give timers and sockets a turn (Kafka heartbeats, abort signals, kernel output).
      if (Date.now() - this.lastYield > 100) {
        await new Promise((r) => setImmediate(r));
        this.lastYield = Date.now();
      }
    }
    return { lossSum, rows: done };
  }

  get rowsPerSec(): number {
    return this.trainMs > 0 ? (this.rows / this.trainMs) * 1000 : 0;
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}

/** Mean reconstruction error (the score) over a validation matrix. */
export function meanError(model: tf.LayersModel, matrix: Float32Array, features: number): number {
  if (!matrix.length) return NaN;
  const scores = rowScores(matrix, forward(model, matrix, matrix.length / features, features), features);
  let sum = 0;
  for (let i = 0; i < scores.length; i++) sum += scores[i];
  return sum / scores.length;
}

/** Tracks the monitored loss, keeps the best weights, and says when patience ran out. */
export class EarlyStopper {
  private best = Infinity;
  private wait = 0;
  private snap: WeightSnapshot | undefined;
  bestEpoch = 0;
  readonly patience: number;
  readonly minDelta: number;
  readonly restoreBest: boolean;

  constructor(private readonly model: tf.LayersModel, private readonly opts: EarlyStoppingOptions | undefined) {
    this.patience = opts?.patience ?? 3;
    this.minDelta = opts?.minDelta ?? 0;
    this.restoreBest = opts?.restoreBest ?? true;
  }

  get monitor(): 'valLoss' | 'loss' {
    return this.opts?.monitor ?? 'valLoss';
  }

  get enabled(): boolean {
    return this.opts !== undefined;
  }

  /** Records an evaluation; true when training should stop. */
  update(epoch: number, value: number): boolean {
    if (value < this.best - this.minDelta || this.bestEpoch === 0) {
      this.best = Math.min(value, this.best);
      this.bestEpoch = epoch;
      this.wait = 0;
      if (this.enabled && this.restoreBest) {
        disposeSnapshot(this.snap);
        this.snap = snapshotWeights(this.model);
      }
      return false;
    }
    this.wait++;
    return this.enabled && this.wait >= this.patience;
  }

  /** Restores the best weights (when asked to) and frees the snapshot; returns the epoch the model holds. */
  finish(lastEpoch: number): number {
    let holds = lastEpoch;
    if (this.snap && this.restoreBest && this.bestEpoch !== lastEpoch) {
      restoreWeights(this.model, this.snap);
      holds = this.bestEpoch;
    }
    disposeSnapshot(this.snap);
    this.snap = undefined;
    return holds;
  }
}
