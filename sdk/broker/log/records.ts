/**
 * The records inside a stored batch, as storage needs them: timestamps (MaxTimestamp and the
 * time index are computed from the records, as Kafka does, because a header's MaxTimestamp is
 * only the client's claim: sarama 1.22 sends -1), keys and tombstones (compaction), and the raw
 * bytes of each record (compaction copies kept records verbatim).
 *
 *   Record => length:varint attributes:int8 timestampDelta:varlong offsetDelta:varint
 *             keyLength:varint key valueLength:varint value headers:[Header]
 */
import {
  BATCH_HEADER_SIZE,
  COMPRESSION_MASK,
  LOG_APPEND_TIME_FLAG,
  OFF_ATTRIBUTES,
  OFF_BASE_OFFSET,
  OFF_BASE_TIMESTAMP,
  OFF_MAX_TIMESTAMP,
  OFF_RECORD_COUNT,
  batchSizeAt,
  readInt64,
} from './batch';
import { decompress, type Decompressed } from './codecs';

/** Largest decompressed record section storage will materialize for one batch. */
export const MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

/** Thrown when record bytes do not parse (lengths past the end, a count that does not match). */
export class MalformedRecords extends Error {
  constructor(why: string) {
    super(`malformed records: ${why}`);
    this.name = 'MalformedRecords';
  }
}

/** The record section of the batch at `at`, decompressed when needed (see codecs.ts for the answers). */
export function recordSection(buf: Buffer, at: number): Decompressed {
  const size = batchSizeAt(buf, at);
  const codec = buf.readInt16BE(at + OFF_ATTRIBUTES) & COMPRESSION_MASK;
  return decompress(codec, buf.subarray(at + BATCH_HEADER_SIZE, at + size), MAX_DECOMPRESSED_BYTES);
}

/** One record, reused across a walk (copy what you keep). Positions are within the record section. */
export interface RecordView {
  /** First byte of the length varint, and the end of the record. */
  start: number;
  end: number;
  timestampDelta: number;
  offsetDelta: number;
  keyStart: number;
  /** -1 for a null key. */
  keyLength: number;
  /** -1 for a null value (a tombstone). */
  valueLength: number;
}

/**
 * Visits the `count` records of a record section; `visit` returns true to stop early.
 * Throws MalformedRecords when the bytes do not hold exactly `count` well-formed records.
 */
export function walkRecords(records: Buffer, count: number, visit: (r: RecordView) => boolean | void): void {
  const r = new VarReader(records);
  const view: RecordView = { start: 0, end: 0, timestampDelta: 0, offsetDelta: 0, keyStart: 0, keyLength: -1, valueLength: -1 };
  for (let i = 0; i < count; i++) {
    if (r.pos >= records.length) throw new MalformedRecords(`${i} records found, the batch header says ${count}`);
    view.start = r.pos;
    const length = r.varint();
    const end = r.pos + length;
    if (length < 0 || end > records.length) throw new MalformedRecords(`record ${i} of length ${length} runs past the batch`);
    r.pos += 1; // attributes
    view.timestampDelta = r.varlong();
    view.offsetDelta = r.varint();
    view.keyLength = r.varint();
    view.keyStart = r.pos;
    if (view.keyLength > 0) r.pos += view.keyLength;
    view.valueLength = r.varint();
    if (r.pos > end || view.keyLength < -1 || view.valueLength < -1 || r.pos + Math.max(0, view.valueLength) > end) {
      throw new MalformedRecords(`record ${i} has fields past its length`);
    }
    view.end = end;
    r.pos = end;
    if (visit(view)) return;
  }
  if (r.pos !== records.length) throw new MalformedRecords(`${records.length - r.pos} bytes after the last of ${count} records`);
}

/**
 * The largest record timestamp of the batch at `at` (-1 without records), or null when the
 * records cannot be read here (codec unavailable or too large). Throws MalformedRecords or
 * CorruptCompression for bytes that are not valid records. This runs on every produced batch,
 * so it is one tight loop over the record bytes in place that reads only each record's length
 * and timestamp delta.
 */
export function maxRecordTimestamp(buf: Buffer, at: number): number | null {
  const size = batchSizeAt(buf, at);
  let records: Buffer = buf;
  let pos = at + BATCH_HEADER_SIZE;
  let end = at + size;
  if ((buf.readInt16BE(at + OFF_ATTRIBUTES) & COMPRESSION_MASK) !== 0) {
    const inflated = recordSection(buf, at);
    if (typeof inflated === 'string') return null;
    records = inflated;
    pos = 0;
    end = inflated.length;
  }
  const count = buf.readInt32BE(at + OFF_RECORD_COUNT);
  let maxDelta = -Infinity;
  for (let i = 0; i < count; i++) {
    if (pos >= end) throw new MalformedRecords(`${i} records found, the batch header says ${count}`);
    let b = records[pos++];
    let raw = b & 0x7f;
    for (let shift = 7; b & 0x80 && shift <= 28; shift += 7) {
      b = records[pos++];
      raw |= (b & 0x7f) << shift;
    }
    const length = (raw >>> 1) ^ -(raw & 1);
    const next = pos + length;
    if (length < 6 || next > end) throw new MalformedRecords(`record ${i} of length ${length} does not fit the batch`);
    b = records[pos + 1]; // after the attributes byte
    let delta: number;
    if (b < 0x80) delta = (b >>> 1) ^ -(b & 1);
    else {
      let p = pos + 2;
      let big = b & 0x7f;
      let mul = 128;
      do {
        b = records[p++];
        big += (b & 0x7f) * mul;
        mul *= 128;
      } while (b & 0x80 && mul < 2 ** 70 && p < next);
      delta = big % 2 === 0 ? big / 2 : -(big + 1) / 2;
    }
    if (delta > maxDelta) maxDelta = delta;
    pos = next;
  }
  if (pos !== end) throw new MalformedRecords(`${end - pos} bytes after the last of ${count} records`);
  return maxDelta === -Infinity ? -1 : readInt64(buf, at + OFF_BASE_TIMESTAMP) + maxDelta;
}

/**
 * The first record of the batch at `at` at or after `minOffset` whose timestamp is >= `target`,
 * or null when none is. When the records cannot be read (codec unavailable here), the answer
 * is the batch's first offset (at least `minOffset`) with its max timestamp: clients fetching
 * from there receive the whole batch and skip nothing they need.
 */
export function firstRecordAtOrAfter(buf: Buffer, at: number, target: number, minOffset = 0): { offset: number; timestamp: number } | null {
  const baseOffset = readInt64(buf, at + OFF_BASE_OFFSET);
  const maxTimestamp = readInt64(buf, at + OFF_MAX_TIMESTAMP);
  if (maxTimestamp < target) return null;
  const whole = { offset: Math.max(baseOffset, minOffset), timestamp: maxTimestamp };
  // With LogAppendTime every record carries the batch's max timestamp.
  if (buf.readInt16BE(at + OFF_ATTRIBUTES) & LOG_APPEND_TIME_FLAG) return whole;
  let records: Decompressed;
  try {
    records = recordSection(buf, at);
  } catch {
    return whole;
  }
  if (typeof records === 'string') return whole;
  const baseTimestamp = readInt64(buf, at + OFF_BASE_TIMESTAMP);
  let found: { offset: number; timestamp: number } | null = null;
  try {
    walkRecords(records, buf.readInt32BE(at + OFF_RECORD_COUNT), (rec) => {
      const timestamp = baseTimestamp + rec.timestampDelta;
      const offset = baseOffset + rec.offsetDelta;
      if (timestamp < target || offset < minOffset) return false;
      found = { offset, timestamp };
      return true;
    });
  } catch {
    return whole; // stored before records were validated: answer with the whole batch
  }
  return found as { offset: number; timestamp: number } | null;
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
