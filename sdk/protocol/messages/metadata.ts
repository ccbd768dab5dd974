/**
 * Metadata (key 3), versions 0-8 (flexible from 9, not advertised).
 *
 * MetadataRequest => [topics:name:string] (v0: empty = all; v1+: nullable, null = all)
 *   allow_auto_topic_creation:bool (v4+)
 *   include_cluster_authorized_operations:bool include_topic_authorized_operations:bool (v8+)
 * MetadataResponse => throttle_time_ms:int32 (v3+)
 *   [brokers: node_id:int32 host:string port:int32 rack:nullable_string (v1+)]
 *   cluster_id:nullable_string (v2+) controller_id:int32 (v1+)
 *   [topics: error_code:int16 name:string is_internal:bool (v1+)
 *     [partitions: error_code:int16 partition_index:int32 leader_id:int32 leader_epoch:int32 (v7+)
 *       [replica_nodes:int32] [isr_nodes:int32] [offline_replicas:int32] (v5+)]
 *     topic_authorized_operations:int32 (v8+)]
 *   cluster_authorized_operations:int32 (v8+)
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export interface MetadataRequest {
  /** null = every topic */
  topics: string[] | null;
  allowAutoTopicCreation: boolean;
  includeClusterAuthorizedOperations: boolean;
  includeTopicAuthorizedOperations: boolean;
}
export interface MetadataBroker {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}
export interface MetadataPartition {
  errorCode: number;
  partitionIndex: number;
  leaderId: number;
  leaderEpoch: number;
  replicaNodes: number[];
  isrNodes: number[];
  offlineReplicas: number[];
}
export interface MetadataTopic {
  errorCode: number;
  name: string;
  isInternal: boolean;
  partitions: MetadataPartition[];
  topicAuthorizedOperations: number;
}
export interface MetadataResponse {
  throttleTimeMs: number;
  brokers: MetadataBroker[];
  clusterId: string | null;
  controllerId: number;
  topics: MetadataTopic[];
  clusterAuthorizedOperations: number;
}

const AUTH_OPS_UNKNOWN = -2147483648;
const int32 = (w: Writer, v: number) => void w.int32(v);

export function decodeMetadataRequest(r: Reader, version: number): MetadataRequest {
  let topics: string[] | null = r.nullableArray((r) => r.string());
  if (version === 0 && topics !== null && topics.length === 0) topics = null;
  const allowAutoTopicCreation = version >= 4 ? r.boolean() : true;
  const includeClusterAuthorizedOperations = version >= 8 ? r.boolean() : false;
  const includeTopicAuthorizedOperations = version >= 8 ? r.boolean() : false;
  return { topics, allowAutoTopicCreation, includeClusterAuthorizedOperations, includeTopicAuthorizedOperations };
}

export function encodeMetadataRequest(w: Writer, req: MetadataRequest, version: number): void {
  if (version === 0) w.array(req.topics ?? [], (w, t) => w.string(t));
  else w.nullableArray(req.topics, (w, t) => w.string(t));
  if (version >= 4) w.boolean(req.allowAutoTopicCreation);
  if (version >= 8) w.boolean(req.includeClusterAuthorizedOperations).boolean(req.includeTopicAuthorizedOperations);
}

export function encodeMetadataResponse(w: Writer, res: MetadataResponse, version: number): void {
  if (version >= 3) w.int32(res.throttleTimeMs);
  w.array(res.brokers, (w, b) => {
    w.int32(b.nodeId).string(b.host).int32(b.port);
    if (version >= 1) w.nullableString(b.rack);
  });
  if (version >= 2) w.nullableString(res.clusterId);
  if (version >= 1) w.int32(res.controllerId);
  w.array(res.topics, (w, t) => {
    w.int16(t.errorCode).string(t.name);
    if (version >= 1) w.boolean(t.isInternal);
    w.array(t.partitions, (w, p) => {
      w.int16(p.errorCode).int32(p.partitionIndex).int32(p.leaderId);
      if (version >= 7) w.int32(p.leaderEpoch);
      w.array(p.replicaNodes, int32).array(p.isrNodes, int32);
      if (version >= 5) w.array(p.offlineReplicas, int32);
    });
    if (version >= 8) w.int32(t.topicAuthorizedOperations);
  });
  if (version >= 8) w.int32(res.clusterAuthorizedOperations);
}

export function decodeMetadataResponse(r: Reader, version: number): MetadataResponse {
  const throttleTimeMs = version >= 3 ? r.int32() : 0;
  const brokers = r.array((r) => ({ nodeId: r.int32(), host: r.string(), port: r.int32(), rack: version >= 1 ? r.nullableString() : null }));
  const clusterId = version >= 2 ? r.nullableString() : null;
  const controllerId = version >= 1 ? r.int32() : -1;
  const topics = r.array((r) => {
    const errorCode = r.int16();
    const name = r.string();
    const isInternal = version >= 1 ? r.boolean() : false;
    const partitions = r.array((r) => ({
      errorCode: r.int16(),
      partitionIndex: r.int32(),
      leaderId: r.int32(),
      leaderEpoch: version >= 7 ? r.int32() : -1,
      replicaNodes: r.array((r) => r.int32()),
      isrNodes: r.array((r) => r.int32()),
      offlineReplicas: version >= 5 ? r.array((r) => r.int32()) : [],
    }));
    const topicAuthorizedOperations = version >= 8 ? r.int32() : AUTH_OPS_UNKNOWN;
    return { errorCode, name, isInternal, partitions, topicAuthorizedOperations };
  });
  const clusterAuthorizedOperations = version >= 8 ? r.int32() : AUTH_OPS_UNKNOWN;
  return { throttleTimeMs, brokers, clusterId, controllerId, topics, clusterAuthorizedOperations };
}
