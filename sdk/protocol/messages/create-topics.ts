/**
 * CreateTopics (key 19), versions 0-7, flexible from 5.
 * Version notes: v1 adds validate_only and error messages; v5 answers the created topic's
 * partitions, replication factor and configs; v7 its topic id.
 */
import { array, bool, int16, int32, int8, message, string, types, uuid, ZERO_UUID, type Out } from '../schema';

export const CreateTopicsRequest = message({ name: 'CreateTopicsRequest', apiKey: 19, versions: '0-7', flexible: '5+' }, {
  topics: array({
    name: string(),
    numPartitions: int32(),
    replicationFactor: int16(),
    assignments: array({ partitionIndex: int32(), brokerIds: array(types.int32) }),
    configs: array({ name: string(), value: string('0+', { nullable: '0+' }) }),
  }),
  timeoutMs: int32('0+', { default: 60000 }),
  validateOnly: bool('1+', { default: false }),
});
export type CreateTopicsRequest = Out<typeof CreateTopicsRequest>;
export type CreatableTopic = CreateTopicsRequest['topics'][number];

export const CreateTopicsResponse = message({ name: 'CreateTopicsResponse', apiKey: 19, versions: '0-7', flexible: '5+' }, {
  throttleTimeMs: int32('2+'),
  topics: array({
    name: string(),
    topicId: uuid('7+', { default: ZERO_UUID }),
    errorCode: int16(),
    errorMessage: string('1+', { nullable: '0+', default: null }),
    topicConfigErrorCode: int16('5+', { tag: 0 }),
    numPartitions: int32('5+', { default: -1 }),
    replicationFactor: int16('5+', { default: -1 }),
    configs: array(
      {
        name: string('5+'),
        value: string('5+', { nullable: '5+' }),
        readOnly: bool('5+'),
        configSource: int8('5+', { default: -1 }),
        isSensitive: bool('5+'),
      },
      '5+',
      { nullable: '5+' },
    ),
  }),
});
export type CreateTopicsResponse = Out<typeof CreateTopicsResponse>;
