/**
 * ListGroups (key 16), versions 0-2 (flexible from 3, not advertised).
 *
 * ListGroupsRequest => (no fields)
 * ListGroupsResponse => throttle_time_ms:int32 (v1+) error_code:int16
 *   [groups: group_id:string protocol_type:string]
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export type ListGroupsRequest = Record<string, never>;
export interface ListGroupsResponse {
  throttleTimeMs: number;
  errorCode: number;
  groups: Array<{ groupId: string; protocolType: string }>;
}

export function decodeListGroupsRequest(_r: Reader, _version: number): ListGroupsRequest {
  return {};
}
export function encodeListGroupsRequest(_w: Writer, _req: ListGroupsRequest, _version: number): void {}
export function encodeListGroupsResponse(w: Writer, res: ListGroupsResponse, version: number): void {
  if (version >= 1) w.int32(res.throttleTimeMs);
  w.int16(res.errorCode).array(res.groups, (w, g) => void w.string(g.groupId).string(g.protocolType));
}
export function decodeListGroupsResponse(r: Reader, version: number): ListGroupsResponse {
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  return { throttleTimeMs, errorCode: r.int16(), groups: r.array((r) => ({ groupId: r.string(), protocolType: r.string() })) };
}
