/**
 * OffsetFetch (9), v0-9.
 * Behavior:
 * - Committed offset, leader epoch and metadata per partition; offset -1 (and metadata "")
 *   where the group committed nothing, or the group is unknown.
 * - Null topics (v2+): every partition the group has committed.
 * Version notes:
 * - v0 (offsets that lived in ZooKeeper) reports partitions that do not exist as
 *   UNKNOWN_TOPIC_OR_PARTITION; v1+ answer -1 for them, as Kafka does.
 * - v8+ ask for several groups at once (answered group by group). require_stable (v7+): a
 *   partition whose offset an open transaction holds (TxnOffsetCommit, not yet committed) gets
 *   88 UNSTABLE_OFFSET_COMMIT, which clients retry.
 */
import { registerApi, type RequestContext } from '../registry';
import { ErrorCode } from '../../protocol/errors';
import { transactionsOf } from '../txn/coordinator';
import { OffsetFetchRequest, OffsetFetchResponse } from '../../protocol/messages/offset-fetch';
import { groupsOf } from '../groups/service';

const BATCHED_FROM_VERSION = 8;

/** require_stable: partitions with an offset pending in an open transaction answer 88 instead. */
function stable<T extends { topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }> }>(res: T, groupId: string, ctx: RequestContext): T {
  const txns = transactionsOf(ctx.broker);
  for (const t of res.topics) {
    for (const p of t.partitions) if (p.errorCode === 0 && txns.hasPendingOffset(groupId, t.name, p.partitionIndex)) p.errorCode = ErrorCode.UNSTABLE_OFFSET_COMMIT;
  }
  return res;
}

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
        groups: req.groups.map((g) => {
          const res = groups.fetchOffsets(g.groupId, g.topics);
          return { groupId: g.groupId, ...(req.requireStable ? stable(res, g.groupId, ctx) : res) };
        }),
      };
    }
    const res = groups.fetchOffsets(req.groupId, req.topics, { unknownTopicError: ctx.header.apiVersion === 0 });
    return { throttleTimeMs: 0, ...(req.requireStable ? stable(res, req.groupId, ctx) : res) };
  },
});
