/**
 * CreateAcls (30), v0-3.
 * Behavior:
 * - Adds each ACL to the security service's ACL store, answered one by one. Without a store:
 *   54 SECURITY_DISABLED for every creation. Needs ALTER on the cluster (31 otherwise).
 */
import { registerApi } from '../registry';
import { ErrorCode } from '../../protocol/errors';
import { AclOperation, AclResourceType } from '../../protocol/messages/acl-types';
import { CreateAclsRequest, CreateAclsResponse } from '../../protocol/messages/create-acls';
import { CLUSTER_RESOURCE_NAME } from '../config-resources';
import { securityOf } from '../security';
import { NO_AUTHORIZER } from './29_describe_acls';

registerApi({
  request: CreateAclsRequest,
  response: CreateAclsResponse,
  minVersion: 0,
  maxVersion: 3,
  handle: (req, ctx) => {
    const all = (errorCode: number, errorMessage: string) => ({ throttleTimeMs: 0, results: req.creations.map(() => ({ errorCode, errorMessage })) });
    const acls = securityOf(ctx.broker).acls;
    if (!acls) return all(ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER);
    if (!ctx.authorize(AclOperation.ALTER, AclResourceType.CLUSTER, CLUSTER_RESOURCE_NAME)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'not authorized to create ACLs');
    const results = acls.create(req.creations.map((c) => ({ ...c, patternType: c.resourcePatternType })));
    return { throttleTimeMs: 0, results };
  },
});
