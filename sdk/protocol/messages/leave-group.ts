/**
 * LeaveGroup (key 13), versions 0-5, flexible from 4.
 * Version notes: v0-2 name one member; v3 a batch of members (with instance ids) answered one by
 * one; v5 adds a reason per member.
 */
import { array, int16, int32, message, string, type Out } from '../schema';

export const LeaveGroupRequest = message({ name: 'LeaveGroupRequest', apiKey: 13, versions: '0-5', flexible: '4+' }, {
  groupId: string(),
  memberId: string('0-2'),
  members: array(
    {
      memberId: string('3+'),
      groupInstanceId: string('3+', { nullable: '3+', default: null }),
      reason: string('5+', { nullable: '5+', default: null }),
    },
    '3+',
  ),
});
export type LeaveGroupRequest = Out<typeof LeaveGroupRequest>;

export const LeaveGroupResponse = message({ name: 'LeaveGroupResponse', apiKey: 13, versions: '0-5', flexible: '4+' }, {
  throttleTimeMs: int32('1+'),
  errorCode: int16(),
  members: array({ memberId: string('3+'), groupInstanceId: string('3+', { nullable: '3+' }), errorCode: int16('3+') }, '3+'),
});
export type LeaveGroupResponse = Out<typeof LeaveGroupResponse>;
