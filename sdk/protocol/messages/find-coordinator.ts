/**
 * FindCoordinator (key 10), versions 0-6, flexible from 3.
 * Version notes: v1 adds the key type (0 group, 1 transaction); v4 batches keys
 * (coordinator_keys in, coordinators[] out, replacing the single key and answer); v6 adds key
 * type 2 (share groups).
 */
import { array, int16, int32, int8, message, string, types, type Out } from '../schema';

export const COORDINATOR_GROUP = 0;
export const COORDINATOR_TRANSACTION = 1;

export const FindCoordinatorRequest = message({ name: 'FindCoordinatorRequest', apiKey: 10, versions: '0-6', flexible: '3+' }, {
  key: string('0-3'),
  keyType: int8('1+', { default: 0 }),
  coordinatorKeys: array(types.string, '4+'),
});
export type FindCoordinatorRequest = Out<typeof FindCoordinatorRequest>;

export const FindCoordinatorResponse = message({ name: 'FindCoordinatorResponse', apiKey: 10, versions: '0-6', flexible: '3+' }, {
  throttleTimeMs: int32('1+'),
  errorCode: int16('0-3'),
  errorMessage: string('1-3', { nullable: '1-3' }),
  nodeId: int32('0-3'),
  host: string('0-3'),
  port: int32('0-3'),
  coordinators: array(
    {
      key: string('4+'),
      nodeId: int32('4+'),
      host: string('4+'),
      port: int32('4+'),
      errorCode: int16('4+'),
      errorMessage: string('4+', { nullable: '4+' }),
    },
    '4+',
  ),
});
export type FindCoordinatorResponse = Out<typeof FindCoordinatorResponse>;
