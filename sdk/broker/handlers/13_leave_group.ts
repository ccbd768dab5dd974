/**
 * LeaveGroup (13), v0-5.
 * Behavior:
 * - Removes the members at once (no wait for their session timeout) and rebalances the rest;
 *   the last member leaving makes the group Empty, with its committed offsets kept.
 * - Static members may leave by instance id alone (empty member id).
 * Version notes:
 * - v0-2 name one member and answer with its error; v3+ name several and answer per member;
 *   v5's reasons are logged.
 */
import { registerApi } from '../registry';
import { LeaveGroupRequest, LeaveGroupResponse } from '../../protocol/messages/leave-group';
import { groupsOf } from '../groups/service';
import { AclOperation, AclResourceType } from '../../protocol/messages/acl-types';
import { ErrorCode } from '../../protocol/errors';

const BATCHED_FROM_VERSION = 3;

registerApi({
  request: LeaveGroupRequest,
  response: LeaveGroupResponse,
  minVersion: 0,
  maxVersion: 5,
  handle: (req, ctx) => {
    if (!ctx.authorize(AclOperation.READ, AclResourceType.GROUP, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, members: [] };
    const batched = ctx.header.apiVersion >= BATCHED_FROM_VERSION;
    const members = batched ? req.members : [{ memberId: req.memberId, groupInstanceId: null, reason: null }];
    for (const m of members) if (m.reason) ctx.logger.debug('member leaves', { group: req.groupId, member: m.memberId, reason: m.reason });
    const res = groupsOf(ctx).leave(req.groupId, members);
    const errorCode = !batched && res.errorCode === 0 ? (res.members[0]?.errorCode ?? 0) : res.errorCode;
    return { throttleTimeMs: 0, errorCode, members: res.members };
  },
});
