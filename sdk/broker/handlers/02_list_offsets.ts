/**
 * ListOffsets (2), v0-5.
 * Behavior:
 * - Timestamp -1: the log end offset (high watermark); -2: the log start offset.
 * - Any other timestamp: the first offset whose record timestamp is >= it, found through the
 *   storage time index, with that record's timestamp; offset and timestamp -1 when no record is
 *   that late (what Kafka answers).
 * Version notes:
 * - v0 answers in old_style_offsets (a one-element list); v1+ in offset/timestamp;
 *   v4+ carries the leader epoch (constant 0). Isolation levels are equivalent (no transactions).
 */
import { registerHandler } from '../registry';
import { ErrorCode } from '../../protocol/errors';
import { LEADER_EPOCH } from './03_metadata';
import {
  decodeListOffsetsRequest,
  encodeListOffsetsResponse,
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  type ListOffsetsPartitionResponse,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
} from '../../protocol/messages/list-offsets';

registerHandler<ListOffsetsRequest, ListOffsetsResponse>({
  key: 2,
  name: 'ListOffsets',
  minVersion: 0,
  maxVersion: 5,
  flexibleVersion: 6,
  decodeRequest: decodeListOffsetsRequest,
  handle: (req, ctx) => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p): ListOffsetsPartitionResponse => {
        const answer = (errorCode: number, offset = -1, timestamp = -1) => ({
          partitionIndex: p.partitionIndex,
          errorCode,
          oldStyleOffsets: offset >= 0 ? [offset] : [],
          timestamp,
          offset,
          leaderEpoch: LEADER_EPOCH,
        });
        const log = ctx.broker.logs.partition(t.name, p.partitionIndex);
        if (!log) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        if (p.timestamp === LATEST_TIMESTAMP) return answer(ErrorCode.NONE, log.nextOffset);
        if (p.timestamp === EARLIEST_TIMESTAMP) return answer(ErrorCode.NONE, log.logStartOffset);
        if (p.timestamp < 0) return answer(ErrorCode.UNSUPPORTED_VERSION);
        const found = log.offsetForTimestamp(p.timestamp);
        return found ? answer(ErrorCode.NONE, found.offset, found.timestamp) : answer(ErrorCode.NONE);
      }),
    })),
  }),
  encodeResponse: encodeListOffsetsResponse,
});
