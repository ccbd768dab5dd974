/**
 * SyncGroup (14), v0-5.
 * Behavior:
 * - The leader's request carries every member's assignment; followers' requests are held until
 *   it arrives. In a Stable group the member's current assignment comes back at once.
 * - Wrong generation: ILLEGAL_GENERATION (22); unknown member: UNKNOWN_MEMBER_ID (25); a new
 *   rebalance started: REBALANCE_IN_PROGRESS (27), the member rejoins.
 * - Members that never send SyncGroup within the rebalance timeout are removed.
 * Version notes:
 * - v5+ answer the group's protocol type and name.
 */
import { registerApi } from '../registry';
import { SyncGroupRequest, SyncGroupResponse } from '../../protocol/messages/sync-group';
import { groupsOf } from '../groups/service';
import { AclOperation, AclResourceType } from '../../protocol/messages/acl-types';
import { ErrorCode } from '../../protocol/errors';

registerApi({
  request: SyncGroupRequest,
  response: SyncGroupResponse,
  minVersion: 0,
  maxVersion: 5,
  handle: async (req, ctx) => {
    if (!ctx.authorize(AclOperation.READ, AclResourceType.GROUP, req.groupId)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
    }
    const res = await groupsOf(ctx).sync({
      ...req,
      // Copies: the leader's assignments outlive the request frame.
      assignments: req.assignments.map((a) => ({ memberId: a.memberId, assignment: Buffer.from(a.assignment) })),
    });
    return { throttleTimeMs: 0, errorCode: res.errorCode, protocolType: res.protocolType, protocolName: res.protocolName, assignment: res.assignment };
  },
});
