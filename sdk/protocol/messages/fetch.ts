/**
 * Fetch (key 1), versions 0-17, flexible from 12.
 * Record sets are written by reference (stored batches are never copied into a response) and
 * read as views into the frame.
 * Version notes: v4 adds isolation level, last stable offset and aborted transactions; v5 log
 * start offsets; v7 fetch sessions; v9 current leader epoch; v11 rack id and preferred read
 * replica; v12 is flexible (diverging epoch, current leader, snapshot id as tags); v13 names
 * topics by id instead of name; v15 moves the replica id into a tagged replica state; v16 adds
 * node endpoints; v17 a replica directory id.
 */
import { array, int16, int32, int64, int8, message, records, string, struct, types, uuid, ZERO_UUID, type Out } from '../schema';

export const FetchRequest = message({ name: 'FetchRequest', apiKey: 1, versions: '0-17', flexible: '12+' }, {
  clusterId: string('12+', { nullable: '12+', tag: 0, default: null }),
  replicaId: int32('0-14', { default: -1 }),
  replicaState: struct({ replicaId: int32('15+', { default: -1 }), replicaEpoch: int64('15+', { default: -1 }) }, '15+', { tag: 1 }),
  maxWaitMs: int32(),
  minBytes: int32(),
  maxBytes: int32('3+', { default: 0x7fffffff }),
  isolationLevel: int8('4+', { default: 0 }),
  sessionId: int32('7+', { default: 0 }),
  sessionEpoch: int32('7+', { default: -1 }),
  topics: array({
    topic: string('0-12'),
    topicId: uuid('13+', { default: ZERO_UUID }),
    partitions: array({
      partition: int32(),
      currentLeaderEpoch: int32('9+', { default: -1 }),
      fetchOffset: int64(),
      lastFetchedEpoch: int32('12+', { default: -1 }),
      logStartOffset: int64('5+', { default: -1 }),
      partitionMaxBytes: int32(),
      replicaDirectoryId: uuid('17+', { tag: 0 }),
    }),
  }),
  forgottenTopicsData: array({ topic: string('7-12'), topicId: uuid('13+', { default: ZERO_UUID }), partitions: array(types.int32, '7+') }, '7+'),
  rackId: string('11+', { default: '' }),
});
export type FetchRequest = Out<typeof FetchRequest>;

export const FetchResponse = message({ name: 'FetchResponse', apiKey: 1, versions: '0-17', flexible: '12+' }, {
  throttleTimeMs: int32('1+'),
  errorCode: int16('7+'),
  sessionId: int32('7+', { default: 0 }),
  responses: array({
    topic: string('0-12'),
    topicId: uuid('13+', { default: ZERO_UUID }),
    partitions: array({
      partitionIndex: int32(),
      errorCode: int16(),
      highWatermark: int64(),
      lastStableOffset: int64('4+', { default: -1 }),
      logStartOffset: int64('5+', { default: -1 }),
      divergingEpoch: struct({ epoch: int32('12+', { default: -1 }), endOffset: int64('12+', { default: -1 }) }, '12+', { tag: 0 }),
      currentLeader: struct({ leaderId: int32('12+', { default: -1 }), leaderEpoch: int32('12+', { default: -1 }) }, '12+', { tag: 1 }),
      snapshotId: struct({ endOffset: int64('0+', { default: -1 }), epoch: int32('0+', { default: -1 }) }, '12+', { tag: 2 }),
      abortedTransactions: array({ producerId: int64('4+'), firstOffset: int64('4+') }, '4+', { nullable: '4+' }),
      preferredReadReplica: int32('11+', { default: -1 }),
      records: records('0+', { nullable: '0+' }),
    }),
  }),
  nodeEndpoints: array(
    { nodeId: int32('16+'), host: string('16+'), port: int32('16+'), rack: string('16+', { nullable: '16+', default: null }) },
    '16+',
    { tag: 0 },
  ),
});
export type FetchResponse = Out<typeof FetchResponse>;
export type FetchPartitionResponse = FetchResponse['responses'][number]['partitions'][number];
