/**
 * CreatePartitions (37), v0-3.
 * Behavior:
 * - Grows a topic to `count` partitions (Kafka never shrinks one): a count not above the
 *   current one gets 37 INVALID_PARTITIONS, as does one above maxPartitionsPerTopic. New
 *   partitions start empty; Metadata lists them at once.
 * - Manual assignments, when given, need one entry per new partition naming only this broker
 *   (39 INVALID_REPLICA_ASSIGNMENT otherwise).
 * - A topic named twice: 42; unknown topic: 3; validate_only checks and creates nothing. Needs
 *   ALTER on the topic (29 otherwise).
 */
import { registerApi } from '../registry';
import { kafkaCodeOf } from '../topics';
import { ErrorCode } from '../../protocol/errors';
import { AclOperation, AclResourceType } from '../../protocol/messages/acl-types';
import { CreatePartitionsRequest, CreatePartitionsResponse } from '../../protocol/messages/create-partitions';

class Refusal {
  constructor(readonly code: number, readonly message: string) {}
}

registerApi({
  request: CreatePartitionsRequest,
  response: CreatePartitionsResponse,
  minVersion: 0,
  maxVersion: 3,
  handle: (req, ctx) => {
    const { logs, config } = ctx.broker;
    const seen = new Map<string, number>();
    for (const t of req.topics) seen.set(t.name, (seen.get(t.name) ?? 0) + 1);
    const results = req.topics.map((t) => {
      try {
        if (seen.get(t.name)! > 1) throw new Refusal(ErrorCode.INVALID_REQUEST, `topic ${t.name} appears more than once in the request`);
        if (!ctx.authorize(AclOperation.ALTER, AclResourceType.TOPIC, t.name)) throw new Refusal(ErrorCode.TOPIC_AUTHORIZATION_FAILED, `not authorized to alter topic ${t.name}`);
        const topic = logs.topic(t.name);
        if (!topic) throw new Refusal(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic "${t.name}" does not exist`);
        if (t.count <= topic.partitions) {
          throw new Refusal(ErrorCode.INVALID_PARTITIONS, `Topic "${t.name}" already has ${topic.partitions} partitions; the count can only grow`);
        }
        if (t.count > config.maxPartitionsPerTopic) {
          throw new Refusal(ErrorCode.INVALID_PARTITIONS, `${t.count} partitions is more than this broker allows per topic (maxPartitionsPerTopic ${config.maxPartitionsPerTopic})`);
        }
        if (t.assignments !== null) {
          const added = t.count - topic.partitions;
          if (t.assignments.length !== added) {
            throw new Refusal(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `${t.assignments.length} assignments for ${added} new partitions`);
          }
          if (t.assignments.some((a) => a.brokerIds.length !== 1 || a.brokerIds[0] !== config.nodeId)) {
            throw new Refusal(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `assignments may only name broker ${config.nodeId}, once per partition`);
          }
        }
        if (!req.validateOnly) {
          logs.addPartitions(t.name, t.count);
          ctx.logger.info('added partitions', { topic: t.name, partitions: t.count });
        }
        return { name: t.name, errorCode: 0, errorMessage: null };
      } catch (err) {
        if (err instanceof Refusal) return { name: t.name, errorCode: err.code, errorMessage: err.message };
        const code = kafkaCodeOf(err);
        if (code === undefined) throw err;
        return { name: t.name, errorCode: code, errorMessage: (err as Error).message };
      }
    });
    return { throttleTimeMs: 0, results };
  },
});
