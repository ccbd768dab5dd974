/**
 * JoinGroup (11), v0-9.
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
 * - v7+ answer the protocol type; v8's reason is logged; v9's skip_assignment is always false
 *   (the leader assigns, as with every classic-protocol broker).
 */
import { registerApi } from '../registry';
import { JoinGroupRequest, JoinGroupResponse } from '../../protocol/messages/join-group';
import { clientHostOf, groupsOf } from '../groups/service';
import { AclOperation, AclResourceType } from '../../protocol/messages/acl-types';
import { ErrorCode } from '../../protocol/errors';

registerApi({
  request: JoinGroupRequest,
  response: JoinGroupResponse,
  minVersion: 0,
  maxVersion: 9,
  handle: async (req, ctx) => {
    if (!ctx.authorize(AclOperation.READ, AclResourceType.GROUP, req.groupId)) {
      const v7 = ctx.header.apiVersion >= 7;
      return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, generationId: -1, protocolType: null, protocolName: v7 ? null : '', leader: '', memberId: req.memberId, members: [] };
    }
    if (req.reason) ctx.logger.debug('member joins', { group: req.groupId, member: req.memberId, reason: req.reason });
    const res = await groupsOf(ctx).join({
      groupId: req.groupId,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId,
      protocolType: req.protocolType,
      // Copies: protocol metadata outlives the request frame while the rebalance is held.
      protocols: req.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
      clientId: ctx.header.clientId ?? '',
      clientHost: clientHostOf(ctx),
      requireKnownMemberId: ctx.header.apiVersion >= 4,
    });
    return {
      throttleTimeMs: 0,
      errorCode: res.errorCode,
      generationId: res.generationId,
      protocolType: res.protocolType,
      // Before v7 the name is not nullable: "" stands for "none chosen yet".
      protocolName: res.protocolName ?? (ctx.header.apiVersion >= 7 ? null : ''),
      leader: res.leader,
      memberId: res.memberId,
      members: res.members,
    };
  },
});
