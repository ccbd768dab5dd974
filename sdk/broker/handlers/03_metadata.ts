/**
 * Metadata (3), v0-8.
 * Behavior:
 * - One broker: this node, at the advertised host and port (the bound port when 0 was asked).
 *   It is the controller and the leader, only replica and only ISR member of every partition.
 * - Null topics (v1+) or an empty list (v0) = every topic.
 * - Unknown topics are created when auto-creation is on and the request allows it (v4+ flag;
 *   always allowed before v4, as in Kafka); the new topic is answered at once, with no
 *   LEADER_NOT_AVAILABLE round trip, because its partitions exist immediately.
 * Version notes:
 * - One constant leader epoch (0) everywhere; authorized operations are "unknown" (no ACLs).
 */
import { registerApi } from '../registry';
import { findOrCreateTopic, isTopicError } from '../topics';
import {
  decodeMetadataRequest,
  encodeMetadataResponse,
  type MetadataRequest,
  type MetadataResponse,
  type MetadataTopic,
} from '../../protocol/messages/metadata';
import type { TopicInfo } from '../log';

const AUTH_OPS_UNKNOWN = -2147483648;
export const LEADER_EPOCH = 0;

registerApi<MetadataRequest, MetadataResponse>({
  key: 3,
  name: 'Metadata',
  minVersion: 0,
  maxVersion: 8,
  flexibleVersion: 9,
  decodeRequest: decodeMetadataRequest,
  handle: (req, ctx) => {
    const { config, logs } = ctx.broker;
    const node = config.nodeId;
    const describe = (t: TopicInfo): MetadataTopic => ({
      errorCode: 0,
      name: t.name,
      isInternal: false,
      partitions: Array.from({ length: t.partitions }, (_, i) => ({
        errorCode: 0,
        partitionIndex: i,
        leaderId: node,
        leaderEpoch: LEADER_EPOCH,
        replicaNodes: [node],
        isrNodes: [node],
        offlineReplicas: [],
      })),
      topicAuthorizedOperations: AUTH_OPS_UNKNOWN,
    });
    const topics =
      req.topics === null
        ? logs.topics().map(describe)
        : req.topics.map((name) => {
            const found = findOrCreateTopic(ctx.broker, name, req.allowAutoTopicCreation);
            if (isTopicError(found)) {
              return { errorCode: found.errorCode, name, isInternal: false, partitions: [], topicAuthorizedOperations: AUTH_OPS_UNKNOWN };
            }
            return describe(found);
          });
    return {
      throttleTimeMs: 0,
      brokers: [{ nodeId: node, host: config.advertisedHost, port: config.advertisedPort, rack: null }],
      clusterId: config.clusterId,
      controllerId: node,
      topics,
      clusterAuthorizedOperations: AUTH_OPS_UNKNOWN,
    };
  },
  encodeResponse: encodeMetadataResponse,
});
