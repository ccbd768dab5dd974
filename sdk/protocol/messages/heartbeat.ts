/**
 * Heartbeat (key 12), versions 0-4, flexible from 4. v3 adds the group instance id.
 */
import { int16, int32, message, string, type Out } from '../schema';

export const HeartbeatRequest = message({ name: 'HeartbeatRequest', apiKey: 12, versions: '0-4', flexible: '4+' }, {
  groupId: string(),
  generationId: int32(),
  memberId: string(),
  groupInstanceId: string('3+', { nullable: '3+', default: null }),
});
export type HeartbeatRequest = Out<typeof HeartbeatRequest>;

export const HeartbeatResponse = message({ name: 'HeartbeatResponse', apiKey: 12, versions: '0-4', flexible: '4+' }, {
  throttleTimeMs: int32('1+'),
  errorCode: int16(),
});
export type HeartbeatResponse = Out<typeof HeartbeatResponse>;
