/**
 * CreateTopics (key 19), versions 0-4 (flexible from 5, not advertised).
 *
 * CreateTopicsRequest => [topics: name:string num_partitions:int32 replication_factor:int16
 *     [assignments: partition_index:int32 [broker_ids:int32]]
 *     [configs: name:string value:nullable_string]]
 *   timeout_ms:int32 validate_only:bool (v1+)
 * CreateTopicsResponse => throttle_time_ms:int32 (v2+)
 *   [topics: name:string error_code:int16 error_message:nullable_string (v1+)]
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export interface CreatableTopic {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  assignments: Array<{ partitionIndex: number; brokerIds: number[] }>;
  configs: Array<{ name: string; value: string | null }>;
}
export interface CreateTopicsRequest {
  topics: CreatableTopic[];
  timeoutMs: number;
  validateOnly: boolean;
}
export interface CreateTopicsResponse {
  throttleTimeMs: number;
  topics: Array<{ name: string; errorCode: number; errorMessage: string | null }>;
}

export function decodeCreateTopicsRequest(r: Reader, version: number): CreateTopicsRequest {
  return {
    topics: r.array((r) => ({
      name: r.string(),
      numPartitions: r.int32(),
      replicationFactor: r.int16(),
      assignments: r.array((r) => ({ partitionIndex: r.int32(), brokerIds: r.array((r) => r.int32()) })),
      configs: r.array((r) => ({ name: r.string(), value: r.nullableString() })),
    })),
    timeoutMs: r.int32(),
    validateOnly: version >= 1 ? r.boolean() : false,
  };
}

export function encodeCreateTopicsRequest(w: Writer, req: CreateTopicsRequest, version: number): void {
  w.array(req.topics, (w, t) => {
    w.string(t.name).int32(t.numPartitions).int16(t.replicationFactor);
    w.array(t.assignments, (w, a) => w.int32(a.partitionIndex).array(a.brokerIds, (w, b) => w.int32(b)));
    w.array(t.configs, (w, c) => w.string(c.name).nullableString(c.value));
  });
  w.int32(req.timeoutMs);
  if (version >= 1) w.boolean(req.validateOnly);
}

export function encodeCreateTopicsResponse(w: Writer, res: CreateTopicsResponse, version: number): void {
  if (version >= 2) w.int32(res.throttleTimeMs);
  w.array(res.topics, (w, t) => {
    w.string(t.name).int16(t.errorCode);
    if (version >= 1) w.nullableString(t.errorMessage);
  });
}

export function decodeCreateTopicsResponse(r: Reader, version: number): CreateTopicsResponse {
  const throttleTimeMs = version >= 2 ? r.int32() : 0;
  const topics = r.array((r) => ({ name: r.string(), errorCode: r.int16(), errorMessage: version >= 1 ? r.nullableString() : null }));
  return { throttleTimeMs, topics };
}
