/**
 * DeleteGroups (key 42), versions 0-1 (flexible from 2, not advertised).
 *
 * DeleteGroupsRequest => [groups_names:string]
 * DeleteGroupsResponse => throttle_time_ms:int32 [results: group_id:string error_code:int16]
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export interface DeleteGroupsRequest {
  groupsNames: string[];
}
export interface DeleteGroupsResponse {
  throttleTimeMs: number;
  results: Array<{ groupId: string; errorCode: number }>;
}

export function decodeDeleteGroupsRequest(r: Reader, _version: number): DeleteGroupsRequest {
  return { groupsNames: r.array((r) => r.string()) };
}
export function encodeDeleteGroupsRequest(w: Writer, req: DeleteGroupsRequest, _version: number): void {
  w.array(req.groupsNames, (w, g) => void w.string(g));
}
export function encodeDeleteGroupsResponse(w: Writer, res: DeleteGroupsResponse, _version: number): void {
  w.int32(res.throttleTimeMs).array(res.results, (w, g) => void w.string(g.groupId).int16(g.errorCode));
}
export function decodeDeleteGroupsResponse(r: Reader, _version: number): DeleteGroupsResponse {
  return { throttleTimeMs: r.int32(), results: r.array((r) => ({ groupId: r.string(), errorCode: r.int16() })) };
}
