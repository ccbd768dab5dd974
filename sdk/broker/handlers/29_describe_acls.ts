/**
 * DescribeAcls (29), v0-3.
 * Behavior:
 * - The ACLs matching the filter, grouped by resource, from the security service's ACL store.
 *   Without one (the default broker has no authorizer) the answer is 54 SECURITY_DISABLED, as
 *   Kafka gives without an authorizer. Needs DESCRIBE on the cluster (31 otherwise).
 * Version notes:
 * - v0 has no pattern type (literal resources).
 */
import { registerApi } from '../registry';
import { ErrorCode } from '../../protocol/errors';
import { AclOperation, AclResourceType } from '../../protocol/messages/acl-types';
import { DescribeAclsRequest, DescribeAclsResponse } from '../../protocol/messages/describe-acls';
import { CLUSTER_RESOURCE_NAME } from '../config-resources';
import { securityOf, type AclBinding } from '../security';

export const NO_AUTHORIZER = 'No Authorizer is configured on the broker (the kafkalab broker has none unless security is set up)';

registerApi({
  request: DescribeAclsRequest,
  response: DescribeAclsResponse,
  minVersion: 0,
  maxVersion: 3,
  handle: (req, ctx) => {
    const refuse = (errorCode: number, errorMessage: string) => ({ throttleTimeMs: 0, errorCode, errorMessage, resources: [] });
    const acls = securityOf(ctx.broker).acls;
    if (!acls) return refuse(ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER);
    if (!ctx.authorize(AclOperation.DESCRIBE, AclResourceType.CLUSTER, CLUSTER_RESOURCE_NAME)) {
      return refuse(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'not authorized to describe ACLs');
    }
    const byResource = new Map<string, { resourceType: number; resourceName: string; patternType: number; acls: AclBinding[] }>();
    const filter = {
      resourceType: req.resourceTypeFilter,
      resourceName: req.resourceNameFilter,
      patternType: req.patternTypeFilter,
      principal: req.principalFilter,
      host: req.hostFilter,
      operation: req.operation,
      permissionType: req.permissionType,
    };
    for (const b of acls.describe(filter)) {
      const key = JSON.stringify([b.resourceType, b.resourceName, b.patternType]);
      const entry = byResource.get(key) ?? { resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType, acls: [] };
      entry.acls.push(b);
      byResource.set(key, entry);
    }
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      resources: [...byResource.values()].map((r) => ({
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        patternType: r.patternType,
        acls: r.acls.map((a) => ({ principal: a.principal, host: a.host, operation: a.operation, permissionType: a.permissionType })),
      })),
    };
  },
});
