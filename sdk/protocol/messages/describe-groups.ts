/**
 * DescribeGroups (key 15), versions 0-6, flexible from 5.
 * Version notes: v3 asks for authorized operations; v4 adds member instance ids; v6 an error
 * message per group.
 */
import { array, bool, bytes, int16, int32, message, string, types, type Out } from '../schema';
import { AUTHORIZED_OPERATIONS_OMITTED } from './metadata';

export { AUTHORIZED_OPERATIONS_OMITTED };

export const DescribeGroupsRequest = message({ name: 'DescribeGroupsRequest', apiKey: 15, versions: '0-6', flexible: '5+' }, {
  groups: array(types.string),
  includeAuthorizedOperations: bool('3+'),
});
export type DescribeGroupsRequest = Out<typeof DescribeGroupsRequest>;

export const DescribeGroupsResponse = message({ name: 'DescribeGroupsResponse', apiKey: 15, versions: '0-6', flexible: '5+' }, {
  throttleTimeMs: int32('1+'),
  groups: array({
    errorCode: int16(),
    errorMessage: string('6+', { nullable: '6+', default: null }),
    groupId: string(),
    /** Empty, PreparingRebalance, CompletingRebalance, Stable or Dead */
    groupState: string(),
    protocolType: string(),
    /** The chosen protocol (assignor) name. */
    protocolData: string(),
    members: array({
      memberId: string(),
      groupInstanceId: string('4+', { nullable: '4+', default: null }),
      clientId: string(),
      clientHost: string(),
      memberMetadata: bytes(),
      memberAssignment: bytes(),
    }),
    authorizedOperations: int32('3+', { default: AUTHORIZED_OPERATIONS_OMITTED }),
  }),
});
export type DescribeGroupsResponse = Out<typeof DescribeGroupsResponse>;
