/**
 * Models in production, the notebook side: publishing a trained model as a version on a
 * compacted models topic (sdk/runtime/score/versions.ts has the record format), promoting the
 * candidate running in shadow, and measuring drift against the training distribution. The
 * exported app follows the same topic (MODEL_TOPIC) with the runtime's ModelFeed.
 */
import type { KafkaClient } from '../kafka/client';
import { KafkalabError } from '../util/errors';
import { checkOptions, optionKeys } from '../util/options';
import {
  encodeModelVersion, modelArtifacts, modelKey, ModelFeed, modelVersionOf, DEFAULT_MODEL_NAME, MODEL_ROLES,
  type ModelRole, type ModelVersion, type PipelineSpec, type tf,
} from '../runtime';
import type { History } from './train';
import { describeThreshold } from './threshold';

export interface ModelPublishOptions {
  /** Which model this is a version of: the record key's prefix, the app's MODEL_NAME. Default 'model'. */
  name?: string;
  /** 'live' (default): the apps swap to it; 'candidate': they score with it in shadow beside the live one. */
  role?: ModelRole;
  /** The version id outputs are stamped with; default a content hash of the pipeline and weights. */
  version?: string;
  /** Anything to keep with the version (evaluation figures, data ranges); training figures are added. */
  metrics?: Record<string, unknown>;
}
export const PUBLISH_OPTIONS = optionKeys<ModelPublishOptions>()(['name', 'role', 'version', 'metrics']);

export interface ModelPublishResult {
  topic: string;
  key: string;
  version: string;
  role: ModelRole;
  partition: number;
  offset: number;
  /** Size of the record's value. */
  bytes: number;
  /** True when this call created the models topic. */
  created: boolean;
}

/** Creates the models topic compacted with one partition (changes keep their order), unless it exists. */
export function ensureModelsTopic(kafka: KafkaClient, topic: string): Promise<boolean> {
  return kafka.ensureTopic(topic, { partitions: 1, config: { 'cleanup.policy': 'compact' } });
}

async function send(kafka: KafkaClient, topic: string, key: string, value: Buffer | null): Promise<{ partition: number; offset: number }> {
  const producer = await kafka.producer();
  const [meta] = await kafka.call('publish()', topic, () => producer.send({ topic, acks: -1, messages: [{ key, value, partition: 0 }] }));
  return { partition: meta.partition, offset: Number(meta.baseOffset ?? meta.offset) };
}

export async function publishModel(
  kafka: KafkaClient,
  topic: string,
  model: { spec: PipelineSpec; model: tf.LayersModel; history?: History },
  opts: ModelPublishOptions = {},
): Promise<ModelPublishResult> {
  checkOptions('publish()', opts, PUBLISH_OPTIONS);
  const role = opts.role ?? 'live';
  if (!MODEL_ROLES.includes(role)) throw new KafkalabError(`publish(): role must be one of ${MODEL_ROLES.join(', ')}, got ${JSON.stringify(role)}`, { code: 'BAD_OPTION' });
  const name = opts.name ?? DEFAULT_MODEL_NAME;
  if (!name || name.includes(':')) throw new KafkalabError(`publish(): name ${JSON.stringify(name)} must be non-empty and without ":"`, { code: 'BAD_OPTION' });
  const h = model.history;
  const training = h ? { epochs: h.epochs, rows: h.rows, loss: h.loss.at(-1), valLoss: h.valLoss.at(-1), trainer: h.trainer } : undefined;
  const metrics = { ...(training ? { training } : {}), threshold: describeThreshold(model.spec.threshold), ...opts.metrics };
  const v = modelVersionOf(model.spec, await modelArtifacts(model.model), { name, version: opts.version, metrics });
  const created = await ensureModelsTopic(kafka, topic);
  const value = encodeModelVersion(v);
  const key = modelKey(name, role);
  const at = await send(kafka, topic, key, value);
  return { topic, key, version: v.version, role, ...at, bytes: value.length, created };
}

/** The latest live and candidate versions of a model on a models topic. */
export async function modelVersions(kafka: KafkaClient, topic: string, name = DEFAULT_MODEL_NAME): Promise<Partial<Record<ModelRole, ModelVersion>>> {
  await kafka.requireTopic(topic);
  const feed = new ModelFeed(kafka.kafka, { topic, name, onChange: async () => undefined });
  try {
    return await feed.start();
  } finally {
    await feed.stop();
  }
}

/**
 * Promotes the candidate: publishes it as the live version and clears the candidate (a
 * tombstone), so apps running it in shadow switch to it without reloading it.
 */
export async function promoteModel(kafka: KafkaClient, topic: string, opts: { name?: string; version?: string } = {}): Promise<ModelPublishResult> {
  checkOptions('promote()', opts, optionKeys<{ name?: string; version?: string }>()(['name', 'version']));
  const name = opts.name ?? DEFAULT_MODEL_NAME;
  const { candidate } = await modelVersions(kafka, topic, name);
  if (!candidate) throw new KafkalabError(`No candidate of model "${name}" on topic "${topic}" to promote`, { code: 'NO_CANDIDATE', hint: `publish one with ae.publish(kafka, '${topic}', { role: 'candidate' })` });
  if (opts.version !== undefined && candidate.version !== opts.version) {
    throw new KafkalabError(`The candidate of model "${name}" is version ${candidate.version}, not ${opts.version}`, { code: 'NO_CANDIDATE', hint: 'promote the version running in shadow, or publish the one you mean as candidate first' });
  }
  const value = encodeModelVersion(candidate);
  const at = await send(kafka, topic, modelKey(name, 'live'), value);
  await send(kafka, topic, modelKey(name, 'candidate'), null);
  return { topic, key: modelKey(name, 'live'), version: candidate.version, role: 'live', ...at, bytes: value.length, created: false };
}
