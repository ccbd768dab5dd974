/**
 * ListOffsets (2), v0-10.
 * Behavior:
 * - Timestamp -1: the log end offset (high watermark); -2: the log start offset.
 * - Needs DESCRIBE on the topic (29 otherwise).
 * - Any other timestamp: the first offset whose record timestamp is >= it, found through the
 *   storage time index, with that record's timestamp; offset and timestamp -1 when no record is
 *   that late (what Kafka answers).
 * Version notes:
 * - v0 answers in old_style_offsets (a one-element list); v1+ in offset/timestamp;
 *   v4+ carries the leader epoch (constant 0). v2+ isolation level 1 (read_committed) answers the
 *   last stable offset for -1 (the first offset of the oldest open transaction, else the log end).
 * - v7+ may ask for -3: the offset and timestamp of the record with the largest timestamp
 *   (the first such), computed from the records (not from batch headers' claims); v8's -4 (earliest local) is the
 *   log start offset and v9's -5 (latest tiered) is -1 (no tiered storage), as on an untiered
 *   Kafka topic; v10's timeout is moot (answers never wait).
 */
import { registerApi } from '../registry';
import { ErrorCode } from '../../protocol/errors';
import { AclOperation, AclResourceType } from '../../protocol/messages/acl-types';
import { leaderEpoch, leadershipError } from '../cluster';
import { transactionsOf } from '../txn/coordinator';
import {
  EARLIEST_LOCAL_TIMESTAMP,
  EARLIEST_TIMESTAMP,
  LATEST_TIERED_TIMESTAMP,
  LATEST_TIMESTAMP,
  MAX_TIMESTAMP,
  ListOffsetsRequest,
  ListOffsetsResponse,
  type ListOffsetsPartitionResponse,
} from '../../protocol/messages/list-offsets';

const MAX_TIMESTAMP_FROM_VERSION = 7;
const READ_COMMITTED = 1;

registerApi({
  request: ListOffsetsRequest,
  response: ListOffsetsResponse,
  minVersion: 0,
  maxVersion: 10,
  handle: (req, ctx) => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => {
      const allowed = ctx.authorize(AclOperation.DESCRIBE, AclResourceType.TOPIC, t.name);
      return {
        name: t.name,
        partitions: t.partitions.map((p): ListOffsetsPartitionResponse => {
          const answer = (errorCode: number, offset = -1, timestamp = -1) => ({
            partitionIndex: p.partitionIndex,
            errorCode,
            oldStyleOffsets: offset >= 0 ? [offset] : [],
            timestamp,
            offset,
            leaderEpoch: leaderEpoch(ctx.broker, t.name, p.partitionIndex),
          });
          if (!allowed) return answer(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
          const log = ctx.broker.logs.partition(t.name, p.partitionIndex);
          if (!log) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          const leadership = leadershipError(ctx.broker, t.name, p.partitionIndex);
          if (leadership) return answer(leadership);
          switch (p.timestamp) {
            case LATEST_TIMESTAMP:
              if (req.isolationLevel === READ_COMMITTED) return answer(ErrorCode.NONE, transactionsOf(ctx.broker).lastStableOffset(t.name, p.partitionIndex, log.nextOffset));
              return answer(ErrorCode.NONE, log.nextOffset);
            case EARLIEST_TIMESTAMP:
            case EARLIEST_LOCAL_TIMESTAMP:
              return answer(ErrorCode.NONE, log.logStartOffset);
            case LATEST_TIERED_TIMESTAMP:
              return answer(ErrorCode.NONE);
            case MAX_TIMESTAMP: {
              if (ctx.header.apiVersion < MAX_TIMESTAMP_FROM_VERSION) return answer(ErrorCode.UNSUPPORTED_VERSION);
              const max = log.maxTimestampOffset();
              return max ? answer(ErrorCode.NONE, max.offset, max.timestamp) : answer(ErrorCode.NONE);
            }
          }
          if (p.timestamp < 0) return answer(ErrorCode.UNSUPPORTED_VERSION);
          const found = log.offsetForTimestamp(p.timestamp);
          return found ? answer(ErrorCode.NONE, found.offset, found.timestamp) : answer(ErrorCode.NONE);
        }),
      };
    }),
  }),
});
