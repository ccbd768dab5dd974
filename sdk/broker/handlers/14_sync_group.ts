/**
 * SyncGroup (14), v0-3.
 * Behavior:
 * - The leader's request carries every member's assignment; followers' requests are held until
 *   it arrives. In a Stable group the member's current assignment comes back at once.
 * - Wrong generation: ILLEGAL_GENERATION (22); unknown member: UNKNOWN_MEMBER_ID (25); a new
 *   rebalance started: REBALANCE_IN_PROGRESS (27), the member rejoins.
 * - Members that never send SyncGroup within the rebalance timeout are removed.
 */
import { registerHandler } from '../registry';
import { decodeSyncGroupRequest, encodeSyncGroupResponse, type SyncGroupRequest, type SyncGroupResponse } from '../../protocol/messages/sync-group';
import { groupsOf } from '../groups/service';

registerHandler<SyncGroupRequest, SyncGroupResponse>({
  key: 14,
  name: 'SyncGroup',
  minVersion: 0,
  maxVersion: 3,
  flexibleVersion: 4,
  decodeRequest: decodeSyncGroupRequest,
  handle: async (req, ctx) => {
    const res = await groupsOf(ctx).sync(req);
    return { throttleTimeMs: 0, errorCode: res.errorCode, assignment: res.assignment };
  },
  encodeResponse: encodeSyncGroupResponse,
});
