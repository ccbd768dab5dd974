/**
 * DescribeCluster (60), v0-2.
 * Behavior:
 * - This node as the only broker and the controller, at its advertised host and port, with the
 *   cluster id. Cluster authorized operations are computed from the authorizer when asked for
 *   (allow-all by default), else Kafka's "not computed" value.
 * - Asking for controller endpoints (v1+ endpoint type 2) gets 115 UNSUPPORTED_ENDPOINT_TYPE, as
 *   a Kafka broker answers (controllers have their own listeners).
 * Version notes:
 * - v2's fenced brokers: none (one node, never fenced).
 */
import { registerApi } from '../registry';
import { AclOperation, AclResourceType } from '../../protocol/messages/acl-types';
import { AUTHORIZED_OPERATIONS_OMITTED } from '../../protocol/messages/metadata';
import { DescribeClusterRequest, DescribeClusterResponse, EndpointType } from '../../protocol/messages/describe-cluster';
import { CLUSTER_RESOURCE_NAME } from '../config-resources';
import { authorizedOperations } from '../security';

const UNSUPPORTED_ENDPOINT_TYPE = 115;
/** The operations Kafka reports for the cluster resource. */
const CLUSTER_OPERATIONS = [
  AclOperation.ALTER,
  AclOperation.ALTER_CONFIGS,
  AclOperation.CLUSTER_ACTION,
  AclOperation.CREATE,
  AclOperation.DESCRIBE,
  AclOperation.DESCRIBE_CONFIGS,
  AclOperation.IDEMPOTENT_WRITE,
] as const;

registerApi({
  request: DescribeClusterRequest,
  response: DescribeClusterResponse,
  minVersion: 0,
  maxVersion: 2,
  handle: (req, ctx) => {
    const { nodeId, clusterId, advertisedHost, advertisedPort } = ctx.broker.config;
    if (req.endpointType !== EndpointType.BROKERS) {
      return {
        throttleTimeMs: 0,
        errorCode: UNSUPPORTED_ENDPOINT_TYPE,
        errorMessage: `endpoint type ${req.endpointType} is not served by a broker`,
        endpointType: req.endpointType,
        clusterId,
        brokers: [],
      };
    }
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      endpointType: req.endpointType,
      clusterId,
      controllerId: ctx.broker.cluster ? ctx.broker.cluster.controllerId() : nodeId,
      brokers: ctx.broker.cluster
        ? ctx.broker.cluster.liveNodes().map((n) => ({ brokerId: n.nodeId, host: n.host, port: n.port, rack: null, isFenced: false }))
        : [{ brokerId: nodeId, host: advertisedHost, port: advertisedPort, rack: null, isFenced: false }],
      clusterAuthorizedOperations: req.includeClusterAuthorizedOperations
        ? authorizedOperations((op) => ctx.authorize(op, AclResourceType.CLUSTER, CLUSTER_RESOURCE_NAME), CLUSTER_OPERATIONS)
        : AUTHORIZED_OPERATIONS_OMITTED,
    };
  },
});
