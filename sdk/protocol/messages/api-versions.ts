/**
 * ApiVersions (key 18), versions 0-3, flexible from 3.
 *
 * ApiVersionsRequest v0-2 => (empty)
 * ApiVersionsRequest v3   => client_software_name:compact_string client_software_version:compact_string TAG_BUFFER
 * ApiVersionsResponse v0  => error_code:int16 [api_key:int16 min_version:int16 max_version:int16]
 * ApiVersionsResponse v1-2 => error_code [api_keys] throttle_time_ms:int32
 * ApiVersionsResponse v3  => error_code:int16 [api_key min_version max_version TAG_BUFFER] throttle_time_ms TAG_BUFFER
 * (the response header stays v0 at every version)
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export const API_VERSIONS = { key: 18, minVersion: 0, maxVersion: 3, flexibleVersion: 3 } as const;

export interface ApiVersionsRequest {
  clientSoftwareName: string | null;
  clientSoftwareVersion: string | null;
}
export interface ApiVersionRange {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}
export interface ApiVersionsResponse {
  errorCode: number;
  apiKeys: ApiVersionRange[];
  throttleTimeMs: number;
}

export function decodeApiVersionsRequest(r: Reader, version: number): ApiVersionsRequest {
  if (version < 3) return { clientSoftwareName: null, clientSoftwareVersion: null };
  const req = { clientSoftwareName: r.compactString(), clientSoftwareVersion: r.compactString() };
  r.taggedFields();
  return req;
}

export function encodeApiVersionsRequest(w: Writer, req: ApiVersionsRequest, version: number): void {
  if (version < 3) return;
  w.compactString(req.clientSoftwareName ?? '').compactString(req.clientSoftwareVersion ?? '').taggedFields();
}

export function encodeApiVersionsResponse(w: Writer, res: ApiVersionsResponse, version: number): void {
  const flex = version >= 3;
  w.int16(res.errorCode);
  w.arr(flex, res.apiKeys, (w, k) => w.int16(k.apiKey).int16(k.minVersion).int16(k.maxVersion).tags(flex));
  if (version >= 1) w.int32(res.throttleTimeMs);
  w.tags(flex);
}

export function decodeApiVersionsResponse(r: Reader, version: number): ApiVersionsResponse {
  const flex = version >= 3;
  const errorCode = r.int16();
  const apiKeys = r.arr(flex, (r) => {
    const k = { apiKey: r.int16(), minVersion: r.int16(), maxVersion: r.int16() };
    r.tags(flex);
    return k;
  });
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  r.tags(flex);
  return { errorCode, apiKeys, throttleTimeMs };
}
