/**
 * OffsetCommit (8), v0-9.
 * Behavior:
 * - Offsets persist in the broker's offset store and survive restarts.
 * - Standalone consumers (assign(), no group membership) commit with generation -1 and an
 *   empty member id; that is accepted while the group has no members. Group members must be
 *   of the current generation (22), known (25), and not in the middle of a rebalance's sync (27).
 * - Partitions that do not exist get UNKNOWN_TOPIC_OR_PARTITION (3); metadata over 4 KiB gets 12.
 * Version notes:
 * - v0 has no generation/member (standalone); v1's commit timestamp and v2-4's retention time
 *   are ignored (retention is a broker matter); v6+ leader epochs are stored and returned;
 *   v9's member epoch (KIP-848 groups) is read as the classic generation.
 */
import { registerApi } from '../registry';
import { OffsetCommitRequest, OffsetCommitResponse } from '../../protocol/messages/offset-commit';
import { groupsOf } from '../groups/service';
import { AclOperation, AclResourceType } from '../../protocol/messages/acl-types';
import { ErrorCode } from '../../protocol/errors';

registerApi({
  request: OffsetCommitRequest,
  response: OffsetCommitResponse,
  minVersion: 0,
  maxVersion: 9,
  handle: (req, ctx) => {
    // ACLs: READ on the group, then READ on each topic (refused topics are answered, not committed).
    const groupOk = ctx.authorize(AclOperation.READ, AclResourceType.GROUP, req.groupId);
    const refused = (name: string) => !groupOk || !ctx.authorize(AclOperation.READ, AclResourceType.TOPIC, name);
    const allowed = req.topics.filter((t) => !refused(t.name));
    const done = groupsOf(ctx).commitOffsets({ ...req, topics: allowed, generationId: req.generationIdOrMemberEpoch }).topics;
    const code = groupOk ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.GROUP_AUTHORIZATION_FAILED;
    const topics = req.topics.map((t) => (refused(t.name) ? { name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })) } : done.shift()!));
    return { throttleTimeMs: 0, topics };
  },
});
