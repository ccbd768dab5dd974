/**
 * OffsetForLeaderEpoch (23), v0-4.
 * Behavior:
 * - One leader epoch ever (0, see Metadata): asking for epoch 0 answers the log end offset;
 *   any other epoch gets Kafka's "undefined" answer (epoch -1, offset -1), which tells a
 *   consumer checking for truncation after a leader change that nothing was truncated away.
 * - A current leader epoch (v2+) older than 0 is impossible; a newer one gets 75
 *   UNKNOWN_LEADER_EPOCH (the client saw a leader this broker does not know). Unknown
 *   partitions: 3. Needs DESCRIBE on the topic (29 otherwise).
 */
import { registerApi } from '../registry';
import { ErrorCode } from '../../protocol/errors';
import { AclOperation, AclResourceType } from '../../protocol/messages/acl-types';
import { OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse } from '../../protocol/messages/offset-for-leader-epoch';
import { leaderEpoch, leadershipError } from '../cluster';

const UNKNOWN_LEADER_EPOCH = 75;
const FENCED_LEADER_EPOCH = 74;

registerApi({
  request: OffsetForLeaderEpochRequest,
  response: OffsetForLeaderEpochResponse,
  minVersion: 0,
  maxVersion: 4,
  handle: (req, ctx) => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => {
      const allowed = ctx.authorize(AclOperation.DESCRIBE, AclResourceType.TOPIC, t.topic);
      return {
        topic: t.topic,
        partitions: t.partitions.map((p) => {
          const answer = (errorCode: number, leaderEpoch = -1, endOffset = -1) => ({ errorCode, partition: p.partition, leaderEpoch, endOffset });
          if (!allowed) return answer(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
          const log = ctx.broker.logs.partition(t.topic, p.partition);
          if (!log) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          const leadership = leadershipError(ctx.broker, t.topic, p.partition);
          if (leadership) return answer(leadership);
          const current = leaderEpoch(ctx.broker, t.topic, p.partition);
          if (p.currentLeaderEpoch > current) return answer(UNKNOWN_LEADER_EPOCH);
          if (p.currentLeaderEpoch >= 0 && p.currentLeaderEpoch < current) return answer(FENCED_LEADER_EPOCH);
          const end = log.endOffsetForEpoch(p.leaderEpoch, current);
          return answer(ErrorCode.NONE, end.leaderEpoch, end.endOffset);
        }),
      };
    }),
  }),
});
