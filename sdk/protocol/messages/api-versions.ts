/**
 * ApiVersions (key 18), versions 0-4, flexible from 3.
 * The response header stays v0 at every version (a client parses the answer before it knows
 * our ranges); v3+ requests name the client software; v3+ responses may carry feature tags.
 */
import { array, bool, int16, int32, int64, message, string, type Out } from '../schema';

export const ApiVersionsRequest = message({ name: 'ApiVersionsRequest', apiKey: 18, versions: '0-4', flexible: '3+' }, {
  clientSoftwareName: string('3+'),
  clientSoftwareVersion: string('3+'),
});
export type ApiVersionsRequest = Out<typeof ApiVersionsRequest>;

export const ApiVersionsResponse = message({ name: 'ApiVersionsResponse', apiKey: 18, versions: '0-4', flexible: '3+' }, {
  errorCode: int16(),
  apiKeys: array({ apiKey: int16(), minVersion: int16(), maxVersion: int16() }),
  throttleTimeMs: int32('1+'),
  supportedFeatures: array({ name: string('3+'), minVersion: int16('3+'), maxVersion: int16('3+') }, '3+', { tag: 0 }),
  finalizedFeaturesEpoch: int64('3+', { tag: 1, default: -1 }),
  finalizedFeatures: array({ name: string('3+'), maxVersionLevel: int16('3+'), minVersionLevel: int16('3+') }, '3+', { tag: 2 }),
  zkMigrationReady: bool('3+', { tag: 3, default: false }),
});
export type ApiVersionsResponse = Out<typeof ApiVersionsResponse>;
export type ApiVersionRange = ApiVersionsResponse['apiKeys'][number];
