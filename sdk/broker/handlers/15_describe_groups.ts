/**
 * DescribeGroups (15), v0-6.
 * Behavior:
 * - State, protocol type and members (client id, host) of each group. As in Kafka, member
 *   metadata, assignments and the chosen protocol are filled only while the group is Stable.
 * - An unknown group is described as Dead with no members (no error); an empty id gets 24.
 * Version notes:
 * - v3+ authorized operations are answered as "not computed" (no ACLs here); v4 adds instance ids;
 *   v6's error message is set with the error (empty group id).
 */
import { registerApi } from '../registry';
import { AUTHORIZED_OPERATIONS_OMITTED, DescribeGroupsRequest, DescribeGroupsResponse } from '../../protocol/messages/describe-groups';
import { groupsOf } from '../groups/service';
import { GroupErrorCode } from '../groups/types';
import { AclOperation, AclResourceType } from '../../protocol/messages/acl-types';
import { ErrorCode } from '../../protocol/errors';

const NONE = Buffer.alloc(0);

registerApi({
  request: DescribeGroupsRequest,
  response: DescribeGroupsResponse,
  minVersion: 0,
  maxVersion: 6,
  handle: (req, ctx) => ({
    throttleTimeMs: 0,
    groups: req.groups.map((groupId) => {
      const denied = groupId !== '' && !ctx.authorize(AclOperation.DESCRIBE, AclResourceType.GROUP, groupId);
      if (!groupId || denied) {
        return {
          errorCode: denied ? ErrorCode.GROUP_AUTHORIZATION_FAILED : GroupErrorCode.INVALID_GROUP_ID,
          errorMessage: denied ? `not authorized to describe group ${groupId}` : 'empty group id',
          groupId,
          groupState: '',
          protocolType: '',
          protocolData: '',
          members: [],
          authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
        };
      }
      const d = groupsOf(ctx).describe(groupId);
      const stable = d.state === 'Stable';
      return {
        errorCode: 0,
        groupId,
        groupState: d.state,
        protocolType: d.protocolType ?? '',
        protocolData: stable ? (d.protocol ?? '') : '',
        members: d.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.host,
          memberMetadata: stable ? m.metadata : NONE,
          memberAssignment: stable ? m.assignment : NONE,
        })),
        authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
      };
    }),
  }),
});
