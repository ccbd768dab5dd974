/**
 * LeaveGroup (key 13), versions 0-3 (flexible from 4, not advertised).
 *
 * LeaveGroupRequest v0-2 => group_id:string member_id:string
 * LeaveGroupRequest v3   => group_id:string [members: member_id:string group_instance_id:nullable_string]
 * LeaveGroupResponse => throttle_time_ms:int32 (v1+) error_code:int16
 *   [members: member_id:string group_instance_id:nullable_string error_code:int16] (v3+)
 *
 * Both request forms decode to a member list (v0-2: exactly one member, no instance id).
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export interface LeaveGroupMember {
  memberId: string;
  groupInstanceId: string | null;
}
export interface LeaveGroupRequest {
  groupId: string;
  members: LeaveGroupMember[];
}
export interface LeaveGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  members: Array<LeaveGroupMember & { errorCode: number }>;
}

export function decodeLeaveGroupRequest(r: Reader, version: number): LeaveGroupRequest {
  const groupId = r.string();
  if (version < 3) return { groupId, members: [{ memberId: r.string(), groupInstanceId: null }] };
  return { groupId, members: r.array((r) => ({ memberId: r.string(), groupInstanceId: r.nullableString() })) };
}
export function encodeLeaveGroupRequest(w: Writer, req: LeaveGroupRequest, version: number): void {
  w.string(req.groupId);
  if (version < 3) w.string(req.members[0]?.memberId ?? '');
  else w.array(req.members, (w, m) => void w.string(m.memberId).nullableString(m.groupInstanceId));
}
export function encodeLeaveGroupResponse(w: Writer, res: LeaveGroupResponse, version: number): void {
  if (version >= 1) w.int32(res.throttleTimeMs);
  w.int16(res.errorCode);
  if (version >= 3) w.array(res.members, (w, m) => void w.string(m.memberId).nullableString(m.groupInstanceId).int16(m.errorCode));
}
export function decodeLeaveGroupResponse(r: Reader, version: number): LeaveGroupResponse {
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  const errorCode = r.int16();
  const members = version >= 3 ? r.array((r) => ({ memberId: r.string(), groupInstanceId: r.nullableString(), errorCode: r.int16() })) : [];
  return { throttleTimeMs, errorCode, members };
}
