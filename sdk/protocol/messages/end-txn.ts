/**
 * EndTxn (key 26), versions 0-5, flexible from 3: commits or aborts a transaction.
 * Version notes: v5 (transactions v2, KIP-890) answers the producer id and epoch to use next.
 */
import { bool, int16, int32, int64, message, string, type Out } from '../schema';

export const EndTxnRequest = message({ name: 'EndTxnRequest', apiKey: 26, versions: '0-5', flexible: '3+' }, {
  transactionalId: string(),
  producerId: int64(),
  producerEpoch: int16(),
  committed: bool(),
});
export type EndTxnRequest = Out<typeof EndTxnRequest>;

export const EndTxnResponse = message({ name: 'EndTxnResponse', apiKey: 26, versions: '0-5', flexible: '3+' }, {
  throttleTimeMs: int32(),
  errorCode: int16(),
  producerId: int64('5+', { default: -1 }),
  producerEpoch: int16('5+', { default: -1 }),
});
export type EndTxnResponse = Out<typeof EndTxnResponse>;
