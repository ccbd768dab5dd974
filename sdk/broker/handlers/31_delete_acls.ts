/**
 * DeleteAcls (31), v0-3.
 * Behavior:
 * - Removes the ACLs matching each filter from the security service's ACL store and answers
 *   them per filter. Without a store: 54 SECURITY_DISABLED for every filter. Needs ALTER on the
 *   cluster (31 otherwise).
 */
import { registerApi } from '../registry';
import { ErrorCode } from '../../protocol/errors';
import { AclOperation, AclResourceType } from '../../protocol/messages/acl-types';
import { DeleteAclsRequest, DeleteAclsResponse } from '../../protocol/messages/delete-acls';
import { CLUSTER_RESOURCE_NAME } from '../config-resources';
import { securityOf } from '../security';
import { NO_AUTHORIZER } from './29_describe_acls';

registerApi({
  request: DeleteAclsRequest,
  response: DeleteAclsResponse,
  minVersion: 0,
  maxVersion: 3,
  handle: (req, ctx) => {
    const all = (errorCode: number, errorMessage: string) => ({ throttleTimeMs: 0, filterResults: req.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })) });
    const acls = securityOf(ctx.broker).acls;
    if (!acls) return all(ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER);
    if (!ctx.authorize(AclOperation.ALTER, AclResourceType.CLUSTER, CLUSTER_RESOURCE_NAME)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'not authorized to delete ACLs');
    const results = acls.delete(
      req.filters.map((f) => ({
        resourceType: f.resourceTypeFilter,
        resourceName: f.resourceNameFilter,
        patternType: f.patternTypeFilter,
        principal: f.principalFilter,
        host: f.hostFilter,
        operation: f.operation,
        permissionType: f.permissionType,
      })),
    );
    return {
      throttleTimeMs: 0,
      filterResults: results.map((r) => ({
        errorCode: r.errorCode,
        errorMessage: r.errorMessage,
        matchingAcls: r.deleted.map((b) => ({ errorCode: 0, errorMessage: null, ...b })),
      })),
    };
  },
});
