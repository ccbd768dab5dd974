/**
 * Just enough of record batch v2 for storage: header fields by position. The records inside
 * are read by records.ts (timestamps on append, lookups by time, compaction).
 *
 *   baseOffset int64 @0, batchLength int32 @8 (bytes after this field), partitionLeaderEpoch
 *   int32 @12, magic int8 @16, crc uint32 @17 (CRC-32C of bytes 21..end), attributes int16 @21,
 *   lastOffsetDelta int32 @23, baseTimestamp int64 @27, maxTimestamp int64 @35, producerId int64
 *   @43, producerEpoch int16 @51, baseSequence int32 @53, recordCount int32 @57, records @61
 */
import { crc32c } from '../../protocol/crc32c';

export const BATCH_HEADER_SIZE = 61;
/** baseOffset + batchLength: the bytes not counted by batchLength. */
export const LOG_OVERHEAD = 12;
export const OFF_BASE_OFFSET = 0;
export const OFF_LENGTH = 8;
export const OFF_LEADER_EPOCH = 12;
export const OFF_MAGIC = 16;
export const OFF_CRC = 17;
export const OFF_ATTRIBUTES = 21;
export const OFF_LAST_OFFSET_DELTA = 23;
export const OFF_BASE_TIMESTAMP = 27;
export const OFF_MAX_TIMESTAMP = 35;
export const OFF_RECORD_COUNT = 57;

export const COMPRESSION_MASK = 0x07;
export const LOG_APPEND_TIME_FLAG = 0x08;
/** Attribute bits: a transactional batch, a control batch (transaction markers). */
export const TRANSACTIONAL_FLAG = 0x10;
export const CONTROL_FLAG = 0x20;

/** int64 as a JS number (exact up to 2^53, which offsets and millisecond timestamps stay under). */
export function readInt64(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * 4294967296 + buf.readUInt32BE(at + 4);
}

export function writeInt64(buf: Buffer, at: number, value: number): void {
  const hi = Math.floor(value / 4294967296);
  buf.writeInt32BE(hi | 0, at);
  buf.writeUInt32BE(value - hi * 4294967296, at + 4);
}

/** Total bytes of the batch starting at `at`, or -1 when fewer than 12 bytes are left. */
export function batchSizeAt(buf: Buffer, at: number, end = buf.length): number {
  if (end - at < LOG_OVERHEAD) return -1;
  return LOG_OVERHEAD + buf.readInt32BE(at + OFF_LENGTH);
}

/** Why the batch at `at` is not a well-formed, complete v2 batch, or null when it is. */
export function checkBatch(buf: Buffer, at: number, end: number, verifyCrc: boolean): string | null {
  if (end - at < BATCH_HEADER_SIZE) return 'truncated header';
  const size = batchSizeAt(buf, at, end);
  if (size < BATCH_HEADER_SIZE) return `batch length ${size - LOG_OVERHEAD} is below the minimum`;
  if (at + size > end) return 'truncated batch';
  if (buf[at + OFF_MAGIC] !== 2) return `magic ${buf[at + OFF_MAGIC]} is not 2`;
  if (buf.readInt32BE(at + OFF_LAST_OFFSET_DELTA) < 0) return 'negative lastOffsetDelta';
  if (verifyCrc && crc32c(buf, at + OFF_ATTRIBUTES, at + size) !== buf.readUInt32BE(at + OFF_CRC)) return 'CRC mismatch';
  return null;
}

export function isControlBatch(buf: Buffer, at: number): boolean {
  return (buf.readInt16BE(at + OFF_ATTRIBUTES) & CONTROL_FLAG) !== 0;
}

/**
 * Sets the batch's timestamp type (LogAppendTime or CreateTime) and MaxTimestamp, then its
 * CRC-32C, which covers both; as Kafka's broker does when it recomputes or stamps them.
 */
export function setMaxTimestamp(buf: Buffer, at: number, logAppendTime: boolean, maxTimestamp: number): void {
  const attributes = buf.readInt16BE(at + OFF_ATTRIBUTES);
  const wanted = logAppendTime ? attributes | LOG_APPEND_TIME_FLAG : attributes & ~LOG_APPEND_TIME_FLAG;
  if (wanted === attributes && readInt64(buf, at + OFF_MAX_TIMESTAMP) === maxTimestamp) return;
  buf.writeInt16BE(wanted, at + OFF_ATTRIBUTES);
  writeInt64(buf, at + OFF_MAX_TIMESTAMP, maxTimestamp);
  buf.writeUInt32BE(crc32c(buf, at + OFF_ATTRIBUTES, at + batchSizeAt(buf, at)), at + OFF_CRC);
}
