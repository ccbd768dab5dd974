/**
 * Loads the exported TensorFlow.js layers model (model.json + weight shards) from disk and
 * picks the fastest backend available: native `tensorflow` when @tensorflow/tfjs-node is
 * installed, else WebAssembly (SIMD), else plain JavaScript.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';

export type Backend = 'tensorflow' | 'wasm' | 'cpu';

export async function chooseBackend(preferred = process.env.TFJS_BACKEND): Promise<Backend> {
  // PROD skips tfjs's debug checks and its console banner, which would break JSON logs.
  tf.env().set('PROD', true);
  const order: Backend[] = preferred ? [preferred as Backend] : ['tensorflow', 'wasm', 'cpu'];
  for (const name of order) {
    try {
      if (name === 'tensorflow') require('@tensorflow/tfjs-node');
      if (name === 'wasm') require('@tensorflow/tfjs-backend-wasm');
      if (await tf.setBackend(name)) {
        await tf.ready();
        return name;
      }
    } catch {
      // not installed or not loadable here: try the next one
    }
  }
  throw new Error(`TensorFlow.js backend "${preferred}" is not available; unset TFJS_BACKEND or use wasm or cpu`);
}

interface ModelJson {
  modelTopology: unknown;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/** Reads a layers model without any network or browser I/O handler. */
export async function loadLayersModel(dir: string): Promise<tf.LayersModel> {
  const json = JSON.parse(await fs.readFile(path.join(dir, 'model.json'), 'utf8')) as ModelJson;
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) buffers.push(await fs.readFile(path.join(dir, p)));
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
      weightSpecs: specs,
      weightData,
      format: json.format,
      generatedBy: json.generatedBy,
      convertedBy: json.convertedBy ?? undefined,
    }),
  );
}

/**
 * One forward pass over `rows` rows; the result is the model's output, row-major.
 * `apply` on the whole batch: `predict` would slice it into batches of 32 and concatenate them,
 * many times slower.
 */
export function forward(model: tf.LayersModel, input: Float32Array, rows: number, width: number): Float32Array {
  // The typed array is read outside tidy(): tidy walks whatever it returns, element by element.
  const y = tf.tidy(() => model.apply(tf.tensor2d(input, [rows, width], 'float32'), { training: false }) as tf.Tensor);
  try {
    return y.dataSync() as Float32Array;
  } finally {
    y.dispose();
  }
}
