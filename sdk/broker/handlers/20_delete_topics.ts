/**
 * DeleteTopics (20), v0-6.
 * Behavior:
 * - Deletes the topic's log and its committed group offsets and producer state; errors per topic
 *   (3 UNKNOWN_TOPIC_OR_PARTITION; 29 without DELETE on the topic). Deletion is synchronous, so the topic is gone on return.
 * Version notes:
 * - v5+ answer error messages; v6+ name topics by name or by id (100 UNKNOWN_TOPIC_ID) and
 *   are answered with both.
 */
import { registerApi, type RequestContext } from '../registry';
import { transactionsOf } from '../txn/coordinator';
import { findTopicById, kafkaCodeOf } from '../topics';
import { ErrorCode } from '../../protocol/errors';
import { AclOperation, AclResourceType } from '../../protocol/messages/acl-types';
import { ZERO_UUID } from '../../protocol/schema';
import { DeleteTopicsRequest, DeleteTopicsResponse } from '../../protocol/messages/delete-topics';

const BY_ID_FROM_VERSION = 6;

function deleteTopic(ctx: RequestContext, name: string, topicId: Buffer) {
  const { logs, offsets, producers } = ctx.broker;
  if (!ctx.authorize(AclOperation.DELETE, AclResourceType.TOPIC, name)) {
    return { name, topicId, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: `not authorized to delete ${name}` };
  }
  try {
    logs.deleteTopic(name);
    offsets.deleteTopic(name);
    producers.dropTopic(name);
    transactionsOf(ctx.broker).dropTopic(name);
    ctx.logger.info('deleted topic', { topic: name });
    return { name, topicId, errorCode: 0, errorMessage: null };
  } catch (err) {
    const code = kafkaCodeOf(err);
    if (code === undefined) throw err;
    return { name, topicId, errorCode: code, errorMessage: (err as Error).message };
  }
}

registerApi({
  request: DeleteTopicsRequest,
  response: DeleteTopicsResponse,
  minVersion: 0,
  maxVersion: 6,
  handle: (req, ctx) => {
    if (ctx.header.apiVersion < BY_ID_FROM_VERSION) {
      return { throttleTimeMs: 0, responses: req.topicNames.map((name) => deleteTopic(ctx, name, ZERO_UUID)) };
    }
    const responses = req.topics.map(({ name, topicId }) => {
      if (name !== null) return deleteTopic(ctx, name, ctx.broker.logs.topic(name)?.id ?? ZERO_UUID);
      const found = findTopicById(ctx.broker, topicId);
      if (!found) return { name: null, topicId, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: 'unknown topic id' };
      return deleteTopic(ctx, found.name, topicId);
    });
    return { throttleTimeMs: 0, responses };
  },
});
