/**
 * ListOffsets (key 2), versions 0-10, flexible from 6.
 * Version notes: v0 answers a list of offsets (old_style_offsets); v1+ one offset and its
 * timestamp; v2 adds isolation level; v4 leader epochs; v7 allows timestamp -3 (max timestamp,
 * KIP-734); v8 -4 (earliest local) and v9 -5 (latest tiered) for tiered storage; v10 a timeout.
 */
import { array, int16, int32, int64, int8, message, string, types, type Out } from '../schema';

/** Special timestamps a ListOffsets request may ask for. */
export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;
export const MAX_TIMESTAMP = -3;
export const EARLIEST_LOCAL_TIMESTAMP = -4;
export const LATEST_TIERED_TIMESTAMP = -5;

export const ListOffsetsRequest = message({ name: 'ListOffsetsRequest', apiKey: 2, versions: '0-10', flexible: '6+' }, {
  replicaId: int32(),
  isolationLevel: int8('2+'),
  topics: array({
    name: string(),
    partitions: array({
      partitionIndex: int32(),
      currentLeaderEpoch: int32('4+', { default: -1 }),
      timestamp: int64(),
      maxNumOffsets: int32('0', { default: 1 }),
    }),
  }),
  timeoutMs: int32('10+'),
});
export type ListOffsetsRequest = Out<typeof ListOffsetsRequest>;

export const ListOffsetsResponse = message({ name: 'ListOffsetsResponse', apiKey: 2, versions: '0-10', flexible: '6+' }, {
  throttleTimeMs: int32('2+'),
  topics: array({
    name: string(),
    partitions: array({
      partitionIndex: int32(),
      errorCode: int16(),
      oldStyleOffsets: array(types.int64, '0'),
      timestamp: int64('1+', { default: -1 }),
      offset: int64('1+', { default: -1 }),
      leaderEpoch: int32('4+', { default: -1 }),
    }),
  }),
});
export type ListOffsetsResponse = Out<typeof ListOffsetsResponse>;
export type ListOffsetsPartitionResponse = ListOffsetsResponse['topics'][number]['partitions'][number];
