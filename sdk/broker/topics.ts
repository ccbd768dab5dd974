/** Topic lookups shared by the data-path handlers: auto-creation and storage errors as Kafka codes. */
import { ErrorCode } from '../protocol/errors';
import type { BrokerState } from './registry';
import type { TopicInfo } from './log';

/** The Kafka error code a storage error carries, or undefined for a real failure (a bug, I/O). */
export function kafkaCodeOf(err: unknown): number | undefined {
  const code = err instanceof Error && err.name === 'LogError' ? (err as unknown as { code?: unknown }).code : undefined;
  return typeof code === 'number' ? code : undefined;
}

/** Looks a topic up, creating it when auto-creation is on and the client allows it. */
export function findOrCreateTopic(state: BrokerState, name: string, allowAutoCreate: boolean): TopicInfo | { errorCode: number; message: string } {
  const info = state.logs.topic(name);
  if (info) return info;
  if (!allowAutoCreate || !state.config.autoCreateTopics) {
    return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `unknown topic ${name}` };
  }
  try {
    const created = state.logs.createTopic(name, state.config.defaultPartitions);
    state.logger.info('auto-created topic', { topic: name, partitions: created.partitions });
    return created;
  } catch (err) {
    const code = kafkaCodeOf(err);
    if (code === undefined) throw err;
    if (code === ErrorCode.TOPIC_ALREADY_EXISTS) {
      const existing = state.logs.topic(name);
      if (existing) return existing;
    }
    return { errorCode: code, message: (err as Error).message };
  }
}

export function isTopicError(v: TopicInfo | { errorCode: number }): v is { errorCode: number; message: string } {
  return (v as { errorCode?: number }).errorCode !== undefined;
}

/** Topic ids (Fetch v13+, Metadata v10+ by id) to names; rebuilt on a miss, checked on a hit. */
const namesById = new WeakMap<BrokerState['logs'], Map<string, string>>();
export function findTopicById(state: BrokerState, id: Buffer): TopicInfo | undefined {
  let names = namesById.get(state.logs);
  const key = id.toString('hex');
  const hit = names?.get(key);
  if (hit !== undefined) {
    const t = state.logs.topic(hit);
    if (t && t.id.equals(id)) return t;
  }
  names = new Map(state.logs.topics().map((t) => [t.id.toString('hex'), t.name]));
  namesById.set(state.logs, names);
  const name = names.get(key);
  return name === undefined ? undefined : state.logs.topic(name);
}
