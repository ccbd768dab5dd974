/**
 * InitProducerId (key 22), versions 0-5, flexible from 2.
 * Version notes: v3 lets a producer bump its own epoch (producer id and epoch in the request,
 * KIP-360); v4 allows PRODUCER_FENCED; v5 is v4 for transactions v2.
 */
import { int16, int32, int64, message, string, type Out } from '../schema';

export const InitProducerIdRequest = message({ name: 'InitProducerIdRequest', apiKey: 22, versions: '0-5', flexible: '2+' }, {
  transactionalId: string('0+', { nullable: '0+' }),
  transactionTimeoutMs: int32(),
  producerId: int64('3+', { default: -1 }),
  producerEpoch: int16('3+', { default: -1 }),
});
export type InitProducerIdRequest = Out<typeof InitProducerIdRequest>;

export const InitProducerIdResponse = message({ name: 'InitProducerIdResponse', apiKey: 22, versions: '0-5', flexible: '2+' }, {
  throttleTimeMs: int32(),
  errorCode: int16(),
  producerId: int64('0+', { default: -1 }),
  producerEpoch: int16(),
});
export type InitProducerIdResponse = Out<typeof InitProducerIdResponse>;
