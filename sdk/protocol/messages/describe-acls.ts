/**
 * DescribeAcls (key 29), versions 0-3, flexible from 2.
 * Version notes: v1 adds pattern types (literal, prefixed; KIP-290).
 */
import { array, int16, int32, int8, message, string, type Out } from '../schema';
import { AclPatternType } from './acl-types';

export const DescribeAclsRequest = message({ name: 'DescribeAclsRequest', apiKey: 29, versions: '0-3', flexible: '2+' }, {
  resourceTypeFilter: int8(),
  resourceNameFilter: string('0+', { nullable: '0+' }),
  patternTypeFilter: int8('1+', { default: AclPatternType.LITERAL }),
  principalFilter: string('0+', { nullable: '0+' }),
  hostFilter: string('0+', { nullable: '0+' }),
  operation: int8(),
  permissionType: int8(),
});
export type DescribeAclsRequest = Out<typeof DescribeAclsRequest>;

export const DescribeAclsResponse = message({ name: 'DescribeAclsResponse', apiKey: 29, versions: '0-3', flexible: '2+' }, {
  throttleTimeMs: int32(),
  errorCode: int16(),
  errorMessage: string('0+', { nullable: '0+' }),
  resources: array({
    resourceType: int8(),
    resourceName: string(),
    patternType: int8('1+', { default: AclPatternType.LITERAL }),
    acls: array({ principal: string(), host: string(), operation: int8(), permissionType: int8() }),
  }),
});
export type DescribeAclsResponse = Out<typeof DescribeAclsResponse>;
