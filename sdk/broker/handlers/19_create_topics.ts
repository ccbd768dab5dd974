/**
 * CreateTopics (19), v0-7.
 * Behavior:
 * - Errors per topic: 36 TOPIC_ALREADY_EXISTS, 17 INVALID_TOPIC_EXCEPTION (Kafka's name
 *   rules), 37 INVALID_PARTITIONS, 38 INVALID_REPLICATION_FACTOR (one broker: only 1 or -1),
 *   40 INVALID_CONFIG, 37 also above maxPartitionsPerTopic (default 1000), 42 INVALID_REQUEST (a name twice in one request).
 * - num_partitions -1 = the broker default; manual assignments decide the count when given.
 * - Topic configs are checked by storage (sdk/broker/log/topic-configs.ts) with Kafka's names,
 *   types and ranges: unknown names and bad values get 40 naming the key; cleanup.policy
 *   compact / compact,delete, retention, segment and timestamp-type configs act on the log.
 * - validate_only (v1+) checks everything and creates nothing. Needs CREATE on the topic (29).
 * Version notes:
 * - v5+ answer the partition count, replication factor (1) and every config of each topic
 *   (as DescribeConfigs would); v7+ its id.
 */
import { registerApi } from '../registry';
import { kafkaCodeOf } from '../topics';
import { ErrorCode } from '../../protocol/errors';
import { AclOperation, AclResourceType } from '../../protocol/messages/acl-types';
import { validateTopicName } from '../log/config';
import { configSourceCode } from '../../protocol/messages/describe-configs';
import { CreateTopicsRequest, CreateTopicsResponse, type CreatableTopic } from '../../protocol/messages/create-topics';

class Refusal {
  constructor(readonly code: number, readonly message: string) {}
}

/** The request's configs by name (validated by storage, which knows Kafka's topic configs). */
function topicConfigs(t: CreatableTopic): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const { name, value } of t.configs) out[name] = value;
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
        if (!ctx.authorize(AclOperation.CREATE, AclResourceType.TOPIC, t.name)) throw new Refusal(ErrorCode.TOPIC_AUTHORIZATION_FAILED, `not authorized to create ${t.name}`);
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
        const cfg = topicConfigs(t);
        if (req.validateOnly) {
          logs.validateTopicConfigs(cfg);
          return { name: t.name, errorCode: 0, errorMessage: null, numPartitions: partitions, replicationFactor: 1, configs: [] };
        }
        const created = logs.createTopic(t.name, partitions, cfg);
        const configs = logs.describeTopicConfigs(t.name).map((c) => ({
          name: c.name,
          value: c.value,
          readOnly: c.readOnly,
          configSource: configSourceCode(c.source),
          isSensitive: c.sensitive,
        }));
        return { name: t.name, topicId: created.id, errorCode: 0, errorMessage: null, numPartitions: partitions, replicationFactor: 1, configs };
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
