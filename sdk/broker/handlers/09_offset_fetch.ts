/**
 * OffsetFetch (9), v0-5.
 * Behavior:
 * - Committed offset, leader epoch and metadata per partition; offset -1 (and metadata "")
 *   where the group committed nothing, or the group is unknown.
 * - Null topics (v2+): every partition the group has committed.
 * Version notes:
 * - v0 (offsets that lived in ZooKeeper) reports partitions that do not exist as
 *   UNKNOWN_TOPIC_OR_PARTITION; v1+ answer -1 for them, as Kafka does.
 */
import { registerHandler } from '../registry';
import { decodeOffsetFetchRequest, encodeOffsetFetchResponse, type OffsetFetchRequest, type OffsetFetchResponse } from '../../protocol/messages/offset-fetch';
import { groupsOf } from '../groups/service';

registerHandler<OffsetFetchRequest, OffsetFetchResponse>({
  key: 9,
  name: 'OffsetFetch',
  minVersion: 0,
  maxVersion: 5,
  flexibleVersion: 6,
  decodeRequest: decodeOffsetFetchRequest,
  handle: (req, ctx) => {
    const res = groupsOf(ctx).fetchOffsets(req.groupId, req.topics, { unknownTopicError: ctx.header.apiVersion === 0 });
    return { throttleTimeMs: 0, ...res };
  },
  encodeResponse: encodeOffsetFetchResponse,
});
