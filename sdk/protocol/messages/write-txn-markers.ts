/**
 * WriteTxnMarkers (key 27), versions 0-1, flexible from 1: the transaction coordinator asks a
 * partition leader to write commit/abort markers (broker to broker).
 */
import { array, bool, int16, int32, int64, message, string, types, type Out } from '../schema';

export const WriteTxnMarkersRequest = message({ name: 'WriteTxnMarkersRequest', apiKey: 27, versions: '0-1', flexible: '1+' }, {
  markers: array({
    producerId: int64(),
    producerEpoch: int16(),
    transactionResult: bool(),
    topics: array({ name: string(), partitionIndexes: array(types.int32) }),
    coordinatorEpoch: int32(),
  }),
});
export type WriteTxnMarkersRequest = Out<typeof WriteTxnMarkersRequest>;

export const WriteTxnMarkersResponse = message({ name: 'WriteTxnMarkersResponse', apiKey: 27, versions: '0-1', flexible: '1+' }, {
  markers: array({
    producerId: int64(),
    topics: array({ name: string(), partitions: array({ partitionIndex: int32(), errorCode: int16() }) }),
  }),
});
export type WriteTxnMarkersResponse = Out<typeof WriteTxnMarkersResponse>;
