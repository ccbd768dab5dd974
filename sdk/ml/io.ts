/**
 * TensorFlow.js layers format on the local file system: `model.json` + `weights.bin`, the
 * files `tfjs.loadLayersModel('file://…/model.json')` (tfjs-node) and the browser read.
 * tfjs's own `file://` handler lives in tfjs-node, which we cannot depend on, hence this one.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { tf } from './backend';
import { KafkalabError } from '../util/errors';

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';

/** An IOHandler that writes `model.json` and one weights shard into `dir`. */
export function fileSaveHandler(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) throw new Error('binary model topologies are not supported');
      await fs.mkdir(dir, { recursive: true });
      const weights = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      };
      // Written to temporary names and renamed, so a crash never leaves a half-written model.
      await writeAtomic(path.join(dir, WEIGHTS_FILE), Buffer.from(weights));
      await writeAtomic(path.join(dir, MODEL_FILE), JSON.stringify(modelJson));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
  };
}

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

export async function writeAtomic(file: string, data: string | Buffer): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, data);
  await fs.rename(tmp, file);
}
