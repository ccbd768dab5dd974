/**
 * DeleteRecords (21), v0-2.
 * Behavior:
 * - Moves each partition's log start offset to the given offset (-1 = the high watermark),
 *   durably; records before it can no longer be fetched (1 OFFSET_OUT_OF_RANGE) and whole
 *   segments below it are deleted. The answer's low watermark is the new log start offset.
 * - An offset past the log end, or below -1: 1 OFFSET_OUT_OF_RANGE; an offset below the current
 *   start changes nothing. Unknown partitions: 3. Needs DELETE on the topic (29 otherwise).
 * - Nothing to wait for (one replica), so timeout_ms is moot.
 */
import { registerApi } from '../registry';
import { leadershipError } from '../cluster';
import { kafkaCodeOf } from '../topics';
import { ErrorCode } from '../../protocol/errors';
import { AclOperation, AclResourceType } from '../../protocol/messages/acl-types';
import { DeleteRecordsRequest, DeleteRecordsResponse } from '../../protocol/messages/delete-records';

const HIGH_WATERMARK = -1;

registerApi({
  request: DeleteRecordsRequest,
  response: DeleteRecordsResponse,
  minVersion: 0,
  maxVersion: 2,
  handle: (req, ctx) => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => {
      const allowed = ctx.authorize(AclOperation.DELETE, AclResourceType.TOPIC, t.name);
      return {
        name: t.name,
        partitions: t.partitions.map(({ partitionIndex, offset }) => {
          const answer = (errorCode: number, lowWatermark = -1) => ({ partitionIndex, lowWatermark, errorCode });
          if (!allowed) return answer(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
          const log = ctx.broker.logs.partition(t.name, partitionIndex);
          if (!log) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          const leadership = leadershipError(ctx.broker, t.name, partitionIndex);
          if (leadership) return answer(leadership);
          if (offset < HIGH_WATERMARK) return answer(ErrorCode.OFFSET_OUT_OF_RANGE, log.logStartOffset);
          try {
            const low = log.deleteRecordsBefore(offset === HIGH_WATERMARK ? log.nextOffset : offset);
            ctx.logger.info('deleted records', { topic: t.name, partition: partitionIndex, logStartOffset: low });
            return answer(ErrorCode.NONE, low);
          } catch (err) {
            const code = kafkaCodeOf(err);
            if (code === undefined) throw err;
            return answer(code, log.logStartOffset);
          }
        }),
      };
    }),
  }),
});
