/**
 * DeleteTopics (20), v0-3.
 * Behavior:
 * - Deletes the topic's log and its committed group offsets and producer state; errors per topic
 *   (3 UNKNOWN_TOPIC_OR_PARTITION). Deletion is synchronous, so the topic is gone on return.
 */
import { registerHandler } from '../registry';
import { kafkaCodeOf } from '../topics';
import {
  decodeDeleteTopicsRequest,
  encodeDeleteTopicsResponse,
  type DeleteTopicsRequest,
  type DeleteTopicsResponse,
} from '../../protocol/messages/delete-topics';

registerHandler<DeleteTopicsRequest, DeleteTopicsResponse>({
  key: 20,
  name: 'DeleteTopics',
  minVersion: 0,
  maxVersion: 3,
  flexibleVersion: 4,
  decodeRequest: decodeDeleteTopicsRequest,
  handle: (req, ctx) => {
    const { logs, offsets, producers } = ctx.broker;
    const responses = req.topicNames.map((name) => {
      try {
        logs.deleteTopic(name);
        offsets.deleteTopic(name);
        producers.dropTopic(name);
        ctx.logger.info('deleted topic', { topic: name });
        return { name, errorCode: 0 };
      } catch (err) {
        const code = kafkaCodeOf(err);
        if (code === undefined) throw err;
        return { name, errorCode: code };
      }
    });
    return { throttleTimeMs: 0, responses };
  },
  encodeResponse: encodeDeleteTopicsResponse,
});
