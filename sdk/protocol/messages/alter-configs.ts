/**
 * AlterConfigs (key 33), versions 0-2, flexible from 2: replaces every override of a resource.
 */
import { array, bool, int16, int32, int8, message, string, type Out } from '../schema';

export const AlterConfigsRequest = message({ name: 'AlterConfigsRequest', apiKey: 33, versions: '0-2', flexible: '2+' }, {
  resources: array({
    resourceType: int8(),
    resourceName: string(),
    configs: array({ name: string(), value: string('0+', { nullable: '0+' }) }),
  }),
  validateOnly: bool(),
});
export type AlterConfigsRequest = Out<typeof AlterConfigsRequest>;

export const AlterConfigsResponse = message({ name: 'AlterConfigsResponse', apiKey: 33, versions: '0-2', flexible: '2+' }, {
  throttleTimeMs: int32(),
  responses: array({
    errorCode: int16(),
    errorMessage: string('0+', { nullable: '0+' }),
    resourceType: int8(),
    resourceName: string(),
  }),
});
export type AlterConfigsResponse = Out<typeof AlterConfigsResponse>;
