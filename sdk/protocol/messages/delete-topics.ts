/**
 * DeleteTopics (key 20), versions 0-6, flexible from 4.
 * Version notes: v5 adds error messages; v6 names topics by name or by id (topics[] replaces
 * topic_names) and answers with both.
 */
import { array, int16, int32, message, string, types, uuid, ZERO_UUID, type Out } from '../schema';

export const DeleteTopicsRequest = message({ name: 'DeleteTopicsRequest', apiKey: 20, versions: '0-6', flexible: '4+' }, {
  topics: array({ name: string('6+', { nullable: '6+', default: null }), topicId: uuid('6+', { default: ZERO_UUID }) }, '6+'),
  topicNames: array(types.string, '0-5'),
  timeoutMs: int32(),
});
export type DeleteTopicsRequest = Out<typeof DeleteTopicsRequest>;

export const DeleteTopicsResponse = message({ name: 'DeleteTopicsResponse', apiKey: 20, versions: '0-6', flexible: '4+' }, {
  throttleTimeMs: int32('1+'),
  responses: array({
    name: string('0+', { nullable: '6+' }),
    topicId: uuid('6+', { default: ZERO_UUID }),
    errorCode: int16(),
    errorMessage: string('5+', { nullable: '5+', default: null }),
  }),
});
export type DeleteTopicsResponse = Out<typeof DeleteTopicsResponse>;
