/**
 * DescribeCluster (key 60), versions 0-2, flexible in all.
 * Version notes: v1 adds the endpoint type (1 brokers, 2 controllers); v2 fenced brokers.
 */
import { array, bool, int16, int32, int8, message, string, type Out } from '../schema';
import { AUTHORIZED_OPERATIONS_OMITTED } from './metadata';

export const EndpointType = { BROKERS: 1, CONTROLLERS: 2 } as const;

export const DescribeClusterRequest = message({ name: 'DescribeClusterRequest', apiKey: 60, versions: '0-2', flexible: '0+' }, {
  includeClusterAuthorizedOperations: bool(),
  endpointType: int8('1+', { default: EndpointType.BROKERS }),
  includeFencedBrokers: bool('2+', { default: false }),
});
export type DescribeClusterRequest = Out<typeof DescribeClusterRequest>;

export const DescribeClusterResponse = message({ name: 'DescribeClusterResponse', apiKey: 60, versions: '0-2', flexible: '0+' }, {
  throttleTimeMs: int32(),
  errorCode: int16(),
  errorMessage: string('0+', { nullable: '0+', default: null }),
  endpointType: int8('1+', { default: EndpointType.BROKERS }),
  clusterId: string(),
  controllerId: int32('0+', { default: -1 }),
  brokers: array({
    brokerId: int32(),
    host: string(),
    port: int32(),
    rack: string('0+', { nullable: '0+', default: null }),
    isFenced: bool('2+', { default: false }),
  }),
  clusterAuthorizedOperations: int32('0+', { default: AUTHORIZED_OPERATIONS_OMITTED }),
});
export type DescribeClusterResponse = Out<typeof DescribeClusterResponse>;
