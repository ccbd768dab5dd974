/**
 * Fetch (key 1), versions 4-11 advertised (flexible from 12); the codec also reads v2-3.
 *
 * FetchRequest => replica_id:int32 max_wait_ms:int32 min_bytes:int32 max_bytes:int32 (v3+)
 *   isolation_level:int8 (v4+) session_id:int32 (v7+) session_epoch:int32 (v7+)
 *   [topics: topic:string [partitions: partition:int32 current_leader_epoch:int32 (v9+)
 *     fetch_offset:int64 log_start_offset:int64 (v5+) partition_max_bytes:int32]]
 *   [forgotten_topics_data: topic:string [partitions:int32]] (v7+)
 *   rack_id:string (v11+)
 * FetchResponse => throttle_time_ms:int32 error_code:int16 (v7+) session_id:int32 (v7+)
 *   [responses: topic:string [partitions: partition_index:int32 error_code:int16
 *     high_watermark:int64 last_stable_offset:int64 (v4+) log_start_offset:int64 (v5+)
 *     [aborted_transactions: producer_id:int64 first_offset:int64] (nullable, v4+)
 *     preferred_read_replica:int32 (v11+) records:RECORDS]]
 * Record sets are written by reference (no copy of stored batches).
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export interface FetchPartitionRequest {
  partition: number;
  currentLeaderEpoch: number;
  fetchOffset: number;
  logStartOffset: number;
  partitionMaxBytes: number;
}
export interface FetchRequest {
  replicaId: number;
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  isolationLevel: number;
  sessionId: number;
  sessionEpoch: number;
  topics: Array<{ topic: string; partitions: FetchPartitionRequest[] }>;
  forgottenTopics: Array<{ topic: string; partitions: number[] }>;
  rackId: string;
}
export interface FetchPartitionResponse {
  partitionIndex: number;
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  abortedTransactions: Array<{ producerId: number; firstOffset: number }> | null;
  preferredReadReplica: number;
  records: Buffer | null;
}
export interface FetchResponse {
  throttleTimeMs: number;
  errorCode: number;
  sessionId: number;
  responses: Array<{ topic: string; partitions: FetchPartitionResponse[] }>;
}

export function decodeFetchRequest(r: Reader, version: number): FetchRequest {
  const req: FetchRequest = {
    replicaId: r.int32(),
    maxWaitMs: r.int32(),
    minBytes: r.int32(),
    maxBytes: version >= 3 ? r.int32() : 0x7fffffff,
    isolationLevel: version >= 4 ? r.int8() : 0,
    sessionId: version >= 7 ? r.int32() : 0,
    sessionEpoch: version >= 7 ? r.int32() : -1,
    topics: r.array((r) => ({
      topic: r.string(),
      partitions: r.array((r) => ({
        partition: r.int32(),
        currentLeaderEpoch: version >= 9 ? r.int32() : -1,
        fetchOffset: r.int64(),
        logStartOffset: version >= 5 ? r.int64() : -1,
        partitionMaxBytes: r.int32(),
      })),
    })),
    forgottenTopics: version >= 7 ? r.array((r) => ({ topic: r.string(), partitions: r.array((r) => r.int32()) })) : [],
    rackId: version >= 11 ? r.string() : '',
  };
  return req;
}

export function encodeFetchRequest(w: Writer, req: FetchRequest, version: number): void {
  w.int32(req.replicaId).int32(req.maxWaitMs).int32(req.minBytes);
  if (version >= 3) w.int32(req.maxBytes);
  if (version >= 4) w.int8(req.isolationLevel);
  if (version >= 7) w.int32(req.sessionId).int32(req.sessionEpoch);
  w.array(req.topics, (w, t) => {
    w.string(t.topic);
    w.array(t.partitions, (w, p) => {
      w.int32(p.partition);
      if (version >= 9) w.int32(p.currentLeaderEpoch);
      w.int64(p.fetchOffset);
      if (version >= 5) w.int64(p.logStartOffset);
      w.int32(p.partitionMaxBytes);
    });
  });
  if (version >= 7) w.array(req.forgottenTopics, (w, t) => w.string(t.topic).array(t.partitions, (w, p) => w.int32(p)));
  if (version >= 11) w.string(req.rackId);
}

export function encodeFetchResponse(w: Writer, res: FetchResponse, version: number): void {
  w.int32(res.throttleTimeMs);
  if (version >= 7) w.int16(res.errorCode).int32(res.sessionId);
  w.array(res.responses, (w, t) => {
    w.string(t.topic);
    w.array(t.partitions, (w, p) => {
      w.int32(p.partitionIndex).int16(p.errorCode).int64(p.highWatermark);
      if (version >= 4) w.int64(p.lastStableOffset);
      if (version >= 5) w.int64(p.logStartOffset);
      if (version >= 4) w.nullableArray(p.abortedTransactions, (w, a) => w.int64(a.producerId).int64(a.firstOffset));
      if (version >= 11) w.int32(p.preferredReadReplica);
      w.nullableBytes(p.records);
    });
  });
}

export function decodeFetchResponse(r: Reader, version: number): FetchResponse {
  const throttleTimeMs = r.int32();
  const errorCode = version >= 7 ? r.int16() : 0;
  const sessionId = version >= 7 ? r.int32() : 0;
  const responses = r.array((r) => ({
    topic: r.string(),
    partitions: r.array((r) => ({
      partitionIndex: r.int32(),
      errorCode: r.int16(),
      highWatermark: r.int64(),
      lastStableOffset: version >= 4 ? r.int64() : -1,
      logStartOffset: version >= 5 ? r.int64() : -1,
      abortedTransactions: version >= 4 ? r.nullableArray((r) => ({ producerId: r.int64(), firstOffset: r.int64() })) : null,
      preferredReadReplica: version >= 11 ? r.int32() : -1,
      records: r.nullableBytes(),
    })),
  }));
  return { throttleTimeMs, errorCode, sessionId, responses };
}
