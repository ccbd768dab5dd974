/**
 * IncrementalAlterConfigs (key 44), versions 0-1, flexible from 1: SET, DELETE, APPEND or
 * SUBTRACT single configs of a resource (KIP-339).
 */
import { array, bool, int16, int32, int8, message, string, type Out } from '../schema';

export const IncrementalAlterConfigsRequest = message({ name: 'IncrementalAlterConfigsRequest', apiKey: 44, versions: '0-1', flexible: '1+' }, {
  resources: array({
    resourceType: int8(),
    resourceName: string(),
    configs: array({ name: string(), configOperation: int8(), value: string('0+', { nullable: '0+' }) }),
  }),
  validateOnly: bool(),
});
export type IncrementalAlterConfigsRequest = Out<typeof IncrementalAlterConfigsRequest>;

export const IncrementalAlterConfigsResponse = message({ name: 'IncrementalAlterConfigsResponse', apiKey: 44, versions: '0-1', flexible: '1+' }, {
  throttleTimeMs: int32(),
  responses: array({
    errorCode: int16(),
    errorMessage: string('0+', { nullable: '0+' }),
    resourceType: int8(),
    resourceName: string(),
  }),
});
export type IncrementalAlterConfigsResponse = Out<typeof IncrementalAlterConfigsResponse>;
