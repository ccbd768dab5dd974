/**
 * ListOffsets (key 2), versions 0-5 (flexible from 6, not advertised).
 *
 * ListOffsetsRequest => replica_id:int32 isolation_level:int8 (v2+)
 *   [topics: name:string [partitions: partition_index:int32 current_leader_epoch:int32 (v4+)
 *     timestamp:int64 max_num_offsets:int32 (v0 only)]]
 * ListOffsetsResponse => throttle_time_ms:int32 (v2+)
 *   [topics: name:string [partitions: partition_index:int32 error_code:int16
 *     old_style_offsets:[int64] (v0 only) timestamp:int64 (v1+) offset:int64 (v1+) leader_epoch:int32 (v4+)]]
 * Timestamps: -1 latest, -2 earliest, otherwise the first offset with a timestamp >= it.
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';

export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;

export interface ListOffsetsRequest {
  replicaId: number;
  isolationLevel: number;
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; currentLeaderEpoch: number; timestamp: number; maxNumOffsets: number }> }>;
}
export interface ListOffsetsPartitionResponse {
  partitionIndex: number;
  errorCode: number;
  oldStyleOffsets: number[];
  timestamp: number;
  offset: number;
  leaderEpoch: number;
}
export interface ListOffsetsResponse {
  throttleTimeMs: number;
  topics: Array<{ name: string; partitions: ListOffsetsPartitionResponse[] }>;
}

export function decodeListOffsetsRequest(r: Reader, version: number): ListOffsetsRequest {
  return {
    replicaId: r.int32(),
    isolationLevel: version >= 2 ? r.int8() : 0,
    topics: r.array((r) => ({
      name: r.string(),
      partitions: r.array((r) => ({
        partitionIndex: r.int32(),
        currentLeaderEpoch: version >= 4 ? r.int32() : -1,
        timestamp: r.int64(),
        maxNumOffsets: version === 0 ? r.int32() : 1,
      })),
    })),
  };
}

export function encodeListOffsetsRequest(w: Writer, req: ListOffsetsRequest, version: number): void {
  w.int32(req.replicaId);
  if (version >= 2) w.int8(req.isolationLevel);
  w.array(req.topics, (w, t) => {
    w.string(t.name);
    w.array(t.partitions, (w, p) => {
      w.int32(p.partitionIndex);
      if (version >= 4) w.int32(p.currentLeaderEpoch);
      w.int64(p.timestamp);
      if (version === 0) w.int32(p.maxNumOffsets);
    });
  });
}

export function encodeListOffsetsResponse(w: Writer, res: ListOffsetsResponse, version: number): void {
  if (version >= 2) w.int32(res.throttleTimeMs);
  w.array(res.topics, (w, t) => {
    w.string(t.name);
    w.array(t.partitions, (w, p) => {
      w.int32(p.partitionIndex).int16(p.errorCode);
      if (version === 0) w.array(p.oldStyleOffsets, (w, o) => w.int64(o));
      else w.int64(p.timestamp).int64(p.offset);
      if (version >= 4) w.int32(p.leaderEpoch);
    });
  });
}

export function decodeListOffsetsResponse(r: Reader, version: number): ListOffsetsResponse {
  const throttleTimeMs = version >= 2 ? r.int32() : 0;
  const topics = r.array((r) => ({
    name: r.string(),
    partitions: r.array((r) => {
      const partitionIndex = r.int32();
      const errorCode = r.int16();
      const oldStyleOffsets = version === 0 ? r.array((r) => r.int64()) : [];
      const timestamp = version >= 1 ? r.int64() : -1;
      const offset = version >= 1 ? r.int64() : -1;
      const leaderEpoch = version >= 4 ? r.int32() : -1;
      return { partitionIndex, errorCode, oldStyleOffsets, timestamp, offset, leaderEpoch };
    }),
  }));
  return { throttleTimeMs, topics };
}
