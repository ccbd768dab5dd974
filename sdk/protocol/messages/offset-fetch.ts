/**
 * OffsetFetch (key 9), versions 0-5 (flexible from 6, not advertised).
 *
 * OffsetFetchRequest => group_id:string [topics: name:string [partition_indexes:int32]]
 *   (topics nullable from v2: null = every partition the group committed)
 * OffsetFetchResponse => throttle_time_ms:int32 (v3+)
 *   [topics: name:string
 *     [partitions: partition_index:int32 committed_offset:int64 committed_leader_epoch:int32 (v5+)
 *       metadata:nullable_string error_code:int16]]
 *   error_code:int16 (v2+)
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export interface OffsetFetchRequest {
  groupId: string;
  topics: Array<{ name: string; partitionIndexes: number[] }> | null;
}
export interface OffsetFetchResponsePartition {
  partitionIndex: number;
  /** -1 when the group committed nothing for the partition. */
  committedOffset: number;
  committedLeaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}
export interface OffsetFetchResponse {
  throttleTimeMs: number;
  topics: Array<{ name: string; partitions: OffsetFetchResponsePartition[] }>;
  errorCode: number;
}

const topicEntry = (r: Reader) => ({ name: r.string(), partitionIndexes: r.array((r) => r.int32()) });

export function decodeOffsetFetchRequest(r: Reader, version: number): OffsetFetchRequest {
  const groupId = r.string();
  const topics = version >= 2 ? r.nullableArray(topicEntry) : r.array(topicEntry);
  return { groupId, topics };
}
export function encodeOffsetFetchRequest(w: Writer, req: OffsetFetchRequest, version: number): void {
  w.string(req.groupId);
  const item = (w: Writer, t: { name: string; partitionIndexes: number[] }) => void w.string(t.name).array(t.partitionIndexes, (w, p) => void w.int32(p));
  if (version >= 2) w.nullableArray(req.topics, item);
  else w.array(req.topics ?? [], item);
}
export function encodeOffsetFetchResponse(w: Writer, res: OffsetFetchResponse, version: number): void {
  if (version >= 3) w.int32(res.throttleTimeMs);
  w.array(res.topics, (w, t) => {
    w.string(t.name);
    w.array(t.partitions, (w, p) => {
      w.int32(p.partitionIndex).int64(p.committedOffset);
      if (version >= 5) w.int32(p.committedLeaderEpoch);
      w.nullableString(p.metadata).int16(p.errorCode);
    });
  });
  if (version >= 2) w.int16(res.errorCode);
}
export function decodeOffsetFetchResponse(r: Reader, version: number): OffsetFetchResponse {
  const throttleTimeMs = version >= 3 ? r.int32() : 0;
  const topics = r.array((r) => ({
    name: r.string(),
    partitions: r.array((r) => ({
      partitionIndex: r.int32(),
      committedOffset: r.int64(),
      committedLeaderEpoch: version >= 5 ? r.int32() : -1,
      metadata: r.nullableString(),
      errorCode: r.int16(),
    })),
  }));
  const errorCode = version >= 2 ? r.int16() : 0;
  return { throttleTimeMs, topics, errorCode };
}
