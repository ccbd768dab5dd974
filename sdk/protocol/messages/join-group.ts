/**
 * JoinGroup (key 11), versions 0-9, flexible from 6. librdkafka 2.0.2 turns consumer groups off
 * unless v0 is offered, so the broker serves from there (Kafka 4.0 starts at 2).
 * Version notes: v1 adds the rebalance timeout (v0: the session timeout applies); v4+ a member
 * joining with an empty id gets MEMBER_ID_REQUIRED and rejoins with the id; v5 static members
 * (group instance id); v7 answers the protocol type; v8 a reason; v9 skip_assignment.
 */
import { array, bool, bytes, int16, int32, message, string, type Out } from '../schema';

export const JoinGroupRequest = message({ name: 'JoinGroupRequest', apiKey: 11, versions: '0-9', flexible: '6+' }, {
  groupId: string(),
  sessionTimeoutMs: int32(),
  rebalanceTimeoutMs: int32('1+', { default: -1 }),
  memberId: string(),
  groupInstanceId: string('5+', { nullable: '5+', default: null }),
  protocolType: string(),
  protocols: array({ name: string(), metadata: bytes() }),
  reason: string('8+', { nullable: '8+', default: null }),
});
export type JoinGroupRequest = Out<typeof JoinGroupRequest>;

export const JoinGroupResponse = message({ name: 'JoinGroupResponse', apiKey: 11, versions: '0-9', flexible: '6+' }, {
  throttleTimeMs: int32('2+'),
  errorCode: int16(),
  generationId: int32('0+', { default: -1 }),
  protocolType: string('7+', { nullable: '7+', default: null }),
  protocolName: string('0+', { nullable: '7+' }),
  leader: string(),
  skipAssignment: bool('9+', { default: false }),
  memberId: string(),
  members: array({ memberId: string(), groupInstanceId: string('5+', { nullable: '5+', default: null }), metadata: bytes() }),
});
export type JoinGroupResponse = Out<typeof JoinGroupResponse>;
