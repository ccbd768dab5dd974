/**
 * OffsetFetch (key 9), versions 0-9, flexible from 6.
 * Version notes: null topics (v2+) = every partition the group committed; v2 adds a top-level
 * error code; v5 leader epochs; v7 require_stable; v8 batches several groups in one request
 * (groups[] replaces group_id/topics on both sides); v9 adds KIP-848 member id and epoch.
 */
import { array, bool, int16, int32, int64, message, string, types, type Out } from '../schema';

export const OffsetFetchRequest = message({ name: 'OffsetFetchRequest', apiKey: 9, versions: '0-9', flexible: '6+' }, {
  groupId: string('0-7'),
  topics: array({ name: string('0-7'), partitionIndexes: array(types.int32, '0-7') }, '0-7', { nullable: '2-7' }),
  groups: array(
    {
      groupId: string('8+'),
      memberId: string('9+', { nullable: '9+', default: null }),
      memberEpoch: int32('9+', { default: -1 }),
      topics: array({ name: string('8+'), partitionIndexes: array(types.int32, '8+') }, '8+', { nullable: '8+' }),
    },
    '8+',
  ),
  requireStable: bool('7+', { default: false }),
});
export type OffsetFetchRequest = Out<typeof OffsetFetchRequest>;

const partition = (v: string) => ({
  partitionIndex: int32(v),
  committedOffset: int64(v),
  committedLeaderEpoch: int32(v === '0-7' ? '5-7' : v, { default: -1 }),
  metadata: string(v, { nullable: v }),
  errorCode: int16(v),
});

export const OffsetFetchResponse = message({ name: 'OffsetFetchResponse', apiKey: 9, versions: '0-9', flexible: '6+' }, {
  throttleTimeMs: int32('3+'),
  topics: array({ name: string('0-7'), partitions: array(partition('0-7'), '0-7') }, '0-7'),
  errorCode: int16('2-7', { default: 0 }),
  groups: array(
    {
      groupId: string('8+'),
      topics: array({ name: string('8+'), partitions: array(partition('8+'), '8+') }, '8+'),
      errorCode: int16('8+', { default: 0 }),
    },
    '8+',
  ),
});
export type OffsetFetchResponse = Out<typeof OffsetFetchResponse>;
export type OffsetFetchResponsePartition = OffsetFetchResponse['topics'][number]['partitions'][number];
