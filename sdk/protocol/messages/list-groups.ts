/**
 * ListGroups (key 16), versions 0-5, flexible from 3.
 * Version notes: v4 filters by state and answers each group's state; v5 filters by type
 * (classic, consumer, share) and answers each group's type.
 */
import { array, int16, int32, message, string, types, type Out } from '../schema';

export const ListGroupsRequest = message({ name: 'ListGroupsRequest', apiKey: 16, versions: '0-5', flexible: '3+' }, {
  statesFilter: array(types.string, '4+'),
  typesFilter: array(types.string, '5+'),
});
export type ListGroupsRequest = Out<typeof ListGroupsRequest>;

export const ListGroupsResponse = message({ name: 'ListGroupsResponse', apiKey: 16, versions: '0-5', flexible: '3+' }, {
  throttleTimeMs: int32('1+'),
  errorCode: int16(),
  groups: array({ groupId: string(), protocolType: string(), groupState: string('4+'), groupType: string('5+') }),
});
export type ListGroupsResponse = Out<typeof ListGroupsResponse>;
