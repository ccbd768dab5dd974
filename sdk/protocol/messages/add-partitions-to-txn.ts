/**
 * AddPartitionsToTxn (key 24), versions 0-5, flexible from 3.
 * Version notes: v4 batches several transactions in one request (brokers verifying partitions
 * for KIP-890; clients keep using the single-transaction v0-3 form); v5 is v4 for
 * transactions v2.
 */
import { array, bool, int16, int32, int64, message, string, types, type Out } from '../schema';

const topic = { name: string(), partitions: array(types.int32) };
const topicResult = { name: string(), resultsByPartition: array({ partitionIndex: int32(), partitionErrorCode: int16() }) };

export const AddPartitionsToTxnRequest = message({ name: 'AddPartitionsToTxnRequest', apiKey: 24, versions: '0-5', flexible: '3+' }, {
  transactions: array(
    {
      transactionalId: string('4+'),
      producerId: int64('4+'),
      producerEpoch: int16('4+'),
      verifyOnly: bool('4+', { default: false }),
      topics: array(topic, '4+'),
    },
    '4+',
  ),
  v3AndBelowTransactionalId: string('0-3'),
  v3AndBelowProducerId: int64('0-3'),
  v3AndBelowProducerEpoch: int16('0-3'),
  v3AndBelowTopics: array(topic, '0-3'),
});
export type AddPartitionsToTxnRequest = Out<typeof AddPartitionsToTxnRequest>;

export const AddPartitionsToTxnResponse = message({ name: 'AddPartitionsToTxnResponse', apiKey: 24, versions: '0-5', flexible: '3+' }, {
  throttleTimeMs: int32(),
  errorCode: int16('4+'),
  resultsByTransaction: array({ transactionalId: string('4+'), topicResults: array(topicResult, '4+') }, '4+'),
  resultsByTopicV3AndBelow: array(topicResult, '0-3'),
});
export type AddPartitionsToTxnResponse = Out<typeof AddPartitionsToTxnResponse>;
