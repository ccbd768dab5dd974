/**
 * The model call: a saved TensorFlow.js layers model read from its folder (model.json and its
 * weight shards, no network or browser I/O), and one forward pass over a row-major matrix.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { KafkalabError } from '../../util/errors';
import { tf } from './backend';

export const MODEL_FILE = 'model.json';

/** An IOHandler that reads `dir/model.json` and its weight shards (any number of them). */
export function fileLoadHandler(dir: string): tf.io.IOHandler {
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const file = path.join(dir, MODEL_FILE);
      let json: tf.io.ModelJSON;
      try {
        json = JSON.parse(await fs.readFile(file, 'utf8')) as tf.io.ModelJSON;
      } catch (err) {
        throw new KafkalabError(`Cannot read ${file} (${(err as Error).message})`, {
          code: 'MODEL_LOAD',
          hint: 'pass a folder written by `await ae.save(dir)`',
          cause: err,
        });
      }
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const p of group.paths) {
            const b = await fs.readFile(path.join(dir, p));
            buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
          }
        }
        return [specs, tf.io.CompositeArrayBuffer.join(buffers)];
      });
    },
  };
}

export function loadModel(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(fileLoadHandler(dir));
}

/**
 * The model's output for `rows` rows of `matrix` (row-major, `width` columns; for a sequence
 * model `steps` x `width` per row), in chunks of `chunk` rows. `apply` on whole chunks: `predict`
 * slices into batches of 32 and concatenates, many times slower.
 */
export function forward(model: tf.LayersModel, matrix: Float32Array, rows: number, width: number, chunk = 32768, steps = 1): Float32Array {
  if (rows === 0) return new Float32Array(0);
  const span = width * steps;
  chunk = Math.max(1, Math.floor(chunk / steps));
  if (rows <= chunk) return run(model, rows === matrix.length / span ? matrix : matrix.subarray(0, rows * span), rows, width, steps);
  const out = new Float32Array(rows * span);
  for (let start = 0; start < rows; start += chunk) {
    const n = Math.min(chunk, rows - start);
    out.set(run(model, matrix.subarray(start * span, (start + n) * span), n, width, steps), start * span);
  }
  return out;
}

function run(model: tf.LayersModel, input: Float32Array, rows: number, width: number, steps: number): Float32Array {
  // The typed array is read outside tidy(): tidy walks whatever it returns, element by element.
  const shape: [number, number] | [number, number, number] = steps === 1 ? [rows, width] : [rows, steps, width];
  const y = tf.tidy(() => model.apply(tf.tensor(input, shape, 'float32'), { training: false }) as tf.Tensor);
  try {
    return y.dataSync() as Float32Array;
  } finally {
    y.dispose();
  }
}
