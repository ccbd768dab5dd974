/**
 * Metadata (3), v0-13.
 * Behavior:
 * - One broker: this node, at the advertised host and port (the bound port when 0 was asked).
 *   It is the controller and the leader, only replica and only ISR member of every partition.
 *   A multi-node test broker (cluster.ts) lists its live nodes and each partition's leader
 *   (its only replica); a partition whose leader is stopped gets LEADER_NOT_AVAILABLE, leader -1.
 * - Null topics (v1+) or an empty list (v0) = every topic.
 * - Unknown topics are created when auto-creation is on and the request allows it (v4+ flag;
 *   always allowed before v4, as in Kafka); the new topic is answered at once, with no
 *   LEADER_NOT_AVAILABLE round trip, because its partitions exist immediately.
 * - v10+ topics may be asked for by id alone (null name); an unknown id gets 100
 *   UNKNOWN_TOPIC_ID. Every topic is answered with its id.
 * Version notes:
 * - One constant leader epoch (0) everywhere; authorized operations are "unknown" (not computed). ACLs: DESCRIBE per topic, CREATE for auto-creation.
 * - v13's top-level error code is always 0 (the request as a whole never fails here).
 */
import { registerApi } from '../registry';
import { findOrCreateTopic, findTopicById, isTopicError } from '../topics';
import { ErrorCode } from '../../protocol/errors';
import { ZERO_UUID } from '../../protocol/schema';
import { AUTHORIZED_OPERATIONS_OMITTED, MetadataRequest, MetadataResponse, type MetadataTopic } from '../../protocol/messages/metadata';
import type { TopicInfo } from '../log';
import { AclOperation, AclResourceType } from '../../protocol/messages/acl-types';
import { CLUSTER_RESOURCE_NAME } from '../config-resources';

import { leaderEpoch } from '../cluster';

registerApi({
  request: MetadataRequest,
  response: MetadataResponse,
  minVersion: 0,
  maxVersion: 13,
  handle: (req, ctx) => {
    const { config, logs, cluster } = ctx.broker;
    const node = config.nodeId;
    // A multi-node test broker (cluster.ts) leads partitions from several nodes, one copy each.
    const partition = (t: TopicInfo, i: number) => {
      const leaderId = cluster ? cluster.leaderOf(t.name, i) : node;
      return {
        errorCode: leaderId < 0 ? ErrorCode.LEADER_NOT_AVAILABLE : 0,
        partitionIndex: i,
        leaderId,
        leaderEpoch: leaderEpoch(ctx.broker, t.name, i),
        replicaNodes: leaderId < 0 ? [] : [leaderId],
        isrNodes: leaderId < 0 ? [] : [leaderId],
        offlineReplicas: [],
      };
    };
    const describe = (t: TopicInfo): MetadataTopic => ({
      errorCode: 0,
      name: t.name,
      topicId: t.id,
      isInternal: false,
      partitions: Array.from({ length: t.partitions }, (_, i) => partition(t, i)),
      topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    });
    const failed = (errorCode: number, name: string | null, topicId = ZERO_UUID): MetadataTopic => ({
      errorCode,
      name,
      topicId,
      isInternal: false,
      partitions: [],
      topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    });
    // ACLs: DESCRIBE to see a topic (all-topics answers leave the others out); auto-creation needs CREATE on the topic or cluster.
    const visible = (name: string) => ctx.authorize(AclOperation.DESCRIBE, AclResourceType.TOPIC, name);
    const mayCreate = (name: string) => ctx.authorize(AclOperation.CREATE, AclResourceType.CLUSTER, CLUSTER_RESOURCE_NAME) || ctx.authorize(AclOperation.CREATE, AclResourceType.TOPIC, name);
    // v0 asked for every topic with an empty list; v1+ with null.
    const wanted = ctx.header.apiVersion === 0 && req.topics?.length === 0 ? null : req.topics;
    const topics =
      wanted === null
        ? logs.topics().filter((t) => visible(t.name)).map(describe)
        : wanted.map(({ name, topicId }) => {
            if (name === null) {
              const byId = findTopicById(ctx.broker, topicId);
              if (byId && !visible(byId.name)) return failed(ErrorCode.TOPIC_AUTHORIZATION_FAILED, null, topicId);
              return byId ? describe(byId) : failed(ErrorCode.UNKNOWN_TOPIC_ID, null, topicId);
            }
            if (!visible(name)) return failed(ErrorCode.TOPIC_AUTHORIZATION_FAILED, name);
            const found = findOrCreateTopic(ctx.broker, name, req.allowAutoTopicCreation && (logs.topic(name) !== undefined || mayCreate(name)));
            return isTopicError(found) ? failed(found.errorCode, name) : describe(found);
          });
    return {
      throttleTimeMs: 0,
      brokers: cluster
        ? cluster.liveNodes().map((n) => ({ nodeId: n.nodeId, host: n.host, port: n.port, rack: null }))
        : [{ nodeId: node, host: config.advertisedHost, port: config.advertisedPort, rack: null }],
      clusterId: config.clusterId,
      controllerId: cluster ? cluster.controllerId() : node,
      topics,
      clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
      errorCode: 0,
    };
  },
});
