/**
 * CreateTopics (19), v0-7.
 * Behavior:
 * - Errors per topic: 36 TOPIC_ALREADY_EXISTS, 17 INVALID_TOPIC_EXCEPTION (Kafka's name
 *   rules), 37 INVALID_PARTITIONS, 38 INVALID_REPLICATION_FACTOR (one broker: only 1 or -1),
 *   40 INVALID_CONFIG, 37 also above maxPartitionsPerTopic (default 1000), 42 INVALID_REQUEST (a name twice in one request).
 * - num_partitions -1 = the broker default; manual assignments decide the count when given.
 * - Topic configs: segment.bytes, segment.ms, retention.ms, retention.bytes and
 *   index.interval.bytes apply; cleanup.policy=delete is accepted, compact is refused (no
 *   compaction); other standard Kafka topic configs are accepted and ignored, unknown names refused.
 * - validate_only (v1+) checks everything and creates nothing.
 * Version notes:
 * - v5+ answer the partition count and replication factor (1) of each topic; v7+ its id.
 */
import { registerApi } from '../registry';
import { kafkaCodeOf } from '../topics';
import { ErrorCode } from '../../protocol/errors';
import { validateTopicName, type LogConfig } from '../log/config';
import { CreateTopicsRequest, CreateTopicsResponse, type CreatableTopic } from '../../protocol/messages/create-topics';

const APPLIED: Record<string, Exclude<keyof LogConfig, 'messageTimestampType'>> = {
  'segment.bytes': 'segmentBytes',
  'segment.ms': 'segmentMs',
  'retention.ms': 'retentionMs',
  'retention.bytes': 'retentionBytes',
  'index.interval.bytes': 'indexIntervalBytes',
};
const IGNORED = new Set([
  'compression.type', 'delete.retention.ms', 'file.delete.delay.ms', 'flush.messages', 'flush.ms',
  'follower.replication.throttled.replicas', 'leader.replication.throttled.replicas', 'max.compaction.lag.ms',
  'max.message.bytes', 'message.downconversion.enable', 'message.format.version', 'message.timestamp.difference.max.ms',
  'min.cleanable.dirty.ratio', 'min.compaction.lag.ms', 'min.insync.replicas', 'preallocate',
  'segment.index.bytes', 'segment.jitter.ms', 'unclean.leader.election.enable', 'local.retention.ms', 'local.retention.bytes',
  'remote.storage.enable', 'message.timestamp.before.max.ms', 'message.timestamp.after.max.ms',
]);

class Refusal {
  constructor(readonly code: number, readonly message: string) {}
}

function topicConfig(t: CreatableTopic): Partial<LogConfig> {
  const out: Partial<LogConfig> = {};
  for (const { name, value } of t.configs) {
    if (name === 'cleanup.policy') {
      if (value !== null && value !== 'delete') throw new Refusal(ErrorCode.INVALID_CONFIG, `cleanup.policy=${value} is not supported (no log compaction); use delete`);
      continue;
    }
    if (name === 'message.timestamp.type') {
      if (value !== 'CreateTime' && value !== 'LogAppendTime') throw new Refusal(ErrorCode.INVALID_CONFIG, `message.timestamp.type must be CreateTime or LogAppendTime, got ${value}`);
      out.messageTimestampType = value;
      continue;
    }
    const key = APPLIED[name] as Exclude<keyof LogConfig, 'messageTimestampType'> | undefined;
    if (key) {
      const n = Number(value);
      if (value === null || !Number.isInteger(n)) throw new Refusal(ErrorCode.INVALID_CONFIG, `${name} must be an integer, got ${value}`);
      out[key] = n;
    } else if (!IGNORED.has(name)) throw new Refusal(ErrorCode.INVALID_CONFIG, `unknown topic config ${name}`);
  }
  return out;
}

registerApi({
  request: CreateTopicsRequest,
  response: CreateTopicsResponse,
  minVersion: 0,
  maxVersion: 7,
  handle: (req, ctx) => {
    const { logs, config } = ctx.broker;
    const seen = new Map<string, number>();
    for (const t of req.topics) seen.set(t.name, (seen.get(t.name) ?? 0) + 1);
    const topics = req.topics.map((t) => {
      const refused = (errorCode: number, errorMessage: string) => ({ name: t.name, errorCode, errorMessage, configs: null });
      try {
        if (seen.get(t.name)! > 1) throw new Refusal(ErrorCode.INVALID_REQUEST, `topic ${t.name} appears more than once in the request`);
        validateTopicName(t.name);
        if (logs.topic(t.name)) throw new Refusal(ErrorCode.TOPIC_ALREADY_EXISTS, `topic ${t.name} already exists`);
        let partitions = t.numPartitions === -1 ? config.defaultPartitions : t.numPartitions;
        if (t.assignments.length > 0) {
          if (t.numPartitions !== -1) throw new Refusal(ErrorCode.INVALID_REQUEST, 'give either num_partitions or manual assignments, not both');
          if (t.assignments.some((a) => a.brokerIds.some((b) => b !== config.nodeId))) {
            throw new Refusal(ErrorCode.INVALID_REPLICATION_FACTOR, `assignments may only name broker ${config.nodeId}`);
          }
          partitions = t.assignments.length;
        } else if (t.replicationFactor !== -1 && t.replicationFactor !== 1) {
          throw new Refusal(ErrorCode.INVALID_REPLICATION_FACTOR, `replication factor ${t.replicationFactor} is larger than the 1 available broker`);
        }
        if (!Number.isInteger(partitions) || partitions < 1) throw new Refusal(ErrorCode.INVALID_PARTITIONS, `number of partitions must be at least 1, got ${t.numPartitions}`);
        if (partitions > config.maxPartitionsPerTopic) {
          throw new Refusal(ErrorCode.INVALID_PARTITIONS, `${partitions} partitions is more than this broker allows per topic (maxPartitionsPerTopic ${config.maxPartitionsPerTopic})`);
        }
        const cfg = topicConfig(t);
        const created = req.validateOnly ? undefined : logs.createTopic(t.name, partitions, cfg);
        return { name: t.name, topicId: created?.id, errorCode: 0, errorMessage: null, numPartitions: partitions, replicationFactor: 1, configs: [] };
      } catch (err) {
        if (err instanceof Refusal) return refused(err.code, err.message);
        const code = kafkaCodeOf(err);
        if (code === undefined) throw err;
        return refused(code, (err as Error).message);
      }
    });
    return { throttleTimeMs: 0, topics };
  },
});
