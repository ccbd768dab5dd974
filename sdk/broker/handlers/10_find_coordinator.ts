/**
 * FindCoordinator (10), v0-6.
 * Behavior:
 * - A multi-node test broker (cluster.ts) names its coordinator node, or answers
 *   COORDINATOR_NOT_AVAILABLE while that node is stopped.
 * - This single node coordinates every group and every transactional id, so the answer is
 *   always this broker's advertised host and port (the bound port when it listens on port 0).
 * - An empty key is INVALID_REQUEST for transactions and INVALID_GROUP_ID for groups, as in Kafka.
 * - Key types other than group (0) and transaction (1), such as v6's share groups (2), get
 *   INVALID_REQUEST.
 * Version notes:
 * - v4+ batch several keys; each gets its own answer in coordinators[].
 */
import { registerApi, type RequestContext } from '../registry';
import { ErrorCode } from '../../protocol/errors';
import { COORDINATOR_GROUP, COORDINATOR_TRANSACTION, FindCoordinatorRequest, FindCoordinatorResponse } from '../../protocol/messages/find-coordinator';
import { GroupErrorCode } from '../groups/types';
import { AclOperation, AclResourceType } from '../../protocol/messages/acl-types';

const BATCHED_FROM_VERSION = 4;

function coordinatorFor(key: string, keyType: number, ctx: RequestContext) {
  const { nodeId, advertisedHost, advertisedPort } = ctx.broker.config;
  if (keyType !== COORDINATOR_GROUP && keyType !== COORDINATOR_TRANSACTION) {
    return { key, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `unsupported coordinator key type ${keyType}`, nodeId: -1, host: '', port: -1 };
  }
  if (key === '') {
    const errorCode = keyType === COORDINATOR_TRANSACTION ? ErrorCode.INVALID_REQUEST : GroupErrorCode.INVALID_GROUP_ID;
    return { key, errorCode, errorMessage: 'empty coordinator key', nodeId: -1, host: '', port: -1 };
  }
  const [resource, refused] = keyType === COORDINATOR_GROUP ? [AclResourceType.GROUP, ErrorCode.GROUP_AUTHORIZATION_FAILED] : [AclResourceType.TRANSACTIONAL_ID, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED];
  if (!ctx.authorize(AclOperation.DESCRIBE, resource, key)) return { key, errorCode: refused, errorMessage: `not authorized to describe ${key}`, nodeId: -1, host: '', port: -1 };
  const cluster = ctx.broker.cluster;
  if (cluster) {
    // A multi-node test broker (cluster.ts): one node coordinates, and may be stopped.
    const c = cluster.coordinator();
    if (!c) return { key, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'the coordinator node is stopped', nodeId: -1, host: '', port: -1 };
    return { key, errorCode: 0, errorMessage: null, nodeId: c.nodeId, host: c.host, port: c.port };
  }
  return { key, errorCode: 0, errorMessage: null, nodeId, host: advertisedHost, port: advertisedPort };
}

registerApi({
  request: FindCoordinatorRequest,
  response: FindCoordinatorResponse,
  minVersion: 0,
  maxVersion: 6,
  handle: (req, ctx) => {
    if (ctx.header.apiVersion >= BATCHED_FROM_VERSION) {
      return { throttleTimeMs: 0, coordinators: req.coordinatorKeys.map((key) => coordinatorFor(key, req.keyType, ctx)) };
    }
    return { throttleTimeMs: 0, ...coordinatorFor(req.key, req.keyType, ctx) };
  },
});
