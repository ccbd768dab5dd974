/**
 * OffsetFetch (9), v0-9.
 * Behavior:
 * - Committed offset, leader epoch and metadata per partition; offset -1 (and metadata "")
 *   where the group committed nothing, or the group is unknown.
 * - Null topics (v2+): every partition the group has committed.
 * Version notes:
 * - v0 (offsets that lived in ZooKeeper) reports partitions that do not exist as
 *   UNKNOWN_TOPIC_OR_PARTITION; v1+ answer -1 for them, as Kafka does.
 * - v8+ ask for several groups at once (answered group by group); require_stable (v7+) needs
 *   nothing here: without transactions no offset commit is ever pending.
 */
import { registerApi } from '../registry';
import { OffsetFetchRequest, OffsetFetchResponse } from '../../protocol/messages/offset-fetch';
import { groupsOf } from '../groups/service';

const BATCHED_FROM_VERSION = 8;

registerApi({
  request: OffsetFetchRequest,
  response: OffsetFetchResponse,
  minVersion: 0,
  maxVersion: 9,
  handle: (req, ctx) => {
    const groups = groupsOf(ctx);
    if (ctx.header.apiVersion >= BATCHED_FROM_VERSION) {
      return {
        throttleTimeMs: 0,
        groups: req.groups.map((g) => ({ groupId: g.groupId, ...groups.fetchOffsets(g.groupId, g.topics) })),
      };
    }
    const res = groups.fetchOffsets(req.groupId, req.topics, { unknownTopicError: ctx.header.apiVersion === 0 });
    return { throttleTimeMs: 0, ...res };
  },
});
