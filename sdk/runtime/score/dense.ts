/**
 * Whether a model is a plain stack of dense layers, and its forward pass outside tfjs when it is
 * kafkalab's default network (ReLU hidden layers, linear output): at these sizes tfjs spends most
 * of a call on per-op bookkeeping, the generated SIMD pass (wasm/dense-forward.ts) only on the
 * arithmetic. Both read the same float32 weights, so scores agree within float32 rounding
 * (test/runtime/score/dense.test.ts). The fused trainer reads the layers the same way.
 */
import type { tf } from './backend';
import { SimdForward } from './wasm/dense-forward';
import { simdSupported } from './wasm/emit';

export interface DenseShape {
  inputs: number;
  units: number;
  activation: string;
}

interface DenseConfig {
  units: number;
  activation?: string;
  useBias?: boolean;
}

/** The dense layers of a model, in order, or what keeps it from being a plain stack of them. */
export function denseLayers(model: tf.LayersModel): DenseShape[] | string {
  const specs: DenseShape[] = [];
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'Dense') return `a ${layer.getClassName()} layer`;
    const c = layer.getConfig() as unknown as DenseConfig;
    if (c.useBias === false) return 'a layer without bias';
    const kernel = layer.getWeights()[0];
    if (kernel.shape.length !== 2) return 'a kernel that is not 2-D';
    const [inputs, units] = kernel.shape as [number, number];
    specs.push({ inputs, units, activation: c.activation ?? 'linear' });
  }
  return specs.length ? specs : 'no layers';
}

/** Whether the SIMD forward pass computes this stack: ReLU hidden layers, a linear output. */
export function simdShape(layers: readonly DenseShape[]): boolean {
  return layers.every((l, i) => l.activation === (i === layers.length - 1 ? 'linear' : 'relu'));
}

let simd: boolean | undefined;

/** Whether this runtime runs WebAssembly SIMD (checked once). */
export function simdAvailable(): boolean {
  return (simd ??= simdSupported());
}

/**
 * The model's forward pass on the SIMD kernels, following its weights: rebuilt when they change
 * (training and `setWeights` give each weight new data). Undefined for a network of another
 * shape, or without WebAssembly SIMD: tfjs runs those.
 */
export class DenseForward {
  private engine: SimdForward | undefined;
  private ids: unknown[] = [];

  private constructor(private readonly model: tf.LayersModel, private readonly layers: DenseShape[]) {}

  static of(model: tf.LayersModel): DenseForward | undefined {
    const layers = denseLayers(model);
    if (typeof layers === 'string' || !simdShape(layers) || !simdAvailable()) return undefined;
    return new DenseForward(model, layers);
  }

  /** Outputs for `rows` rows of `input` (row-major), written into `out`. */
  forward(input: Float32Array, rows: number, out: Float32Array): Float32Array {
    return this.current().forward(input, rows, out);
  }

  private current(): SimdForward {
    const weights = this.model.weights;
    const ids = weights.map((w) => (w.read() as unknown as { dataId: unknown }).dataId);
    if (this.engine && ids.length === this.ids.length && ids.every((id, i) => id === this.ids[i])) return this.engine;
    const values = weights.map((w) => w.read().dataSync() as Float32Array);
    const kernels: Float32Array[] = [];
    const biases: Float32Array[] = [];
    for (let i = 0; i < values.length; i += 2) {
      kernels.push(values[i]);
      biases.push(values[i + 1]);
    }
    this.engine = new SimdForward(this.layers, kernels, biases);
    this.ids = ids;
    return this.engine;
  }
}
