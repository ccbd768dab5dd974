/**
 * The forward pass of a dense network with ReLU hidden layers and a linear output (kafkalab's
 * default autoencoder) as generated WebAssembly SIMD, four float32 lanes at a time, every weight
 * address a constant. One generator for both users: the fused trainer (sdk/ml/wasm/dense-simd.ts
 * adds its backward pass to the same layout) and scoring (`SimdForward` below, what Scorer runs
 * instead of tfjs for such a network, in the notebook and in an exported app alike).
 * Layout: row-major, rows padded to a multiple of 4 floats with zeros (padded weights and biases
 * are zero, so padded outputs stay zero).
 */
import { assemble, Code, F32, I32, V128, wasm, type FuncDef, type WasmMemory } from './emit';

export const pad4 = (n: number) => Math.ceil(n / 4) * 4;

/** Where one layer's parameters and outputs sit in memory (byte offsets), as forwardFn reads them. */
export interface ForwardLayout {
  inputs: number;
  units: number;
  /** inputs and units rounded up to 4. */
  pin: number;
  pout: number;
  /** Kernel [inputs, pout], bias [pout], outputs [rows, pout]. */
  W: number;
  b: number;
  A: number;
}

/**
 * Emits `for (r = 0; r < n; r++) { body; ptr_k += stride_k }` with local 0 = n, `r` the
 * counter local and `ptrs` pairs of (pointer local, byte stride).
 */
export function rowLoop(c: Code, r: number, ptrs: [number, number][], body: () => void): void {
  c.i32(0).set(r);
  c.block().get(0).i32Eqz().brIf(0).loop();
  body();
  for (const [p, stride] of ptrs) c.get(p).i32(stride).i32Add().set(p);
  c.get(r).i32(1).i32Add().tee(r).get(0).i32LtS().brIf(0);
  c.end().end();
}

/** `forward(n)`: the n input rows at X through every layer, each layer's outputs at its A. */
export function forwardFn(L: ForwardLayout[], X: number): FuncDef {
  // Locals: 0 n | 1 r, 2 xp, 3 ap (i32) | 4 f (f32) | 5 s, 6 zero, 7.. acc (v128)
  const maxK = Math.max(...L.map((l) => l.pout / 4));
  const c = new Code();
  const [r, xp, ap, s, zero, acc] = [1, 2, 3, 5, 6, 7];
  c.v128Zero().set(zero);
  L.forEach((l, li) => {
    const K = l.pout / 4;
    const relu = li < L.length - 1;
    c.i32(li === 0 ? X : L[li - 1].A).set(xp);
    c.i32(l.A).set(ap);
    rowLoop(c, r, [[xp, l.pin * 4], [ap, l.pout * 4]], () => {
      for (let k = 0; k < K; k++) c.i32(0).v128Load(l.b + 16 * k).set(acc + k);
      for (let i = 0; i < l.inputs; i++) {
        c.get(xp).f32Load(4 * i).f32x4Splat().set(s);
        for (let k = 0; k < K; k++) c.get(acc + k).get(s).i32(0).v128Load(l.W + 4 * (i * l.pout + 4 * k)).f32x4Mul().f32x4Add().set(acc + k);
      }
      for (let k = 0; k < K; k++) {
        c.get(ap).get(acc + k);
        if (relu) c.get(zero).f32x4Max();
        c.v128Store(16 * k);
      }
    });
  });
  return { name: 'forward', params: [I32], results: [], locals: [I32, I32, I32, F32, V128, V128, ...new Array(maxK).fill(V128)], code: c };
}

/**
 * A ReLU/linear dense network's forward pass for scoring: weights copied in once (float32, as the
 * tfjs model holds them), rows run through in chunks of `capacity` (small enough to stay in cache).
 */
export class SimdForward {
  private readonly f32: Float32Array;
  private readonly L: ForwardLayout[];
  private readonly X: number;
  private readonly run: (n: number) => void;

  constructor(layers: { inputs: number; units: number }[], kernels: ArrayLike<number>[], biases: ArrayLike<number>[], readonly capacity = 1024) {
    let at = 0;
    const take = (floats: number) => {
      const off = at;
      at += pad4(floats) * 4;
      return off;
    };
    this.X = take(capacity * pad4(layers[0].inputs));
    this.L = layers.map((l) => {
      const pin = pad4(l.inputs);
      const pout = pad4(l.units);
      return { inputs: l.inputs, units: l.units, pin, pout, W: take(l.inputs * pout), b: take(pout), A: take(capacity * pout) };
    });
    const bytes = assemble(Math.ceil(at / 65536) + 1, [forwardFn(this.L, this.X)]);
    const e = new wasm.Instance(new wasm.Module(bytes), {}).exports as unknown as { memory: WasmMemory; forward(n: number): void };
    this.run = e.forward;
    this.f32 = new Float32Array(e.memory.buffer);
    const m = this.f32;
    this.L.forEach((l, li) => {
      for (let i = 0; i < l.inputs; i++) for (let j = 0; j < l.units; j++) m[l.W / 4 + i * l.pout + j] = kernels[li][i * l.units + j];
      for (let j = 0; j < l.units; j++) m[l.b / 4 + j] = biases[li][j];
    });
  }

  /** The network's outputs for `rows` rows of `input` (row-major, unpadded), written row-major into `out`. */
  forward(input: Float32Array, rows: number, out: Float32Array): Float32Array {
    const m = this.f32;
    const first = this.L[0];
    const last = this.L[this.L.length - 1];
    const f = first.inputs;
    const pf = first.pin;
    const u = last.units;
    const pu = last.pout;
    const x0 = this.X / 4;
    const a0 = last.A / 4;
    for (let start = 0; start < rows; start += this.capacity) {
      const n = Math.min(this.capacity, rows - start);
      if (pf === f) m.set(input.subarray(start * f, (start + n) * f), x0);
      else for (let r = 0; r < n; r++) m.set(input.subarray((start + r) * f, (start + r + 1) * f), x0 + r * pf);
      this.run(n);
      if (pu === u) out.set(m.subarray(a0, a0 + n * u), start * u);
      else for (let r = 0; r < n; r++) out.set(m.subarray(a0 + r * pu, a0 + r * pu + u), (start + r) * u);
    }
    return out;
  }
}
