/**
 * InitProducerId (key 22), versions 0-1 (flexible from 2, not advertised).
 *
 * InitProducerIdRequest => transactional_id:nullable_string transaction_timeout_ms:int32
 * InitProducerIdResponse => throttle_time_ms:int32 error_code:int16 producer_id:int64 producer_epoch:int16
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export interface InitProducerIdRequest {
  transactionalId: string | null;
  transactionTimeoutMs: number;
}
export interface InitProducerIdResponse {
  throttleTimeMs: number;
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

export function decodeInitProducerIdRequest(r: Reader, _version: number): InitProducerIdRequest {
  return { transactionalId: r.nullableString(), transactionTimeoutMs: r.int32() };
}
export function encodeInitProducerIdRequest(w: Writer, req: InitProducerIdRequest, _version: number): void {
  w.nullableString(req.transactionalId).int32(req.transactionTimeoutMs);
}
export function encodeInitProducerIdResponse(w: Writer, res: InitProducerIdResponse, _version: number): void {
  w.int32(res.throttleTimeMs).int16(res.errorCode).int64(res.producerId).int16(res.producerEpoch);
}
export function decodeInitProducerIdResponse(r: Reader, _version: number): InitProducerIdResponse {
  return { throttleTimeMs: r.int32(), errorCode: r.int16(), producerId: r.int64(), producerEpoch: r.int16() };
}
