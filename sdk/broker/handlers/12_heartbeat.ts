/**
 * Heartbeat (12), v0-4.
 * Behavior:
 * - Keeps the member's session alive. REBALANCE_IN_PROGRESS (27) while the group rebalances
 *   tells the member to rejoin; 22/25 for a stale generation or an unknown member; 82 for a
 *   static member replaced by a newer instance.
 * - A member without heartbeats for its session timeout is removed and the group rebalances.
 */
import { registerApi } from '../registry';
import { HeartbeatRequest, HeartbeatResponse } from '../../protocol/messages/heartbeat';
import { groupsOf } from '../groups/service';
import { AclOperation, AclResourceType } from '../../protocol/messages/acl-types';
import { ErrorCode } from '../../protocol/errors';

registerApi({
  request: HeartbeatRequest,
  response: HeartbeatResponse,
  minVersion: 0,
  maxVersion: 4,
  handle: (req, ctx) => ({
    throttleTimeMs: 0,
    errorCode: ctx.authorize(AclOperation.READ, AclResourceType.GROUP, req.groupId) ? groupsOf(ctx).heartbeat(req) : ErrorCode.GROUP_AUTHORIZATION_FAILED,
  }),
});
