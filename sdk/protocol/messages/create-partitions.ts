/**
 * CreatePartitions (key 37), versions 0-3, flexible from 2.
 */
import { array, bool, int16, int32, message, string, types, type Out } from '../schema';

export const CreatePartitionsRequest = message({ name: 'CreatePartitionsRequest', apiKey: 37, versions: '0-3', flexible: '2+' }, {
  topics: array({
    name: string(),
    count: int32(),
    assignments: array({ brokerIds: array(types.int32) }, '0+', { nullable: '0+' }),
  }),
  timeoutMs: int32(),
  validateOnly: bool(),
});
export type CreatePartitionsRequest = Out<typeof CreatePartitionsRequest>;

export const CreatePartitionsResponse = message({ name: 'CreatePartitionsResponse', apiKey: 37, versions: '0-3', flexible: '2+' }, {
  throttleTimeMs: int32(),
  results: array({ name: string(), errorCode: int16(), errorMessage: string('0+', { nullable: '0+', default: null }) }),
});
export type CreatePartitionsResponse = Out<typeof CreatePartitionsResponse>;
