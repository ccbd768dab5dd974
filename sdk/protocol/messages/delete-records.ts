/**
 * DeleteRecords (key 21), versions 0-2, flexible from 2. Offset -1 means the high watermark.
 */
import { array, int16, int32, int64, message, string, type Out } from '../schema';

export const DeleteRecordsRequest = message({ name: 'DeleteRecordsRequest', apiKey: 21, versions: '0-2', flexible: '2+' }, {
  topics: array({ name: string(), partitions: array({ partitionIndex: int32(), offset: int64() }) }),
  timeoutMs: int32(),
});
export type DeleteRecordsRequest = Out<typeof DeleteRecordsRequest>;

export const DeleteRecordsResponse = message({ name: 'DeleteRecordsResponse', apiKey: 21, versions: '0-2', flexible: '2+' }, {
  throttleTimeMs: int32(),
  topics: array({ name: string(), partitions: array({ partitionIndex: int32(), lowWatermark: int64(), errorCode: int16() }) }),
});
export type DeleteRecordsResponse = Out<typeof DeleteRecordsResponse>;
