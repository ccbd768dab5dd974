/**
 * LeaveGroup (13), v0-3.
 * Behavior:
 * - Removes the members at once (no wait for their session timeout) and rebalances the rest;
 *   the last member leaving makes the group Empty, with its committed offsets kept.
 * - Static members may leave by instance id alone (empty member id).
 * Version notes:
 * - v0-2 name one member and answer with its error; v3 names several and answers per member.
 */
import { registerHandler } from '../registry';
import { decodeLeaveGroupRequest, encodeLeaveGroupResponse, type LeaveGroupRequest, type LeaveGroupResponse } from '../../protocol/messages/leave-group';
import { groupsOf } from '../groups/service';

registerHandler<LeaveGroupRequest, LeaveGroupResponse>({
  key: 13,
  name: 'LeaveGroup',
  minVersion: 0,
  maxVersion: 3,
  flexibleVersion: 4,
  decodeRequest: decodeLeaveGroupRequest,
  handle: (req, ctx) => {
    const res = groupsOf(ctx).leave(req.groupId, req.members);
    const errorCode = ctx.header.apiVersion < 3 && res.errorCode === 0 ? (res.members[0]?.errorCode ?? 0) : res.errorCode;
    return { throttleTimeMs: 0, errorCode, members: res.members };
  },
  encodeResponse: encodeLeaveGroupResponse,
});
