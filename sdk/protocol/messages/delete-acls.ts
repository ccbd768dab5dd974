/**
 * DeleteAcls (key 31), versions 0-3, flexible from 2. Each filter answers the ACLs it deleted.
 * Version notes: v1 adds pattern types (literal, prefixed; KIP-290).
 */
import { array, int16, int32, int8, message, string, type Out } from '../schema';
import { AclPatternType } from './acl-types';

export const DeleteAclsRequest = message({ name: 'DeleteAclsRequest', apiKey: 31, versions: '0-3', flexible: '2+' }, {
  filters: array({
    resourceTypeFilter: int8(),
    resourceNameFilter: string('0+', { nullable: '0+' }),
    patternTypeFilter: int8('1+', { default: AclPatternType.LITERAL }),
    principalFilter: string('0+', { nullable: '0+' }),
    hostFilter: string('0+', { nullable: '0+' }),
    operation: int8(),
    permissionType: int8(),
  }),
});
export type DeleteAclsRequest = Out<typeof DeleteAclsRequest>;

export const DeleteAclsResponse = message({ name: 'DeleteAclsResponse', apiKey: 31, versions: '0-3', flexible: '2+' }, {
  throttleTimeMs: int32(),
  filterResults: array({
    errorCode: int16(),
    errorMessage: string('0+', { nullable: '0+' }),
    matchingAcls: array({
      errorCode: int16(),
      errorMessage: string('0+', { nullable: '0+' }),
      resourceType: int8(),
      resourceName: string(),
      patternType: int8('1+', { default: AclPatternType.LITERAL }),
      principal: string(),
      host: string(),
      operation: int8(),
      permissionType: int8(),
    }),
  }),
});
export type DeleteAclsResponse = Out<typeof DeleteAclsResponse>;
