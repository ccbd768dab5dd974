/**
 * A small real autoencoder on the car simulator's readings, saved in TensorFlow.js layers format
 * with its pipeline.json: what `ae.save(dir)` writes, built here with the pipeline module and
 * TensorFlow.js directly so that the export tests do not depend on the training code.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { initBackend, tf } from '../../sdk/runtime/score/backend';
import { carReadings, CAR_FEATURES } from '../../sdk/ingest/simulator';
import { FeatureState, fitScaler, recordsMatrix, rowScores, scaleInPlace, windowFeatureNames, PIPELINE_VERSION, type PipelineSpec, type WindowFeatureSpec } from '../../sdk/runtime';

export async function saveSmallModel(dir: string, opts: { windows?: boolean; epochs?: number } = {}): Promise<PipelineSpec> {
  await initBackend();
  const windows: WindowFeatureSpec[] = opts.windows === false ? [] : [{ field: 'engine_vibration_amplitude', size: 5, stats: ['mean', 'std'] }];
  const inputs = CAR_FEATURES.map((name) => ({ name, fill: 0 }));
  const features = [...CAR_FEATURES, ...windowFeatureNames(windows)];
  const rows = carReadings({ cars: 8, readingsPerCar: 250, anomalyRate: 0, seed: 3 }) as unknown as Record<string, unknown>[];
  const base: PipelineSpec = {
    version: PIPELINE_VERSION,
    key: 'carId',
    inputs,
    windows,
    features,
    scaler: { kind: 'standard', offset: [], scale: [] },
    threshold: { value: 0, method: 'percentile', percentile: 99 },
    model: { format: 'tfjs-layers', path: 'model.json', inputSize: features.length, layers: [8, 4, 8], activation: 'relu', outputActivation: 'linear' },
    schema: { fields: [{ name: 'carId', type: 'string' }, ...CAR_FEATURES.map((name) => ({ name, type: 'number' as const }))] },
  };
  const raw = recordsMatrix(base, rows, new FeatureState(base));
  const scaler = fitScaler('standard', raw, features.length);
  const x = scaleInPlace(scaler, raw);
  const nf = features.length;

  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [nf], units: 8, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
  model.add(tf.layers.dense({ units: 4, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
  model.add(tf.layers.dense({ units: 8, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }));
  model.add(tf.layers.dense({ units: nf, activation: 'linear', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }));
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
  const xt = tf.tensor2d(x, [rows.length, nf]);
  await model.fit(xt, xt, { epochs: opts.epochs ?? 15, batchSize: 128, shuffle: false, verbose: 0 });
  const y = (model.predict(xt) as import('@tensorflow/tfjs').Tensor).dataSync() as Float32Array;
  xt.dispose();
  const scores = Array.from(rowScores(x, y, nf)).sort((a, b) => a - b);
  const spec: PipelineSpec = { ...base, scaler, threshold: { value: scores[Math.floor(scores.length * 0.99)], method: 'percentile', percentile: 99 } };

  await fs.mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData!;
      const bytes = Array.isArray(data) ? Buffer.concat(data.map((b) => Buffer.from(b))) : Buffer.from(data);
      await fs.writeFile(path.join(dir, 'weights.bin'), bytes);
      const json = { modelTopology: artifacts.modelTopology, format: 'layers-model', generatedBy: 'kafkalab test fixture', convertedBy: null, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }] };
      await fs.writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  await fs.writeFile(path.join(dir, 'pipeline.json'), JSON.stringify(spec, null, 2));
  model.dispose();
  return spec;
}
