/**
 * OffsetDelete (key 47), version 0, not flexible: deletes a group's committed offsets for
 * partitions it no longer consumes (KIP-496).
 */
import { array, int16, int32, message, string, type Out } from '../schema';

export const OffsetDeleteRequest = message({ name: 'OffsetDeleteRequest', apiKey: 47, versions: '0', flexible: 'none' }, {
  groupId: string(),
  topics: array({ name: string(), partitions: array({ partitionIndex: int32() }) }),
});
export type OffsetDeleteRequest = Out<typeof OffsetDeleteRequest>;

export const OffsetDeleteResponse = message({ name: 'OffsetDeleteResponse', apiKey: 47, versions: '0', flexible: 'none' }, {
  errorCode: int16(),
  throttleTimeMs: int32(),
  topics: array({ name: string(), partitions: array({ partitionIndex: int32(), errorCode: int16() }) }),
});
export type OffsetDeleteResponse = Out<typeof OffsetDeleteResponse>;
