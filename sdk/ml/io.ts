/**
 * TensorFlow.js layers format on the local file system: `model.json` + `weights.bin`, the
 * files `tfjs.loadLayersModel('file://…/model.json')` (tfjs-node) and the browser read.
 * tfjs's own `file://` handler lives in tfjs-node, which we cannot depend on, hence this one.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { tf } from '../runtime/score/backend';
import { MODEL_FILE } from '../runtime/score/model';

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

export async function writeAtomic(file: string, data: string | Buffer): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, data);
  await fs.rename(tmp, file);
}
