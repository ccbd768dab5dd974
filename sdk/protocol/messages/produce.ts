/**
 * Produce (key 0), versions 0-12, flexible from 9.
 * Record sets stay views into the request frame; they are never copied or parsed here.
 * Version notes: v3 adds the transactional id and record batches (message format v2); v7 allows
 * zstd; v8 answers per-batch record errors and an error message; v10 adds leader hints as tags
 * (current leader, node endpoints) for NOT_LEADER errors; v12 is v11 for transactions v2.
 */
import { array, int16, int32, int64, message, records, string, struct, type Out } from '../schema';

export const ProduceRequest = message({ name: 'ProduceRequest', apiKey: 0, versions: '0-12', flexible: '9+' }, {
  transactionalId: string('3+', { nullable: '3+', default: null }),
  acks: int16(),
  timeoutMs: int32(),
  topicData: array({
    name: string(),
    partitionData: array({ index: int32(), records: records('0+', { nullable: '0+' }) }),
  }),
});
export type ProduceRequest = Out<typeof ProduceRequest>;

export const ProduceResponse = message({ name: 'ProduceResponse', apiKey: 0, versions: '0-12', flexible: '9+' }, {
  responses: array({
    name: string(),
    partitionResponses: array({
      index: int32(),
      errorCode: int16(),
      baseOffset: int64(),
      logAppendTimeMs: int64('2+', { default: -1 }),
      logStartOffset: int64('5+', { default: -1 }),
      recordErrors: array({ batchIndex: int32('8+'), batchIndexErrorMessage: string('8+', { nullable: '8+', default: null }) }, '8+'),
      errorMessage: string('8+', { nullable: '8+', default: null }),
      currentLeader: struct({ leaderId: int32('10+', { default: -1 }), leaderEpoch: int32('10+', { default: -1 }) }, '10+', { tag: 0 }),
    }),
  }),
  throttleTimeMs: int32('1+', { default: 0 }),
  nodeEndpoints: array(
    { nodeId: int32('10+'), host: string('10+'), port: int32('10+'), rack: string('10+', { nullable: '10+', default: null }) },
    '10+',
    { tag: 0 },
  ),
});
export type ProduceResponse = Out<typeof ProduceResponse>;
export type ProducePartitionResponse = ProduceResponse['responses'][number]['partitionResponses'][number];
