/**
 * Heartbeat (key 12), versions 0-3 (flexible from 4, not advertised).
 *
 * HeartbeatRequest => group_id:string generation_id:int32 member_id:string
 *   group_instance_id:nullable_string (v3+)
 * HeartbeatResponse => throttle_time_ms:int32 (v1+) error_code:int16
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}
export interface HeartbeatResponse {
  throttleTimeMs: number;
  errorCode: number;
}

export function decodeHeartbeatRequest(r: Reader, version: number): HeartbeatRequest {
  return { groupId: r.string(), generationId: r.int32(), memberId: r.string(), groupInstanceId: version >= 3 ? r.nullableString() : null };
}
export function encodeHeartbeatRequest(w: Writer, req: HeartbeatRequest, version: number): void {
  w.string(req.groupId).int32(req.generationId).string(req.memberId);
  if (version >= 3) w.nullableString(req.groupInstanceId);
}
export function encodeHeartbeatResponse(w: Writer, res: HeartbeatResponse, version: number): void {
  if (version >= 1) w.int32(res.throttleTimeMs);
  w.int16(res.errorCode);
}
export function decodeHeartbeatResponse(r: Reader, version: number): HeartbeatResponse {
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  return { throttleTimeMs, errorCode: r.int16() };
}
