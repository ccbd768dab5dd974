/**
 * Just enough of record batch v2 for storage: header fields by position, and a record walk used
 * only by timestamp lookups. Appends and reads never look past the 61-byte batch header.
 *
 *   baseOffset int64 @0, batchLength int32 @8 (bytes after this field), partitionLeaderEpoch
 *   int32 @12, magic int8 @16, crc uint32 @17 (CRC-32C of bytes 21..end), attributes int16 @21,
 *   lastOffsetDelta int32 @23, baseTimestamp int64 @27, maxTimestamp int64 @35, producerId int64
 *   @43, producerEpoch int16 @51, baseSequence int32 @53, recordCount int32 @57, records @61
 */
import { gunzipSync } from 'zlib';
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

const COMPRESSION_MASK = 0x07;
const LOG_APPEND_TIME_FLAG = 0x08;
const CONTROL_FLAG = 0x20;

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
 * The first record of the batch at `at` whose timestamp is >= `target`, or null when none is.
 * Uncompressed and gzip batches are walked record by record. Snappy, LZ4 and zstd cannot be
 * decoded with Node's own zlib, so for them the answer is the batch's base offset with its max
 * timestamp: clients fetching from there receive the whole batch and skip nothing they need.
 */
export function firstRecordAtOrAfter(buf: Buffer, at: number, target: number): { offset: number; timestamp: number } | null {
  const size = batchSizeAt(buf, at);
  const baseOffset = readInt64(buf, at + OFF_BASE_OFFSET);
  const maxTimestamp = readInt64(buf, at + OFF_MAX_TIMESTAMP);
  if (maxTimestamp < target) return null;
  const attributes = buf.readInt16BE(at + OFF_ATTRIBUTES);
  // With LogAppendTime every record carries the batch's max timestamp.
  if (attributes & LOG_APPEND_TIME_FLAG) return { offset: baseOffset, timestamp: maxTimestamp };
  const codec = attributes & COMPRESSION_MASK;
  let records: Buffer;
  if (codec === 0) records = buf.subarray(at + BATCH_HEADER_SIZE, at + size);
  else if (codec === 1) {
    try {
      records = gunzipSync(buf.subarray(at + BATCH_HEADER_SIZE, at + size));
    } catch {
      return { offset: baseOffset, timestamp: maxTimestamp };
    }
  } else return { offset: baseOffset, timestamp: maxTimestamp };
  const baseTimestamp = readInt64(buf, at + OFF_BASE_TIMESTAMP);
  const count = buf.readInt32BE(at + OFF_RECORD_COUNT);
  const r = new VarReader(records);
  for (let i = 0; i < count && r.pos < records.length; i++) {
    const length = r.varint();
    const next = r.pos + length;
    r.pos += 1; // record attributes
    const timestamp = baseTimestamp + r.varlong();
    const offsetDelta = r.varint();
    if (timestamp >= target) return { offset: baseOffset + offsetDelta, timestamp };
    r.pos = next;
  }
  // The header promised a late enough record but the records disagree: fall back to the batch.
  return { offset: baseOffset, timestamp: maxTimestamp };
}

/** Zig-zag varints as records use them; varlongs are read into doubles (exact below 2^53). */
class VarReader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  varint(): number {
    let raw = 0;
    let shift = 0;
    for (;;) {
      const b = this.buf[this.pos++];
      raw |= (b & 0x7f) << shift;
      if (b < 0x80 || shift >= 28) break;
      shift += 7;
    }
    return (raw >>> 1) ^ -(raw & 1);
  }

  varlong(): number {
    let raw = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.buf[this.pos++];
      raw += (b & 0x7f) * mul;
      if (b < 0x80) break;
      mul *= 128;
    }
    return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
  }
}
