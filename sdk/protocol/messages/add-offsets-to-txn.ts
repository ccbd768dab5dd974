/**
 * AddOffsetsToTxn (key 25), versions 0-4, flexible from 3: adds a group's offsets topic
 * partition to a transaction before TxnOffsetCommit.
 */
import { int16, int32, int64, message, string, type Out } from '../schema';

export const AddOffsetsToTxnRequest = message({ name: 'AddOffsetsToTxnRequest', apiKey: 25, versions: '0-4', flexible: '3+' }, {
  transactionalId: string(),
  producerId: int64(),
  producerEpoch: int16(),
  groupId: string(),
});
export type AddOffsetsToTxnRequest = Out<typeof AddOffsetsToTxnRequest>;

export const AddOffsetsToTxnResponse = message({ name: 'AddOffsetsToTxnResponse', apiKey: 25, versions: '0-4', flexible: '3+' }, {
  throttleTimeMs: int32(),
  errorCode: int16(),
});
export type AddOffsetsToTxnResponse = Out<typeof AddOffsetsToTxnResponse>;
