/**
 * JoinGroup (key 11), versions 0-5 (flexible from 6, not advertised). librdkafka 2.0.2 turns
 * consumer groups off unless v0 is offered, so the range starts there.
 *
 * JoinGroupRequest => group_id:string session_timeout_ms:int32 rebalance_timeout_ms:int32 (v1+)
 *   member_id:string group_instance_id:nullable_string (v5+) protocol_type:string
 *   [protocols: name:string metadata:bytes]
 * JoinGroupResponse => throttle_time_ms:int32 (v2+) error_code:int16 generation_id:int32
 *   protocol_name:string leader:string member_id:string
 *   [members: member_id:string group_instance_id:nullable_string (v5+) metadata:bytes]
 *
 * v4+: a member joining with an empty id gets MEMBER_ID_REQUIRED and must rejoin with the id.
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export interface JoinGroupRequest {
  groupId: string;
  sessionTimeoutMs: number;
  /** -1 in v0, which has no such field (the session timeout applies). */
  rebalanceTimeoutMs: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  protocols: Array<{ name: string; metadata: Buffer }>;
}
export interface JoinGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  generationId: number;
  protocolName: string;
  leader: string;
  memberId: string;
  members: Array<{ memberId: string; groupInstanceId: string | null; metadata: Buffer }>;
}

export function decodeJoinGroupRequest(r: Reader, version: number): JoinGroupRequest {
  const groupId = r.string();
  const sessionTimeoutMs = r.int32();
  const rebalanceTimeoutMs = version >= 1 ? r.int32() : -1;
  const memberId = r.string();
  const groupInstanceId = version >= 5 ? r.nullableString() : null;
  const protocolType = r.string();
  // Copies: protocol metadata outlives the request frame while the rebalance is held.
  const protocols = r.array((r) => ({ name: r.string(), metadata: Buffer.from(r.bytes()) }));
  return { groupId, sessionTimeoutMs, rebalanceTimeoutMs, memberId, groupInstanceId, protocolType, protocols };
}
export function encodeJoinGroupRequest(w: Writer, req: JoinGroupRequest, version: number): void {
  w.string(req.groupId).int32(req.sessionTimeoutMs);
  if (version >= 1) w.int32(req.rebalanceTimeoutMs);
  w.string(req.memberId);
  if (version >= 5) w.nullableString(req.groupInstanceId);
  w.string(req.protocolType);
  w.array(req.protocols, (w, p) => void w.string(p.name).bytes(p.metadata));
}
export function encodeJoinGroupResponse(w: Writer, res: JoinGroupResponse, version: number): void {
  if (version >= 2) w.int32(res.throttleTimeMs);
  w.int16(res.errorCode).int32(res.generationId).string(res.protocolName).string(res.leader).string(res.memberId);
  w.array(res.members, (w, m) => {
    w.string(m.memberId);
    if (version >= 5) w.nullableString(m.groupInstanceId);
    w.bytes(m.metadata);
  });
}
export function decodeJoinGroupResponse(r: Reader, version: number): JoinGroupResponse {
  const throttleTimeMs = version >= 2 ? r.int32() : 0;
  const errorCode = r.int16();
  const generationId = r.int32();
  const protocolName = r.string();
  const leader = r.string();
  const memberId = r.string();
  const members = r.array((r) => ({ memberId: r.string(), groupInstanceId: version >= 5 ? r.nullableString() : null, metadata: r.bytes() }));
  return { throttleTimeMs, errorCode, generationId, protocolName, leader, memberId, members };
}
