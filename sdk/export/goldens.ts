/**
 * Golden records for the exported app's own tests: inputs plus the scores the notebook side
 * computes for them at export time. The app must reproduce those scores with its own install.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { mulberry32 } from '../util/prng';
import { FeatureState, recordProblem, recordsMatrix, rowScores, scaleInPlace, type PipelineSpec } from '../ml/pipeline';

export interface Golden {
  tolerance: number;
  threshold: number;
  records: Record<string, unknown>[];
  /** null where the pipeline rejects the record (it goes to the dead-letter topic). */
  scores: (number | null)[];
}

/** Scores records in order from fresh window state; returns one score per valid record. */
export type ScoreRecords = (records: Record<string, unknown>[]) => Promise<ArrayLike<number>>;

export async function buildGolden(spec: PipelineSpec, records: Record<string, unknown>[], score: ScoreRecords, tolerance: number): Promise<Golden> {
  const valid = records.filter((r) => recordProblem(spec, r) === undefined);
  const scores = valid.length ? Array.from(await score(valid)) : [];
  if (scores.length !== valid.length) throw new Error(`golden scoring returned ${scores.length} scores for ${valid.length} records`);
  let at = 0;
  return {
    tolerance,
    threshold: spec.threshold.value,
    records,
    scores: records.map((r) => (recordProblem(spec, r) === undefined ? scores[at++] : null)),
  };
}

/**
 * Deterministic records shaped like the training data, for when the caller gives no sample:
 * readings drawn around each feature's fitted centre and spread, a few far outside it, and one
 * record the pipeline must reject.
 */
export function syntheticRecords(spec: PipelineSpec, count = 120): Record<string, unknown>[] {
  const rand = mulberry32(0x6b61666b);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const centre = spec.inputs.map((inp) => {
    let f = spec.features.indexOf(inp.name);
    if (f < 0) f = spec.features.findIndex((name) => name.startsWith(`${inp.name}_mean_`));
    if (f < 0) return { offset: inp.fill, scale: 1, minmax: false };
    const minmax = spec.scaler.kind === 'minmax';
    return { offset: spec.scaler.offset[f], scale: spec.scaler.scale[f], minmax };
  });
  const keys = Math.min(4, Math.max(1, Math.floor(count / 20)));
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const rec: Record<string, unknown> = {};
    if (spec.key !== undefined) rec[spec.key] = `golden-${i % keys}`;
    for (const field of spec.schema?.fields ?? []) if (field.type === 'string' && field.name !== spec.key) rec[field.name] = 'golden';
    const outlier = i % 10 === 9;
    spec.inputs.forEach((inp, j) => {
      const c = centre[j];
      const z = (c.minmax ? rand() : gauss()) * (outlier ? 6 : 1);
      rec[inp.name] = round(c.offset + c.scale * z);
    });
    out.push(rec);
  }
  // A record the app must dead-letter rather than score.
  out.splice(Math.floor(count / 2), 0, spec.key !== undefined ? { note: 'no key, no readings' } : { note: 'no readings' });
  return out;
}

/**
 * Scores records with kafkalab's own TensorFlow.js and pipeline module, from a saved model
 * folder: the notebook side of the comparison when the model object has no `score` for records.
 */
export async function referenceScorer(modelDir: string, spec: PipelineSpec): Promise<ScoreRecords> {
  // Loaded only here: TensorFlow.js is heavy and the generator needs it only without scoreRecords.
  const { initBackend, tf } = require('../ml/backend') as typeof import('../ml/backend');
  await initBackend();
  const json = JSON.parse(await fs.readFile(path.join(modelDir, 'model.json'), 'utf8'));
  const specs = [];
  const buffers: Buffer[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) buffers.push(await fs.readFile(path.join(modelDir, p)));
  }
  const all = Buffer.concat(buffers);
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) }));
  return async (records) => {
    const x = scaleInPlace(spec.scaler, recordsMatrix(spec, records, new FeatureState(spec)));
    const nf = spec.features.length;
    const y = tf.tidy(() => (model.predict(tf.tensor2d(x, [records.length, nf])) as import('@tensorflow/tfjs').Tensor).dataSync() as Float32Array);
    return rowScores(x, y, nf);
  };
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
