/**
 * A model version as one Kafka record: the network (TensorFlow.js layers topology, weight specs
 * and weights), its pipeline.json (features, scaler, threshold, training distribution) and the
 * metrics it was published with. `ae.publish(kafka, topic)` writes one; an exported app with
 * MODEL_TOPIC reads them (./model-feed.ts) and swaps to each. The same bytes, the same scores:
 * decoding gives the model `ae.save` would have written.
 *
 * Records are keyed `<name>:<role>` on a compacted topic: the latest `live` version and the
 * latest `candidate` (run in shadow) survive compaction; a null value for `candidate` ends the
 * shadow run. Record value (JSON, UTF-8):
 *   { format: 'kafkalab.model-version/1', version, name, createdAt, pipeline, metrics,
 *     model: { modelTopology, weightSpecs, weights: base64 } }
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { KafkalabError } from '../../util/errors';
import { tf } from './backend';
import { MODEL_FILE } from './model';
import { checkPipeline, type PipelineSpec } from './pipeline';

export const MODEL_VERSION_FORMAT = 'kafkalab.model-version/1';
export const MODEL_ROLES = ['live', 'candidate'] as const;
export type ModelRole = (typeof MODEL_ROLES)[number];
export const DEFAULT_MODEL_NAME = 'model';

export interface ModelVersion {
  format: typeof MODEL_VERSION_FORMAT;
  /** The version id outputs are stamped with (`model_version`). */
  version: string;
  name: string;
  createdAt: string;
  pipeline: PipelineSpec;
  model: { modelTopology: object; weightSpecs: tf.io.WeightsManifestEntry[]; weights: string };
  metrics?: Record<string, unknown>;
}

/** The record key of a model name and role. */
export function modelKey(name: string, role: ModelRole): string {
  return `${name}:${role}`;
}

/** Name and role of a record key, or undefined for keys that are not model keys. */
export function parseModelKey(key: string): { name: string; role: ModelRole } | undefined {
  const at = key.lastIndexOf(':');
  const role = key.slice(at + 1) as ModelRole;
  return at > 0 && MODEL_ROLES.includes(role) ? { name: key.slice(0, at), role } : undefined;
}

/**
 * A content id: the first 12 hex digits of SHA-256 over the pipeline (metadata aside) and the
 * weights, so the same model published twice is the same version.
 */
export function contentId(pipeline: PipelineSpec, weights: Uint8Array): string {
  const { metadata: _m, createdAt: _c, ...content } = pipeline;
  return createHash('sha256').update(JSON.stringify(content)).update(weights).digest('hex').slice(0, 12);
}

/** The version of a saved or published pipeline: the one it was published as, else its content id. */
export function versionOf(pipeline: PipelineSpec, weights: Uint8Array): string {
  const v = pipeline.metadata?.modelVersion;
  return typeof v === 'string' && v ? v : contentId(pipeline, weights);
}

export function modelVersionOf(
  pipeline: PipelineSpec,
  artifacts: { modelTopology: object; weightSpecs: tf.io.WeightsManifestEntry[]; weights: Uint8Array },
  opts: { name?: string; version?: string; metrics?: Record<string, unknown>; createdAt?: Date } = {},
): ModelVersion {
  const version = opts.version ?? versionOf(pipeline, artifacts.weights);
  return {
    format: MODEL_VERSION_FORMAT,
    version,
    name: opts.name ?? DEFAULT_MODEL_NAME,
    createdAt: (opts.createdAt ?? new Date()).toISOString(),
    pipeline: { ...pipeline, metadata: { ...pipeline.metadata, modelVersion: version } },
    model: { modelTopology: artifacts.modelTopology, weightSpecs: artifacts.weightSpecs, weights: Buffer.from(artifacts.weights).toString('base64') },
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
  };
}

/** The artifacts of a model in memory (what `model.save` hands a save handler). */
export async function modelArtifacts(model: tf.LayersModel): Promise<{ modelTopology: object; weightSpecs: tf.io.WeightsManifestEntry[]; weights: Uint8Array }> {
  let out: { modelTopology: object; weightSpecs: tf.io.WeightsManifestEntry[]; weights: Uint8Array } | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const data = a.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(a.weightData);
      out = { modelTopology: a.modelTopology as object, weightSpecs: a.weightSpecs ?? [], weights: new Uint8Array(data) };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return out!;
}

/** The model version of a folder written by `ae.save(dir)` (or an exported app's `model/`). */
export async function readModelVersion(dir: string, opts: { name?: string; version?: string; metrics?: Record<string, unknown> } = {}): Promise<ModelVersion> {
  try {
    const pipeline = checkPipeline(JSON.parse(await fs.readFile(path.join(dir, 'pipeline.json'), 'utf8')) as PipelineSpec);
    const json = JSON.parse(await fs.readFile(path.join(dir, MODEL_FILE), 'utf8')) as tf.io.ModelJSON;
    const weightSpecs: tf.io.WeightsManifestEntry[] = [];
    const parts: Buffer[] = [];
    for (const group of json.weightsManifest) {
      weightSpecs.push(...group.weights);
      for (const p of group.paths) parts.push(await fs.readFile(path.join(dir, p)));
    }
    const created = pipeline.createdAt ? new Date(pipeline.createdAt) : undefined;
    return modelVersionOf(pipeline, { modelTopology: json.modelTopology as object, weightSpecs, weights: Buffer.concat(parts) }, { ...opts, createdAt: created && !isNaN(created.getTime()) ? created : undefined });
  } catch (err) {
    throw new KafkalabError(`Cannot read the model in ${dir} (${(err as Error).message})`, { code: 'MODEL_LOAD', hint: 'pass the folder holding pipeline.json and model.json', cause: err });
  }
}

export function encodeModelVersion(v: ModelVersion): Buffer {
  return Buffer.from(JSON.stringify(v), 'utf8');
}

/** Parses and checks a model version record's value; throws a MODEL_VERSION error saying what is wrong. */
export function decodeModelVersion(value: Buffer | string): ModelVersion {
  let v: ModelVersion;
  try {
    v = JSON.parse(typeof value === 'string' ? value : value.toString('utf8')) as ModelVersion;
    if (!v || typeof v !== 'object') throw new Error('not a JSON object');
    if (v.format !== MODEL_VERSION_FORMAT) throw new Error(`format is ${JSON.stringify(v.format)}, expected ${MODEL_VERSION_FORMAT}`);
    if (typeof v.version !== 'string' || !v.version) throw new Error('no version');
    if (!v.model || typeof v.model.weights !== 'string' || !Array.isArray(v.model.weightSpecs) || !v.model.modelTopology) throw new Error('no model topology and weights');
    checkPipeline(v.pipeline);
  } catch (err) {
    throw new KafkalabError(`Not a model version record (${(err as Error).message})`, { code: 'MODEL_VERSION', hint: 'publish models with ae.publish(kafka, topic)', cause: err });
  }
  return v;
}

/** The network of a model version, on the current backend. */
export async function loadVersionModel(v: ModelVersion): Promise<tf.LayersModel> {
  const bytes = Buffer.from(v.model.weights, 'base64');
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: v.model.modelTopology, weightSpecs: v.model.weightSpecs, weightData }));
  const shape = model.inputs[0].shape;
  if (shape[shape.length - 1] !== v.pipeline.features.length) {
    model.dispose();
    throw new KafkalabError(`Model version ${v.version} takes ${shape[shape.length - 1]} inputs but its pipeline lists ${v.pipeline.features.length} features`, { code: 'MODEL_VERSION' });
  }
  return model;
}
