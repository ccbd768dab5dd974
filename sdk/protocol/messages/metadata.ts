/**
 * Metadata (key 3), versions 0-13, flexible from 9.
 * Version notes: v0 asks for every topic with an empty list (v1+: null); v4 adds the
 * auto-creation flag; v10 adds topic ids, and from v10 a requested topic may be named by id
 * alone (null name); v11 drops cluster authorized operations (DescribeCluster has them); v13
 * adds a top-level error code.
 */
import { array, bool, int16, int32, message, string, types, uuid, ZERO_UUID, type Out } from '../schema';

export const MetadataRequest = message({ name: 'MetadataRequest', apiKey: 3, versions: '0-13', flexible: '9+' }, {
  topics: array({ topicId: uuid('10+', { default: ZERO_UUID }), name: string('0+', { nullable: '10+' }) }, '0+', { nullable: '1+' }),
  allowAutoTopicCreation: bool('4+', { default: true }),
  includeClusterAuthorizedOperations: bool('8-10'),
  includeTopicAuthorizedOperations: bool('8+'),
});
export type MetadataRequest = Out<typeof MetadataRequest>;

/** Kafka's "not computed" value for authorized operations. */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

export const MetadataResponse = message({ name: 'MetadataResponse', apiKey: 3, versions: '0-13', flexible: '9+' }, {
  throttleTimeMs: int32('3+'),
  brokers: array({
    nodeId: int32(),
    host: string(),
    port: int32(),
    rack: string('1+', { nullable: '1+', default: null }),
  }),
  clusterId: string('2+', { nullable: '2+', default: null }),
  controllerId: int32('1+', { default: -1 }),
  topics: array({
    errorCode: int16(),
    name: string('0+', { nullable: '12+' }),
    topicId: uuid('10+'),
    isInternal: bool('1+', { default: false }),
    partitions: array({
      errorCode: int16(),
      partitionIndex: int32(),
      leaderId: int32(),
      leaderEpoch: int32('7+', { default: -1 }),
      replicaNodes: array(types.int32),
      isrNodes: array(types.int32),
      offlineReplicas: array(types.int32, '5+'),
    }),
    topicAuthorizedOperations: int32('8+', { default: AUTHORIZED_OPERATIONS_OMITTED }),
  }),
  clusterAuthorizedOperations: int32('8-10', { default: AUTHORIZED_OPERATIONS_OMITTED }),
  errorCode: int16('13+'),
});
export type MetadataResponse = Out<typeof MetadataResponse>;
export type MetadataTopic = MetadataResponse['topics'][number];
