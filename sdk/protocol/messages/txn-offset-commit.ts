/**
 * TxnOffsetCommit (key 28), versions 0-5, flexible from 3: offsets committed as part of a
 * transaction (visible when it commits).
 * Version notes: v2 adds leader epochs; v3 group generation, member and instance ids (KIP-447);
 * v5 is v4 for transactions v2.
 */
import { array, int16, int32, int64, message, string, type Out } from '../schema';

export const TxnOffsetCommitRequest = message({ name: 'TxnOffsetCommitRequest', apiKey: 28, versions: '0-5', flexible: '3+' }, {
  transactionalId: string(),
  groupId: string(),
  producerId: int64(),
  producerEpoch: int16(),
  generationId: int32('3+', { default: -1 }),
  memberId: string('3+', { default: '' }),
  groupInstanceId: string('3+', { nullable: '3+', default: null }),
  topics: array({
    name: string(),
    partitions: array({
      partitionIndex: int32(),
      committedOffset: int64(),
      committedLeaderEpoch: int32('2+', { default: -1 }),
      committedMetadata: string('0+', { nullable: '0+' }),
    }),
  }),
});
export type TxnOffsetCommitRequest = Out<typeof TxnOffsetCommitRequest>;

export const TxnOffsetCommitResponse = message({ name: 'TxnOffsetCommitResponse', apiKey: 28, versions: '0-5', flexible: '3+' }, {
  throttleTimeMs: int32(),
  topics: array({ name: string(), partitions: array({ partitionIndex: int32(), errorCode: int16() }) }),
});
export type TxnOffsetCommitResponse = Out<typeof TxnOffsetCommitResponse>;
