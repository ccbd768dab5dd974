/**
 * The default trainer for plain dense autoencoders: fused steps over the same mini-batches
 * BatchTrainer would feed tfjs, with the weights taken from the tfjs model before a pass and put
 * back after it. Two engines do the steps: WebAssembly SIMD kernels (wasm/dense-simd.ts) for
 * the default shape (ReLU hidden layers, linear output), and generated JavaScript loops
 * (fused-dense.ts) for every other activation. The model stays the one source of truth: validation, early-stopping snapshots,
 * scoring, save and export all read it as before. Networks it cannot run (dropout layers, a
 * layer without bias, an activation it has no form for) use tfjs's BatchTrainer instead.
 */
import { tf } from '../runtime/score/backend';
import { FusedDense, type DenseLayerSpec } from './fused-dense';
import { denseLayers, simdAvailable, simdShape } from '../runtime/score/dense';
import { SimdDense } from './wasm/dense-simd';
import { ACTIVATIONS, type Activation } from './model';
import { cpuMsSince, type Trainer } from './train';

/** The dense layers of a model FusedDense can train exactly, or a reason why not. */
export function fusedLayers(model: tf.LayersModel): DenseLayerSpec[] | string {
  const layers = denseLayers(model);
  if (typeof layers === 'string') return layers;
  const bad = layers.find((l) => !ACTIVATIONS.includes(l.activation as Activation));
  return bad ? `activation ${bad.activation}` : (layers as DenseLayerSpec[]);
}

/** The step engines' common surface. */
export interface DenseEngine {
  readonly kind: 'simd' | 'js';
  setWeights(kernels: ArrayLike<number>[], biases: ArrayLike<number>[]): void;
  kernel(layer: number): ArrayLike<number>;
  bias(layer: number): ArrayLike<number>;
  /** One Adam step on rows [start, start + n); returns the batch loss as tfjs reports it. */
  step(matrix: Float32Array, start: number, n: number): number;
}

/** SIMD kernels where the network has their shape and the runtime runs them; JS kernels otherwise (and for layers applied per reading). */
export function denseEngine(layers: DenseLayerSpec[], learningRate: number, l2: number, prefer: 'simd' | 'js' = 'simd'): DenseEngine {
  if (prefer === 'simd' && simdShape(layers) && layers.every((l) => (l.repeat ?? 1) === 1) && simdAvailable()) {
    return new SimdDense(layers, { learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, l2 });
  }
  return new FusedDense(layers, { learningRate, l2 });
}

export class FusedTrainer implements Trainer {
  readonly kind = 'fused' as const;
  readonly net: DenseEngine;
  private lastYield = Date.now();
  rows = 0;
  trainMs = 0;
  trainCpuMs = 0;

  constructor(readonly model: tf.LayersModel, readonly features: number, learningRate: number, l2: number, private readonly layers: DenseLayerSpec[], engine?: 'simd' | 'js') {
    this.net = denseEngine(layers, learningRate, l2, engine);
  }

  async pass(matrix: Float32Array, batchSize: number, onBatch?: (batch: number, loss: number) => void, stop?: () => boolean): Promise<{ lossSum: number; rows: number }> {
    this.pull();
    const rows = matrix.length / this.features;
    let lossSum = 0;
    let done = 0;
    try {
      for (let start = 0, b = 0; start < rows; start += batchSize, b++) {
        if (stop?.()) break;
        const n = Math.min(batchSize, rows - start);
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        const l = this.net.step(matrix, start, n);
        this.trainMs += performance.now() - t0;
        this.trainCpuMs += cpuMsSince(c0);
        lossSum += l * n;
        done += n;
        this.rows += n;
        onBatch?.(b, l);
        // Give timers and sockets a turn (Kafka heartbeats, abort signals, kernel output).
        if (Date.now() - this.lastYield > 100) {
          this.push();
          await new Promise((r) => setImmediate(r));
          this.pull();
          this.lastYield = Date.now();
        }
      }
    } finally {
      this.push();
    }
    return { lossSum, rows: done };
  }

  /** Weights from the tfjs model (it may have been restored or changed between passes). */
  private pull(): void {
    const w = this.model.getWeights();
    const kernels: ArrayLike<number>[] = [];
    const biases: ArrayLike<number>[] = [];
    for (let i = 0; i < w.length; i += 2) {
      kernels.push(w[i].dataSync());
      biases.push(w[i + 1].dataSync());
    }
    this.net.setWeights(kernels, biases);
  }

  /** Weights back into the tfjs model, as float32 (what it stores and scores with). */
  private push(): void {
    const tensors: tf.Tensor[] = [];
    this.layers.forEach((l, i) => {
      tensors.push(tf.tensor2d(Float32Array.from(this.net.kernel(i)), [l.inputs, l.units]), tf.tensor1d(Float32Array.from(this.net.bias(i))));
    });
    this.model.setWeights(tensors);
    tf.dispose(tensors);
  }

  get rowsPerSec(): number {
    return this.trainMs > 0 ? (this.rows / this.trainMs) * 1000 : 0;
  }

  dispose(): void {}
}
