/**
 * OffsetCommit (key 8), versions 0-9, flexible from 8.
 * Version notes: v0 has no generation or member (a standalone commit: generation -1, member "");
 * v1 alone carries a commit timestamp; v2-4 a retention time; v6 leader epochs; v7 group
 * instance ids; v9 lets KIP-848 members send their member epoch in the generation field.
 */
import { array, int16, int32, int64, message, string, type Out } from '../schema';

export const OffsetCommitRequest = message({ name: 'OffsetCommitRequest', apiKey: 8, versions: '0-9', flexible: '8+' }, {
  groupId: string(),
  generationIdOrMemberEpoch: int32('1+', { default: -1 }),
  memberId: string('1+'),
  groupInstanceId: string('7+', { nullable: '7+', default: null }),
  retentionTimeMs: int64('2-4', { default: -1 }),
  topics: array({
    name: string(),
    partitions: array({
      partitionIndex: int32(),
      committedOffset: int64(),
      committedLeaderEpoch: int32('6+', { default: -1 }),
      commitTimestamp: int64('1', { default: -1 }),
      committedMetadata: string('0+', { nullable: '0+' }),
    }),
  }),
});
export type OffsetCommitRequest = Out<typeof OffsetCommitRequest>;

export const OffsetCommitResponse = message({ name: 'OffsetCommitResponse', apiKey: 8, versions: '0-9', flexible: '8+' }, {
  throttleTimeMs: int32('3+'),
  topics: array({ name: string(), partitions: array({ partitionIndex: int32(), errorCode: int16() }) }),
});
export type OffsetCommitResponse = Out<typeof OffsetCommitResponse>;
