/**
 * FindCoordinator (key 10), versions 0-2 (flexible from 3, not advertised).
 *
 * FindCoordinatorRequest => key:string key_type:int8 (v1+; 0 = group, 1 = transaction)
 * FindCoordinatorResponse => throttle_time_ms:int32 (v1+) error_code:int16
 *   error_message:nullable_string (v1+) node_id:int32 host:string port:int32
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export interface FindCoordinatorRequest {
  key: string;
  keyType: number;
}
export interface FindCoordinatorResponse {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
}

export function decodeFindCoordinatorRequest(r: Reader, version: number): FindCoordinatorRequest {
  return { key: r.string(), keyType: version >= 1 ? r.int8() : 0 };
}
export function encodeFindCoordinatorRequest(w: Writer, req: FindCoordinatorRequest, version: number): void {
  w.string(req.key);
  if (version >= 1) w.int8(req.keyType);
}
export function encodeFindCoordinatorResponse(w: Writer, res: FindCoordinatorResponse, version: number): void {
  if (version >= 1) w.int32(res.throttleTimeMs);
  w.int16(res.errorCode);
  if (version >= 1) w.nullableString(res.errorMessage);
  w.int32(res.nodeId).string(res.host).int32(res.port);
}
export function decodeFindCoordinatorResponse(r: Reader, version: number): FindCoordinatorResponse {
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  const errorCode = r.int16();
  const errorMessage = version >= 1 ? r.nullableString() : null;
  return { throttleTimeMs, errorCode, errorMessage, nodeId: r.int32(), host: r.string(), port: r.int32() };
}
