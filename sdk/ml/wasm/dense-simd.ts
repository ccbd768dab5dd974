/**
 * WebAssembly SIMD kernels for a dense autoencoder with ReLU hidden layers and a linear output
 * (kafkalab's default network), generated for the network's exact sizes: forward pass,
 * squared-error gradient, backward pass, four float32 lanes at a time, with every weight
 * address a constant. The optimizer step stays in JavaScript (a few hundred parameters per
 * batch against ~1,700 multiply-adds per row). Layout: row-major, rows padded to a multiple of
 * 4 floats with zeros (which stay zero: padded weights and biases are zero and get no update).
 */
import { assemble, Code, F32, I32, V128, wasm, type FuncDef, type WasmMemory } from '../../runtime/score/wasm/emit';
import { forwardFn, pad4, rowLoop, type ForwardLayout } from '../../runtime/score/wasm/dense-forward';

export interface SimdLayer {
  inputs: number;
  units: number;
}

/** The forward layout plus what the backward pass needs: the transposed kernel, gradients, output gradients. */
interface LayerLayout extends ForwardLayout {
  WT: number;
  gW: number;
  gb: number;
  D: number;
}

export interface SimdKernels {
  memory: WasmMemory;
  layers: LayerLayout[];
  /** Byte offset of the input rows (stride pad4(features) floats). */
  X: number;
  capacity: number;
  forward(n: number): void;
  /** Writes the output gradient scale·(y − x) and returns Σ(y − x)². */
  lossGrad(n: number, scale: number): number;
  backward(n: number): void;
}

/** Lays out memory for `capacity` rows and compiles the kernels. */
export function buildSimdKernels(layers: SimdLayer[], capacity: number): SimdKernels {
  let at = 0;
  const take = (floats: number) => {
    const off = at;
    at += pad4(floats) * 4;
    return off;
  };
  const X = take(capacity * pad4(layers[0].inputs));
  const L: LayerLayout[] = layers.map((l) => {
    const pin = pad4(l.inputs);
    const pout = pad4(l.units);
    return { inputs: l.inputs, units: l.units, pin, pout, W: take(l.inputs * pout), WT: take(l.units * pin), b: take(pout), gW: take(l.inputs * pout), gb: take(pout), A: take(capacity * pout), D: take(capacity * pout) };
  });
  const pages = Math.ceil(at / 65536) + 1;
  const bytes = assemble(pages, [forwardFn(L, X), lossFn(L, X), backwardFn(L, X)]);
  const instance = new wasm.Instance(new wasm.Module(bytes), {});
  const e = instance.exports as unknown as { memory: WasmMemory; forward(n: number): void; lossGrad(n: number, s: number): number; backward(n: number): void };
  return { memory: e.memory, layers: L, X, capacity, forward: e.forward, lossGrad: e.lossGrad, backward: e.backward };
}

function lossFn(L: LayerLayout[], X: number): FuncDef {
  // Locals: 0 n, 1 scale (f32) | 2 r, 3 yp, 4 xp, 5 dp (i32) | 6 sum, 7 diff, 8 sc (v128)
  const out = L[L.length - 1];
  const K = out.pout / 4;
  const c = new Code();
  const [r, yp, xp, dp, sum, diff, sc] = [2, 3, 4, 5, 6, 7, 8];
  c.v128Zero().set(sum);
  c.get(1).f32x4Splat().set(sc);
  c.i32(out.A).set(yp).i32(X).set(xp).i32(out.D).set(dp);
  // rowLoop takes n from local 0, which is n here too.
  rowLoop(c, r, [[yp, out.pout * 4], [xp, out.pout * 4], [dp, out.pout * 4]], () => {
    for (let k = 0; k < K; k++) {
      c.get(yp).v128Load(16 * k).get(xp).v128Load(16 * k).f32x4Sub().set(diff);
      c.get(sum).get(diff).get(diff).f32x4Mul().f32x4Add().set(sum);
      c.get(dp).get(diff).get(sc).f32x4Mul().v128Store(16 * k);
    }
  });
  c.get(sum).f32x4ExtractLane(0).get(sum).f32x4ExtractLane(1).f32Add().get(sum).f32x4ExtractLane(2).f32Add().get(sum).f32x4ExtractLane(3).f32Add();
  return { name: 'lossGrad', params: [I32, F32], results: [F32], locals: [I32, I32, I32, I32, V128, V128, V128], code: c };
}

function backwardFn(L: LayerLayout[], X: number): FuncDef {
  // Locals: 0 n | 1 r, 2 xp, 3 dp, 4 op (i32) | 5 zero, 6 s0, 7 s1, 8.. d (maxK), then acc (2 maxK) (v128)
  const maxK = Math.max(...L.map((l) => Math.max(l.pout, l.pin) / 4));
  const c = new Code();
  const [r, xp, dp, op, zero, s0, s1, d, acc] = [1, 2, 3, 4, 5, 6, 7, 8, 8 + maxK];
  c.v128Zero().set(zero);
  for (let li = L.length - 1; li >= 0; li--) {
    const l = L[li];
    const K = l.pout / 4;
    const xBase = li === 0 ? X : L[li - 1].A;
    // Bias gradient: column sums of D.
    for (let k = 0; k < K; k++) c.get(zero).set(acc + k);
    c.i32(l.D).set(dp);
    rowLoop(c, r, [[dp, l.pout * 4]], () => {
      for (let k = 0; k < K; k++) c.get(acc + k).get(dp).v128Load(16 * k).f32x4Add().set(acc + k);
    });
    for (let k = 0; k < K; k++) c.i32(0).get(acc + k).v128Store(l.gb + 16 * k);
    // Kernel gradient, two input rows of it per pass over the batch: gW[i, :] = Σ_r x[r, i] · D[r, :].
    for (let i = 0; i < l.inputs; i += 2) {
      const G = Math.min(2, l.inputs - i);
      for (let a = 0; a < G * K; a++) c.get(zero).set(acc + a);
      c.i32(xBase).set(xp).i32(l.D).set(dp);
      rowLoop(c, r, [[xp, l.pin * 4], [dp, l.pout * 4]], () => {
        for (let k = 0; k < K; k++) c.get(dp).v128Load(16 * k).set(d + k);
        for (let g = 0; g < G; g++) {
          c.get(xp).f32Load(4 * (i + g)).f32x4Splat().set(g === 0 ? s0 : s1);
          for (let k = 0; k < K; k++) c.get(acc + g * K + k).get(g === 0 ? s0 : s1).get(d + k).f32x4Mul().f32x4Add().set(acc + g * K + k);
        }
      });
      for (let g = 0; g < G; g++) for (let k = 0; k < K; k++) c.i32(0).get(acc + g * K + k).v128Store(l.gW + 4 * ((i + g) * l.pout + 4 * k));
    }
    if (li === 0) break;
    // Input gradient through the transposed kernel, masked by the ReLU below: D_{l-1} = (D_l · Wᵀ) ⊙ [A_{l-1} > 0].
    const below = L[li - 1];
    const M = l.pin / 4;
    c.i32(l.D).set(dp).i32(below.D).set(op).i32(below.A).set(xp);
    rowLoop(c, r, [[dp, l.pout * 4], [op, below.pout * 4], [xp, below.pout * 4]], () => {
      for (let m = 0; m < M; m++) c.get(zero).set(acc + m);
      for (let j = 0; j < l.units; j++) {
        c.get(dp).f32Load(4 * j).f32x4Splat().set(s0);
        for (let m = 0; m < M; m++) c.get(acc + m).get(s0).i32(0).v128Load(l.WT + 4 * (j * l.pin + 4 * m)).f32x4Mul().f32x4Add().set(acc + m);
      }
      for (let m = 0; m < M; m++) c.get(op).get(acc + m).get(xp).v128Load(16 * m).get(zero).f32x4Gt().v128And().v128Store(16 * m);
    });
  }
  return { name: 'backward', params: [I32], results: [], locals: [I32, I32, I32, I32, V128, V128, V128, ...new Array(3 * maxK).fill(V128)], code: c };
}

export interface SimdAdam {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  l2: number;
}

/** A ReLU/linear dense autoencoder trained by the SIMD kernels, with Adam in JavaScript. */
export class SimdDense {
  readonly kind = 'simd' as const;
  private k: SimdKernels;
  private f32: Float32Array;
  private readonly mK: Float64Array[];
  private readonly vK: Float64Array[];
  private readonly mB: Float64Array[];
  private readonly vB: Float64Array[];
  private accBeta1: number;
  private accBeta2: number;
  steps = 0;

  constructor(readonly layers: SimdLayer[], private readonly adam: SimdAdam, capacity = 512) {
    this.k = buildSimdKernels(layers, capacity);
    this.f32 = new Float32Array(this.k.memory.buffer);
    this.mK = layers.map((l) => new Float64Array(l.inputs * l.units));
    this.vK = layers.map((l) => new Float64Array(l.inputs * l.units));
    this.mB = layers.map((l) => new Float64Array(l.units));
    this.vB = layers.map((l) => new Float64Array(l.units));
    this.accBeta1 = adam.beta1;
    this.accBeta2 = adam.beta2;
  }

  /** Kernels [in, out] and biases [out], unpadded, e.g. from the tfjs model. */
  setWeights(kernels: ArrayLike<number>[], biases: ArrayLike<number>[]): void {
    const m = this.f32;
    this.k.layers.forEach((l, li) => {
      for (let i = 0; i < l.inputs; i++) for (let j = 0; j < l.units; j++) m[l.W / 4 + i * l.pout + j] = kernels[li][i * l.units + j];
      for (let j = 0; j < l.units; j++) m[l.b / 4 + j] = biases[li][j];
      this.transpose(li);
    });
  }

  kernel(li: number): Float32Array {
    const l = this.k.layers[li];
    const out = new Float32Array(l.inputs * l.units);
    for (let i = 0; i < l.inputs; i++) out.set(this.f32.subarray(l.W / 4 + i * l.pout, l.W / 4 + i * l.pout + l.units), i * l.units);
    return out;
  }

  bias(li: number): Float32Array {
    const l = this.k.layers[li];
    return this.f32.slice(l.b / 4, l.b / 4 + l.units);
  }

  private transpose(li: number): void {
    const l = this.k.layers[li];
    const m = this.f32;
    for (let i = 0; i < l.inputs; i++) for (let j = 0; j < l.units; j++) m[l.WT / 4 + j * l.pin + i] = m[l.W / 4 + i * l.pout + j];
  }

  private ensure(n: number): void {
    if (n <= this.k.capacity) return;
    const kernels = this.layers.map((_, li) => this.kernel(li));
    const biases = this.layers.map((_, li) => this.bias(li));
    this.k = buildSimdKernels(this.layers, n);
    this.f32 = new Float32Array(this.k.memory.buffer);
    this.setWeights(kernels, biases);
  }

  /** One Adam step on rows [start, start + n) of a row-major matrix; returns the loss as tfjs reports it. */
  step(matrix: Float32Array, start: number, n: number): number {
    this.ensure(n);
    const f = this.layers[0].inputs;
    const pf = this.k.layers[0].pin;
    const m = this.f32;
    const x0 = this.k.X / 4;
    if (pf === f) m.set(matrix.subarray(start * f, (start + n) * f), x0);
    else for (let r = 0; r < n; r++) m.set(matrix.subarray((start + r) * f, (start + r + 1) * f), x0 + r * pf);
    this.k.forward(n);
    const sse = this.k.lossGrad(n, 2 / (n * f));
    let penalty = 0;
    const l2 = this.adam.l2;
    if (l2 > 0) {
      for (const l of this.k.layers) for (let i = 0; i < l.inputs; i++) for (let j = 0; j < l.units; j++) penalty += m[l.W / 4 + i * l.pout + j] ** 2;
    }
    this.k.backward(n);
    this.update();
    return sse / (n * f) + l2 * penalty;
  }

  private update(): void {
    const { beta1: b1, beta2: b2, learningRate: lr, epsilon: eps, l2 } = this.adam;
    const c1 = 1 - this.accBeta1;
    const c2 = 1 - this.accBeta2;
    const m = this.f32;
    this.k.layers.forEach((l, li) => {
      const mk = this.mK[li];
      const vk = this.vK[li];
      for (let i = 0; i < l.inputs; i++) {
        for (let j = 0; j < l.units; j++) {
          const w = l.W / 4 + i * l.pout + j;
          const p = i * l.units + j;
          const g = m[l.gW / 4 + i * l.pout + j] + 2 * l2 * m[w];
          const mi = (mk[p] = b1 * mk[p] + (1 - b1) * g);
          const vi = (vk[p] = b2 * vk[p] + (1 - b2) * g * g);
          m[w] -= (lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
        }
      }
      const mb = this.mB[li];
      const vb = this.vB[li];
      for (let j = 0; j < l.units; j++) {
        const g = m[l.gb / 4 + j];
        const mi = (mb[j] = b1 * mb[j] + (1 - b1) * g);
        const vi = (vb[j] = b2 * vb[j] + (1 - b2) * g * g);
        m[l.b / 4 + j] -= (lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
      }
      this.transpose(li);
    });
    this.accBeta1 *= b1;
    this.accBeta2 *= b2;
    this.steps++;
  }
}
