/**
 * Produce (key 0), versions 0-8 (flexible from 9, not advertised).
 *
 * ProduceRequest => transactional_id:nullable_string (v3+) acks:int16 timeout_ms:int32
 *   [topic_data: name:string [partition_data: index:int32 records:RECORDS(nullable bytes)]]
 * ProduceResponse => [responses: name:string
 *     [partition_responses: index:int32 error_code:int16 base_offset:int64
 *       log_append_time_ms:int64 (v2+) log_start_offset:int64 (v5+)
 *       [record_errors: batch_index:int32 batch_index_error_message:nullable_string] (v8+)
 *       error_message:nullable_string (v8+)]]
 *   throttle_time_ms:int32 (v1+)
 * Record sets stay views into the request frame; they are never copied here.
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export interface ProduceRequest {
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  topics: Array<{ name: string; partitions: Array<{ index: number; records: Buffer | null }> }>;
}
export interface ProducePartitionResponse {
  index: number;
  errorCode: number;
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
  recordErrors: Array<{ batchIndex: number; message: string | null }>;
  errorMessage: string | null;
}
export interface ProduceResponse {
  topics: Array<{ name: string; partitions: ProducePartitionResponse[] }>;
  throttleTimeMs: number;
}

export function decodeProduceRequest(r: Reader, version: number): ProduceRequest {
  return {
    transactionalId: version >= 3 ? r.nullableString() : null,
    acks: r.int16(),
    timeoutMs: r.int32(),
    topics: r.array((r) => ({ name: r.string(), partitions: r.array((r) => ({ index: r.int32(), records: r.nullableBytes() })) })),
  };
}

export function encodeProduceRequest(w: Writer, req: ProduceRequest, version: number): void {
  if (version >= 3) w.nullableString(req.transactionalId);
  w.int16(req.acks).int32(req.timeoutMs);
  w.array(req.topics, (w, t) => w.string(t.name).array(t.partitions, (w, p) => w.int32(p.index).nullableBytes(p.records)));
}

export function encodeProduceResponse(w: Writer, res: ProduceResponse, version: number): void {
  w.array(res.topics, (w, t) => {
    w.string(t.name);
    w.array(t.partitions, (w, p) => {
      w.int32(p.index).int16(p.errorCode).int64(p.baseOffset);
      if (version >= 2) w.int64(p.logAppendTimeMs);
      if (version >= 5) w.int64(p.logStartOffset);
      if (version >= 8) w.array(p.recordErrors, (w, e) => w.int32(e.batchIndex).nullableString(e.message)).nullableString(p.errorMessage);
    });
  });
  if (version >= 1) w.int32(res.throttleTimeMs);
}

export function decodeProduceResponse(r: Reader, version: number): ProduceResponse {
  const topics = r.array((r) => ({
    name: r.string(),
    partitions: r.array((r) => {
      const p: ProducePartitionResponse = {
        index: r.int32(),
        errorCode: r.int16(),
        baseOffset: r.int64(),
        logAppendTimeMs: version >= 2 ? r.int64() : -1,
        logStartOffset: version >= 5 ? r.int64() : -1,
        recordErrors: [],
        errorMessage: null,
      };
      if (version >= 8) {
        p.recordErrors = r.array((r) => ({ batchIndex: r.int32(), message: r.nullableString() }));
        p.errorMessage = r.nullableString();
      }
      return p;
    }),
  }));
  return { topics, throttleTimeMs: version >= 1 ? r.int32() : 0 };
}
