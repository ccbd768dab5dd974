/**
 * SyncGroup (key 14), versions 0-3 (flexible from 4, not advertised).
 *
 * SyncGroupRequest => group_id:string generation_id:int32 member_id:string
 *   group_instance_id:nullable_string (v3+) [assignments: member_id:string assignment:bytes]
 * SyncGroupResponse => throttle_time_ms:int32 (v1+) error_code:int16 assignment:bytes
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  assignments: Array<{ memberId: string; assignment: Buffer }>;
}
export interface SyncGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  assignment: Buffer;
}

export function decodeSyncGroupRequest(r: Reader, version: number): SyncGroupRequest {
  const groupId = r.string();
  const generationId = r.int32();
  const memberId = r.string();
  const groupInstanceId = version >= 3 ? r.nullableString() : null;
  // Copies: the request frame's buffer is not ours to keep once the handler returns.
  const assignments = r.array((r) => ({ memberId: r.string(), assignment: Buffer.from(r.bytes()) }));
  return { groupId, generationId, memberId, groupInstanceId, assignments };
}
export function encodeSyncGroupRequest(w: Writer, req: SyncGroupRequest, version: number): void {
  w.string(req.groupId).int32(req.generationId).string(req.memberId);
  if (version >= 3) w.nullableString(req.groupInstanceId);
  w.array(req.assignments, (w, a) => void w.string(a.memberId).bytes(a.assignment));
}
export function encodeSyncGroupResponse(w: Writer, res: SyncGroupResponse, version: number): void {
  if (version >= 1) w.int32(res.throttleTimeMs);
  w.int16(res.errorCode).bytes(res.assignment);
}
export function decodeSyncGroupResponse(r: Reader, version: number): SyncGroupResponse {
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  return { throttleTimeMs, errorCode: r.int16(), assignment: r.bytes() };
}
