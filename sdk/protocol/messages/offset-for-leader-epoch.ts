/**
 * OffsetForLeaderEpoch (key 23), versions 0-4, flexible from 4.
 * Version notes: v1 answers the leader epoch; v2 carries the current leader epoch (fencing);
 * v3 adds the replica id (-1 for consumers, -2 for debugging tools).
 */
import { array, int16, int32, int64, message, string, type Out } from '../schema';

export const OffsetForLeaderEpochRequest = message({ name: 'OffsetForLeaderEpochRequest', apiKey: 23, versions: '0-4', flexible: '4+' }, {
  replicaId: int32('3+', { default: -2 }),
  topics: array({
    topic: string(),
    partitions: array({ partition: int32(), currentLeaderEpoch: int32('2+', { default: -1 }), leaderEpoch: int32() }),
  }),
});
export type OffsetForLeaderEpochRequest = Out<typeof OffsetForLeaderEpochRequest>;

export const OffsetForLeaderEpochResponse = message({ name: 'OffsetForLeaderEpochResponse', apiKey: 23, versions: '0-4', flexible: '4+' }, {
  throttleTimeMs: int32('2+'),
  topics: array({
    topic: string(),
    partitions: array({ errorCode: int16(), partition: int32(), leaderEpoch: int32('1+', { default: -1 }), endOffset: int64('0+', { default: -1 }) }),
  }),
});
export type OffsetForLeaderEpochResponse = Out<typeof OffsetForLeaderEpochResponse>;
