/**
 * The training loop: mini-batches sliced from one row-major Float32Array, one
 * `optimizer.minimize` per batch (faster here than `model.fit`, which re-slices tensors and
 * runs callbacks), seeded shuffling, early stopping with best-weight restore.
 */
import { tf } from './backend';
import { disposeSnapshot, reconstruct, restoreWeights, snapshotWeights, WeightSnapshot } from './model';
import { rowScores } from './pipeline';

export interface Progress {
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
  batch?: number;
}

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

export interface History {
  loss: number[];
  valLoss: number[];
  epochs: number;
  /** Training rows per second over the whole run (validation and callbacks excluded). */
  rowsPerSec: number;
  rows: number;
  elapsedMs: number;
  /** 1-based epoch whose weights the model holds at the end. */
  bestEpoch: number;
  stopReason: 'epochs' | 'earlyStopping' | 'maxRows' | 'maxMs' | 'signal' | 'end';
}

/** mulberry32: small, fast and good enough for shuffling and sampling. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
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
  for (let i = 0; i < rows; i++) dst.set(src.subarray(order[i] * features, (order[i] + 1) * features), i * features);
}

export class BatchTrainer {
  private readonly optimizer: tf.Optimizer;
  private readonly kernels: () => tf.Tensor[];
  private lastYield = Date.now();
  rows = 0;
  trainMs = 0;

  constructor(readonly model: tf.LayersModel, readonly features: number, learningRate: number, private readonly l2: number) {
    this.optimizer = tf.train.adam(learningRate);
    this.kernels = () => model.layers.filter((l) => l.getClassName() === 'Dense').map((l) => l.getWeights()[0]);
  }

  /**
   * One pass over the rows in `matrix` in mini-batches; returns the summed loss x rows.
   * `onBatch` gets each batch's loss (reading it costs a sync, so only when asked).
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
      const x = tf.tensor2d(matrix.subarray(start * f, (start + n) * f), [n, f]);
      const cost = this.optimizer.minimize(() => {
        const y = this.model.apply(x, { training: true }) as tf.Tensor;
        let loss = tf.losses.meanSquaredError(x, y) as tf.Scalar;
        if (this.l2 > 0) for (const k of this.kernels()) loss = loss.add(tf.mul(this.l2, tf.sum(tf.square(k))));
        return loss;
      }, true)!;
      const l = cost.dataSync()[0];
      cost.dispose();
      x.dispose();
      this.trainMs += performance.now() - t0;
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
  const scores = rowScores(matrix, reconstruct(model, matrix, features), features);
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
