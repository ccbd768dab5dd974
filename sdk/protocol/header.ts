/**
 * Request and response headers.
 *
 * RequestHeader v0 => request_api_key request_api_version correlation_id
 * RequestHeader v1 => ... client_id (nullable string)
 * RequestHeader v2 => ... client_id TAG_BUFFER            (flexible request versions)
 * ResponseHeader v0 => correlation_id
 * ResponseHeader v1 => correlation_id TAG_BUFFER          (flexible responses, except ApiVersions)
 *
 * The header version follows from the API's first flexible version; ApiVersions responses keep
 * header v0 at every version so that a client can parse the answer before it knows our ranges.
 */
import { Reader } from './reader';
import { Writer } from './writer';

export const API_VERSIONS_KEY = 18;

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/** Version 1 for classic requests, 2 for flexible ones (ControlledShutdown v0's header v0 is not supported). */
export function requestHeaderVersion(flexible: boolean): 1 | 2 {
  return flexible ? 2 : 1;
}
export function responseHeaderVersion(apiKey: number, flexible: boolean): 0 | 1 {
  return flexible && apiKey !== API_VERSIONS_KEY ? 1 : 0;
}

/** Reads the fixed part (key, version, correlation id) and the client id. Tagged fields (v2) are read by decodeRequestHeaderTags. */
export function decodeRequestHeader(r: Reader, flexible: (apiKey: number, version: number) => boolean): RequestHeader & { version: 1 | 2 } {
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const clientId = r.nullableString();
  const version = requestHeaderVersion(flexible(apiKey, apiVersion));
  if (version === 2) r.taggedFields();
  return { apiKey, apiVersion, correlationId, clientId, version };
}

export function encodeRequestHeader(w: Writer, h: RequestHeader, version: 0 | 1 | 2): Writer {
  w.int16(h.apiKey).int16(h.apiVersion).int32(h.correlationId);
  if (version >= 1) w.nullableString(h.clientId);
  if (version >= 2) w.taggedFields();
  return w;
}

export function encodeResponseHeader(w: Writer, correlationId: number, version: 0 | 1): Writer {
  w.int32(correlationId);
  if (version === 1) w.taggedFields();
  return w;
}

export function decodeResponseHeader(r: Reader, version: 0 | 1): { correlationId: number } {
  const correlationId = r.int32();
  if (version === 1) r.taggedFields();
  return { correlationId };
}
