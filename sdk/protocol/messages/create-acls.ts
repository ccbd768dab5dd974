/**
 * CreateAcls (key 30), versions 0-3, flexible from 2.
 * Version notes: v1 adds the resource pattern type (literal, prefixed; KIP-290).
 */
import { array, int16, int32, int8, message, string, type Out } from '../schema';
import { AclPatternType } from './acl-types';

export const CreateAclsRequest = message({ name: 'CreateAclsRequest', apiKey: 30, versions: '0-3', flexible: '2+' }, {
  creations: array({
    resourceType: int8(),
    resourceName: string(),
    resourcePatternType: int8('1+', { default: AclPatternType.LITERAL }),
    principal: string(),
    host: string(),
    operation: int8(),
    permissionType: int8(),
  }),
});
export type CreateAclsRequest = Out<typeof CreateAclsRequest>;

export const CreateAclsResponse = message({ name: 'CreateAclsResponse', apiKey: 30, versions: '0-3', flexible: '2+' }, {
  throttleTimeMs: int32(),
  results: array({ errorCode: int16(), errorMessage: string('0+', { nullable: '0+' }) }),
});
export type CreateAclsResponse = Out<typeof CreateAclsResponse>;
