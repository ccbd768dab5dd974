/**
 * ApiVersions (18), v0-4.
 * Behavior:
 * - The answer is the registry: every handler file's key and version range.
 * - A version above 4 never reaches this file: the server answers it with a v0 body, error 35
 *   and the full list, so the client can retry at a version we speak (Kafka's rule).
 * Version notes:
 * - v3+ is flexible (request header v2), but the response header stays v0 at every version.
 * - v4 is v3 with the promise that an unsupported version is answered as above (KIP-511).
 */
import { registerApi, supportedApis } from '../registry';
import { ApiVersionsRequest, ApiVersionsResponse } from '../../protocol/messages/api-versions';

registerApi({
  request: ApiVersionsRequest,
  response: ApiVersionsResponse,
  minVersion: 0,
  maxVersion: 4,
  handle: (req, ctx) => {
    if (req.clientSoftwareName) ctx.logger.debug('client software', { name: req.clientSoftwareName, version: req.clientSoftwareVersion });
    return { errorCode: 0, apiKeys: supportedApis(), throttleTimeMs: 0 };
  },
});
