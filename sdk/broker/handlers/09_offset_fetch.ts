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
import { registerApi } from '../registry';
import { transactionsOf } from '../txn/coordinator';
import { OffsetFetchRequest, OffsetFetchResponse } from '../../protocol/messages/offset-fetch';
import { groupsOf } from '../groups/service';
import type { RequestContext } from '../registry';
import { AclOperation, AclResourceType } from '../../protocol/messages/acl-types';
import { ErrorCode } from '../../protocol/errors';

const BATCHED_FROM_VERSION = 8;

/** require_stable: partitions with an offset pending in an open transaction answer 88 instead. */
function stable<T extends { topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }> }>(res: T, groupId: string, ctx: RequestContext): T {
  const txns = transactionsOf(ctx.broker);
  for (const t of res.topics) {
    for (const p of t.partitions) if (p.errorCode === 0 && txns.hasPendingOffset(groupId, t.name, p.partitionIndex)) p.errorCode = ErrorCode.UNSTABLE_OFFSET_COMMIT;
  }
  return res;
}

/** ACLs: DESCRIBE on the group (else 30 for the group), DESCRIBE on each topic (else 29 per partition; left out of "all topics"). */
function authorizedFetch(ctx: RequestContext, groupId: string, topics: Array<{ name: string; partitionIndexes: number[] }> | null, opts?: { unknownTopicError?: boolean }) {
  if (!ctx.authorize(AclOperation.DESCRIBE, AclResourceType.GROUP, groupId)) {
    const partitions = (t: { partitionIndexes: number[] }) =>
      t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED }));
    return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, topics: (topics ?? []).map((t) => ({ name: t.name, partitions: partitions(t) })) };
  }
  const readable = (name: string) => ctx.authorize(AclOperation.DESCRIBE, AclResourceType.TOPIC, name);
  const res = groupsOf(ctx).fetchOffsets(groupId, topics === null ? null : topics.filter((t) => readable(t.name)), opts);
  if (topics === null) return { ...res, topics: res.topics.filter((t) => readable(t.name)) };
  const done = res.topics;
  return {
    ...res,
    topics: topics.map((t) =>
      readable(t.name)
        ? done.shift()!
        : { name: t.name, partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })) },
    ),
  };
}

registerApi({
  request: OffsetFetchRequest,
  response: OffsetFetchResponse,
  minVersion: 0,
  maxVersion: 9,
  handle: (req, ctx) => {
    const groups = { fetchOffsets: (groupId: string, topics: Array<{ name: string; partitionIndexes: number[] }> | null, opts?: { unknownTopicError?: boolean }) => authorizedFetch(ctx, groupId, topics, opts) };
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
