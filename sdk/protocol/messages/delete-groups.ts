/**
 * DeleteGroups (key 42), versions 0-2, flexible from 2.
 */
import { array, int16, int32, message, string, types, type Out } from '../schema';

export const DeleteGroupsRequest = message({ name: 'DeleteGroupsRequest', apiKey: 42, versions: '0-2', flexible: '2+' }, {
  groupsNames: array(types.string),
});
export type DeleteGroupsRequest = Out<typeof DeleteGroupsRequest>;

export const DeleteGroupsResponse = message({ name: 'DeleteGroupsResponse', apiKey: 42, versions: '0-2', flexible: '2+' }, {
  throttleTimeMs: int32(),
  results: array({ groupId: string(), errorCode: int16() }),
});
export type DeleteGroupsResponse = Out<typeof DeleteGroupsResponse>;
