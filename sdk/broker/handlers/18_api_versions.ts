/**
 * ApiVersions (18), v0-3.
 * Behavior:
 * - The answer is the registry: every handler file's key and version range.
 * - A version above 3 never reaches this file: the server answers it with a v0 body, error 35
 *   and the full list, so the client can retry at a version we speak (Kafka's rule).
 * Version notes:
 * - v3 is flexible (request header v2), but the response header stays v0 at every version.
 */
import { registerApi, supportedApis } from '../registry';
import {
  API_VERSIONS,
  decodeApiVersionsRequest,
  encodeApiVersionsResponse,
  type ApiVersionsRequest,
  type ApiVersionsResponse,
} from '../../protocol/messages/api-versions';

registerApi<ApiVersionsRequest, ApiVersionsResponse>({
  key: API_VERSIONS.key,
  name: 'ApiVersions',
  minVersion: API_VERSIONS.minVersion,
  maxVersion: API_VERSIONS.maxVersion,
  flexibleVersion: API_VERSIONS.flexibleVersion,
  decodeRequest: decodeApiVersionsRequest,
  handle: (req, ctx) => {
    if (req.clientSoftwareName) ctx.logger.debug('client software', { name: req.clientSoftwareName, version: req.clientSoftwareVersion });
    return { errorCode: 0, apiKeys: supportedApis(), throttleTimeMs: 0 };
  },
  encodeResponse: encodeApiVersionsResponse,
});
