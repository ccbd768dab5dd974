/**
 * A fused training step for small dense networks (the autoencoder), over typed arrays:
 * forward pass, mean-squared-error loss, backward pass and Adam update, in tight loops with no
 * per-op dispatch. tfjs spends most of a step on bookkeeping at this size (a 16-14-7-14-16 net
 * does ~1,700 multiply-adds per row); here a step is just the arithmetic.
 *
 * The arithmetic is the one tfjs's BatchTrainer does (same layout of kernels, [in, out]; the
 * same Adam with bias correction, epsilon 1e-7; the same L2 term), in float64, so the loss
 * curve follows tfjs's within float32 rounding (checked by test/ml/fused-dense.test.ts).
 * Weights come from, and go back into, the tfjs model: save, export and scoring are unchanged.
 */
import { KafkalabError } from '../util/errors';
import { forwardKernel, gradInputsKernel, gradWeightsKernel, type ForwardKernel, type GradInputsKernel, type GradWeightsKernel } from './fused-kernels';
import type { Activation } from './model';

const enum Act {
  Linear,
  Relu,
  Relu6,
  Elu,
  Selu,
  Tanh,
  Sigmoid,
  Softplus,
  Swish,
}

const ACT_CODES: Record<Activation, Act> = {
  linear: Act.Linear, relu: Act.Relu, relu6: Act.Relu6, elu: Act.Elu, selu: Act.Selu, tanh: Act.Tanh, sigmoid: Act.Sigmoid, softplus: Act.Softplus, swish: Act.Swish,
};

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

export interface DenseLayerSpec {
  inputs: number;
  units: number;
  activation: Activation;
  /**
   * The layer applied to each of `repeat` consecutive slices of a row (tfjs's timeDistributed
   * dense over a window of readings: one kernel for every reading, its gradient summed over
   * them); default 1. Row-major, a row of `repeat` x `inputs` values is `repeat` rows of `inputs`.
   */
  repeat?: number;
}

export interface AdamConfig {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** L2 penalty on kernels (loss + l2 x sum(W²)), as tf.regularizers.l2. */
  l2?: number;
}

/** A dense network's parameters, Adam state and scratch buffers for one batch size. */
export class FusedDense {
  readonly kind = 'js' as const;
  readonly kernels: Float64Array[];
  readonly biases: Float64Array[];
  private readonly acts: Act[];
  /** Per layer: rows of it per network row (DenseLayerSpec.repeat). */
  private readonly rep: number[];
  /** Values per network row, in and out. */
  private readonly width: number;
  private readonly gK: Float64Array[];
  private readonly gB: Float64Array[];
  private readonly mK: Float64Array[];
  private readonly vK: Float64Array[];
  private readonly mB: Float64Array[];
  private readonly vB: Float64Array[];
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly lr: number;
  private readonly l2: number;
  private accBeta1: number;
  private accBeta2: number;
  /** Per layer l: z[l] pre-activation, a[l] output (same array when linear); a[-1] is the input. */
  private z: Float64Array[] = [];
  private a: Float64Array[] = [];
  private d: Float64Array[] = [];
  private input = new Float64Array(0);
  private capacity = 0;
  private readonly fwd: ForwardKernel[];
  private readonly gradW: GradWeightsKernel[];
  private readonly gradX: (GradInputsKernel | undefined)[];
  steps = 0;

  constructor(readonly layers: DenseLayerSpec[], adam: AdamConfig) {
    for (let l = 1; l < layers.length; l++) {
      const takes = layers[l].inputs * (layers[l].repeat ?? 1);
      const gives = layers[l - 1].units * (layers[l - 1].repeat ?? 1);
      if (takes !== gives) throw new KafkalabError(`layer ${l} takes ${takes} inputs but layer ${l - 1} gives ${gives}`, { code: 'BAD_MODEL' });
    }
    this.rep = layers.map((l) => l.repeat ?? 1);
    this.width = layers[0].inputs * this.rep[0];
    const last = layers.length - 1;
    if (layers[last].units * this.rep[last] !== this.width) throw new KafkalabError(`the network gives ${layers[last].units * this.rep[last]} outputs for ${this.width} inputs: not an autoencoder`, { code: 'BAD_MODEL' });
    this.acts = layers.map((l) => {
      const code = ACT_CODES[l.activation];
      if (code === undefined) throw new KafkalabError(`activation "${l.activation}" has no fused form`, { code: 'BAD_MODEL', hint: "train with { trainer: 'tfjs' }" });
      return code;
    });
    const zeros = (n: number) => new Float64Array(n);
    this.kernels = layers.map((l) => zeros(l.inputs * l.units));
    this.biases = layers.map((l) => zeros(l.units));
    this.gK = layers.map((l) => zeros(l.inputs * l.units));
    this.gB = layers.map((l) => zeros(l.units));
    this.mK = layers.map((l) => zeros(l.inputs * l.units));
    this.vK = layers.map((l) => zeros(l.inputs * l.units));
    this.mB = layers.map((l) => zeros(l.units));
    this.vB = layers.map((l) => zeros(l.units));
    this.beta1 = adam.beta1 ?? 0.9;
    this.beta2 = adam.beta2 ?? 0.999;
    this.epsilon = adam.epsilon ?? 1e-7;
    this.lr = adam.learningRate;
    this.l2 = adam.l2 ?? 0;
    this.accBeta1 = this.beta1;
    this.accBeta2 = this.beta2;
    this.fwd = layers.map((l) => forwardKernel(l.inputs, l.units));
    this.gradW = layers.map((l) => gradWeightsKernel(l.inputs, l.units));
    // Below a ReLU, a zero output has no gradient: its input gradient is skipped (set to 0).
    this.gradX = layers.map((l, i) => (i === 0 ? undefined : gradInputsKernel(l.inputs, l.units, this.acts[i - 1] === Act.Relu || this.acts[i - 1] === Act.Relu6)));
  }

  /** Copies weights in (kernel [in, out] row-major, bias [out]), e.g. from the tfjs model. */
  setWeights(kernels: ArrayLike<number>[], biases: ArrayLike<number>[]): void {
    kernels.forEach((k, l) => this.kernels[l].set(k));
    biases.forEach((b, l) => this.biases[l].set(b));
  }

  kernel(l: number): Float64Array {
    return this.kernels[l];
  }

  bias(l: number): Float64Array {
    return this.biases[l];
  }

  private ensure(rows: number): void {
    if (rows <= this.capacity) return;
    this.capacity = rows;
    this.input = new Float64Array(rows * this.width);
    this.z = this.layers.map((l, i) => new Float64Array(rows * this.rep[i] * l.units));
    this.a = this.layers.map((l, i) => (this.acts[i] === Act.Linear ? this.z[i] : new Float64Array(rows * this.rep[i] * l.units)));
    this.d = this.layers.map((l, i) => new Float64Array(rows * this.rep[i] * l.units));
  }

  /**
   * One Adam step on the rows [start, start + n) of a row-major matrix, the targets being the
   * inputs (an autoencoder). Returns the batch's loss as tfjs reports it: the mean squared error
   * plus the L2 term, both at the weights before the update.
   */
  step(matrix: Float32Array, start: number, n: number): number {
    this.ensure(n);
    const f = this.width;
    const x = this.input;
    for (let i = 0, o = start * f, m = n * f; i < m; i++) x[i] = matrix[o + i];
    this.forward(n);
    const L = this.layers.length;
    const out = this.a[L - 1];
    const dOut = this.d[L - 1];
    const m = n * f;
    let sum = 0;
    const scale = 2 / m;
    for (let i = 0; i < m; i++) {
      const diff = out[i] - x[i];
      sum += diff * diff;
      dOut[i] = scale * diff;
    }
    let penalty = 0;
    if (this.l2 > 0) for (const k of this.kernels) for (let i = 0; i < k.length; i++) penalty += k[i] * k[i];
    this.backward(n);
    this.adam();
    return sum / m + this.l2 * penalty;
  }

  /** Forward pass of n rows of `this.input` through every layer. */
  private forward(n: number): void {
    let x = this.input;
    for (let l = 0; l < this.layers.length; l++) {
      this.fwd[l](x, this.kernels[l], this.biases[l], this.z[l], n * this.rep[l]);
      activate(this.acts[l], this.z[l], this.a[l], n * this.rep[l] * this.layers[l].units);
      x = this.a[l];
    }
  }

  private backward(n: number): void {
    for (let l = this.layers.length - 1; l >= 0; l--) {
      const dz = this.d[l];
      const rows = n * this.rep[l];
      derive(this.acts[l], this.z[l], this.a[l], dz, rows * this.layers[l].units);
      const x = l === 0 ? this.input : this.a[l - 1];
      this.gradW[l](x, dz, this.gK[l], this.gB[l], rows);
      this.gradX[l]?.(x, dz, this.kernels[l], this.d[l - 1], rows);
    }
  }

  private adam(): void {
    const b1 = this.beta1;
    const b2 = this.beta2;
    const c1 = 1 - this.accBeta1;
    const c2 = 1 - this.accBeta2;
    const lr = this.lr;
    const eps = this.epsilon;
    const l2x2 = 2 * this.l2;
    for (let l = 0; l < this.layers.length; l++) {
      adamUpdate(this.kernels[l], this.gK[l], this.mK[l], this.vK[l], b1, b2, c1, c2, lr, eps, l2x2);
      adamUpdate(this.biases[l], this.gB[l], this.mB[l], this.vB[l], b1, b2, c1, c2, lr, eps, 0);
    }
    this.accBeta1 *= b1;
    this.accBeta2 *= b2;
    this.steps++;
  }
}

function adamUpdate(w: Float64Array, g: Float64Array, m: Float64Array, v: Float64Array, b1: number, b2: number, c1: number, c2: number, lr: number, eps: number, l2x2: number): void {
  for (let i = 0; i < w.length; i++) {
    const gi = g[i] + l2x2 * w[i];
    const mi = (m[i] = b1 * m[i] + (1 - b1) * gi);
    const vi = (v[i] = b2 * v[i] + (1 - b2) * gi * gi);
    w[i] -= (lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
  }
}

function activate(act: Act, z: Float64Array, a: Float64Array, n: number): void {
  switch (act) {
    case Act.Linear:
      return;
    case Act.Relu:
      for (let i = 0; i < n; i++) a[i] = z[i] > 0 ? z[i] : 0;
      return;
    case Act.Relu6:
      for (let i = 0; i < n; i++) a[i] = z[i] > 0 ? (z[i] < 6 ? z[i] : 6) : 0;
      return;
    case Act.Elu:
      for (let i = 0; i < n; i++) a[i] = z[i] > 0 ? z[i] : Math.exp(z[i]) - 1;
      return;
    case Act.Selu:
      for (let i = 0; i < n; i++) a[i] = z[i] > 0 ? SELU_SCALE * z[i] : SELU_SCALE * SELU_ALPHA * (Math.exp(z[i]) - 1);
      return;
    case Act.Tanh:
      for (let i = 0; i < n; i++) a[i] = Math.tanh(z[i]);
      return;
    case Act.Sigmoid:
      for (let i = 0; i < n; i++) a[i] = 1 / (1 + Math.exp(-z[i]));
      return;
    case Act.Softplus:
      for (let i = 0; i < n; i++) a[i] = z[i] > 20 ? z[i] : Math.log1p(Math.exp(z[i]));
      return;
    case Act.Swish:
      for (let i = 0; i < n; i++) a[i] = z[i] / (1 + Math.exp(-z[i]));
      return;
  }
}

/** d ← d x act'(z), given z and a = act(z). */
function derive(act: Act, z: Float64Array, a: Float64Array, d: Float64Array, n: number): void {
  switch (act) {
    case Act.Linear:
      return;
    case Act.Relu:
      for (let i = 0; i < n; i++) if (!(z[i] > 0)) d[i] = 0;
      return;
    case Act.Relu6:
      for (let i = 0; i < n; i++) if (!(z[i] > 0 && z[i] < 6)) d[i] = 0;
      return;
    case Act.Elu:
      for (let i = 0; i < n; i++) if (!(z[i] > 0)) d[i] *= a[i] + 1;
      return;
    case Act.Selu:
      for (let i = 0; i < n; i++) d[i] *= z[i] > 0 ? SELU_SCALE : a[i] + SELU_SCALE * SELU_ALPHA;
      return;
    case Act.Tanh:
      for (let i = 0; i < n; i++) d[i] *= 1 - a[i] * a[i];
      return;
    case Act.Sigmoid:
      for (let i = 0; i < n; i++) d[i] *= a[i] * (1 - a[i]);
      return;
    case Act.Softplus:
      for (let i = 0; i < n; i++) d[i] *= 1 / (1 + Math.exp(-z[i]));
      return;
    case Act.Swish:
      for (let i = 0; i < n; i++) {
        const s = 1 / (1 + Math.exp(-z[i]));
        d[i] *= s + z[i] * s * (1 - s);
      }
      return;
  }
}
