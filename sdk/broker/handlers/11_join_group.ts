/**
 * JoinGroup (11), v0-5.
 * Behavior:
 * - v4+: an empty member id gets MEMBER_ID_REQUIRED (79) and a generated id to rejoin with;
 *   static members (group.instance.id, v5) skip that round trip.
 * - The answer is held until every known member has rejoined or the rebalance timeout ends
 *   (a new group first waits the initial rebalance delay for more members); only the leader
 *   gets the member list, with each member's metadata for the chosen protocol.
 * - The protocol is the one every member supports, by vote in each member's preference order;
 *   a member without a common protocol, or with another protocol type, gets 23.
 * Version notes:
 * - v0 has no rebalance timeout (the session timeout is used); v0-4 members carry no instance id.
 */
import { registerHandler } from '../registry';
import { decodeJoinGroupRequest, encodeJoinGroupResponse, type JoinGroupRequest, type JoinGroupResponse } from '../../protocol/messages/join-group';
import { clientHostOf, groupsOf } from '../groups/service';

registerHandler<JoinGroupRequest, JoinGroupResponse>({
  key: 11,
  name: 'JoinGroup',
  minVersion: 0,
  maxVersion: 5,
  flexibleVersion: 6,
  decodeRequest: decodeJoinGroupRequest,
  handle: async (req, ctx) => {
    const res = await groupsOf(ctx).join({
      ...req,
      clientId: ctx.header.clientId ?? '',
      clientHost: clientHostOf(ctx),
      requireKnownMemberId: ctx.header.apiVersion >= 4,
    });
    return {
      throttleTimeMs: 0,
      errorCode: res.errorCode,
      generationId: res.generationId,
      protocolName: res.protocolName ?? '',
      leader: res.leader,
      memberId: res.memberId,
      members: res.members,
    };
  },
  encodeResponse: encodeJoinGroupResponse,
});
