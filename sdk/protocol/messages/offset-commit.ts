/**
 * OffsetCommit (key 8), versions 0-7 (flexible from 8, not advertised).
 *
 * OffsetCommitRequest => group_id:string generation_id:int32 (v1+) member_id:string (v1+)
 *   group_instance_id:nullable_string (v7+) retention_time_ms:int64 (v2-4)
 *   [topics: name:string
 *     [partitions: partition_index:int32 committed_offset:int64 committed_leader_epoch:int32 (v6+)
 *       commit_timestamp:int64 (v1 only) committed_metadata:nullable_string]]
 * OffsetCommitResponse => throttle_time_ms:int32 (v3+)
 *   [topics: name:string [partitions: partition_index:int32 error_code:int16]]
 *
 * v0 has no generation or member: it decodes as a standalone commit (generation -1, member "").
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export interface OffsetCommitRequestPartition {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  /** v1 only; -1 elsewhere. */
  commitTimestamp: number;
  committedMetadata: string | null;
}
export interface OffsetCommitRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** v2-4; -1 elsewhere. The broker ignores it (retention is a broker setting). */
  retentionTimeMs: number;
  topics: Array<{ name: string; partitions: OffsetCommitRequestPartition[] }>;
}
export interface OffsetCommitResponse {
  throttleTimeMs: number;
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }>;
}

export function decodeOffsetCommitRequest(r: Reader, version: number): OffsetCommitRequest {
  const groupId = r.string();
  const generationId = version >= 1 ? r.int32() : -1;
  const memberId = version >= 1 ? r.string() : '';
  const groupInstanceId = version >= 7 ? r.nullableString() : null;
  const retentionTimeMs = version >= 2 && version <= 4 ? r.int64() : -1;
  const topics = r.array((r) => ({
    name: r.string(),
    partitions: r.array((r) => ({
      partitionIndex: r.int32(),
      committedOffset: r.int64(),
      committedLeaderEpoch: version >= 6 ? r.int32() : -1,
      commitTimestamp: version === 1 ? r.int64() : -1,
      committedMetadata: r.nullableString(),
    })),
  }));
  return { groupId, generationId, memberId, groupInstanceId, retentionTimeMs, topics };
}
export function encodeOffsetCommitRequest(w: Writer, req: OffsetCommitRequest, version: number): void {
  w.string(req.groupId);
  if (version >= 1) w.int32(req.generationId).string(req.memberId);
  if (version >= 7) w.nullableString(req.groupInstanceId);
  if (version >= 2 && version <= 4) w.int64(req.retentionTimeMs);
  w.array(req.topics, (w, t) => {
    w.string(t.name);
    w.array(t.partitions, (w, p) => {
      w.int32(p.partitionIndex).int64(p.committedOffset);
      if (version >= 6) w.int32(p.committedLeaderEpoch);
      if (version === 1) w.int64(p.commitTimestamp);
      w.nullableString(p.committedMetadata);
    });
  });
}
export function encodeOffsetCommitResponse(w: Writer, res: OffsetCommitResponse, version: number): void {
  if (version >= 3) w.int32(res.throttleTimeMs);
  w.array(res.topics, (w, t) => {
    w.string(t.name);
    w.array(t.partitions, (w, p) => void w.int32(p.partitionIndex).int16(p.errorCode));
  });
}
export function decodeOffsetCommitResponse(r: Reader, version: number): OffsetCommitResponse {
  const throttleTimeMs = version >= 3 ? r.int32() : 0;
  const topics = r.array((r) => ({ name: r.string(), partitions: r.array((r) => ({ partitionIndex: r.int32(), errorCode: r.int16() })) }));
  return { throttleTimeMs, topics };
}
