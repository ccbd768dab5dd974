/**
 * DeleteTopics (key 20), versions 0-3 (flexible from 4, not advertised).
 *
 * DeleteTopicsRequest => [topic_names:string] timeout_ms:int32
 * DeleteTopicsResponse => throttle_time_ms:int32 (v1+) [responses: name:string error_code:int16]
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export interface DeleteTopicsRequest {
  topicNames: string[];
  timeoutMs: number;
}
export interface DeleteTopicsResponse {
  throttleTimeMs: number;
  responses: Array<{ name: string; errorCode: number }>;
}

export function decodeDeleteTopicsRequest(r: Reader, _version: number): DeleteTopicsRequest {
  return { topicNames: r.array((r) => r.string()), timeoutMs: r.int32() };
}
export function encodeDeleteTopicsRequest(w: Writer, req: DeleteTopicsRequest, _version: number): void {
  w.array(req.topicNames, (w, t) => w.string(t)).int32(req.timeoutMs);
}
export function encodeDeleteTopicsResponse(w: Writer, res: DeleteTopicsResponse, version: number): void {
  if (version >= 1) w.int32(res.throttleTimeMs);
  w.array(res.responses, (w, t) => w.string(t.name).int16(t.errorCode));
}
export function decodeDeleteTopicsResponse(r: Reader, version: number): DeleteTopicsResponse {
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  return { throttleTimeMs, responses: r.array((r) => ({ name: r.string(), errorCode: r.int16() })) };
}
