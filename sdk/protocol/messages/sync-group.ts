/**
 * SyncGroup (key 14), versions 0-5, flexible from 4.
 * Version notes: v3 adds the group instance id; v5 the protocol type and name on both sides.
 */
import { array, bytes, int16, int32, message, string, type Out } from '../schema';

export const SyncGroupRequest = message({ name: 'SyncGroupRequest', apiKey: 14, versions: '0-5', flexible: '4+' }, {
  groupId: string(),
  generationId: int32(),
  memberId: string(),
  groupInstanceId: string('3+', { nullable: '3+', default: null }),
  protocolType: string('5+', { nullable: '5+', default: null }),
  protocolName: string('5+', { nullable: '5+', default: null }),
  assignments: array({ memberId: string(), assignment: bytes() }),
});
export type SyncGroupRequest = Out<typeof SyncGroupRequest>;

export const SyncGroupResponse = message({ name: 'SyncGroupResponse', apiKey: 14, versions: '0-5', flexible: '4+' }, {
  throttleTimeMs: int32('1+'),
  errorCode: int16(),
  protocolType: string('5+', { nullable: '5+', default: null }),
  protocolName: string('5+', { nullable: '5+', default: null }),
  assignment: bytes(),
});
export type SyncGroupResponse = Out<typeof SyncGroupResponse>;
