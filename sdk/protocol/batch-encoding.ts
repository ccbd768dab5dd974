/**
 * kafkalab's one record-batch encoder (`RecordBatchWriter`: magic 2, uncompressed, written
 * straight into one growing Buffer, no object or Encoder per record) and what it needs: zig-zag
 * varints on plain numbers, 64-bit integers from numbers, and the Java client's key
 * partitioner. The MQTT bridge, tests and tools (`encodeRecordBatch`) and, copied verbatim at
 * export time, exported scoring apps all encode through it, so this file imports only crc32c.ts.
 *
 * RecordBatch => BaseOffset int64 | BatchLength int32 | PartitionLeaderEpoch int32 | Magic int8 |
 *   CRC uint32 (CRC-32C of Attributes..end) | Attributes int16 | LastOffsetDelta int32 |
 *   BaseTimestamp int64 | MaxTimestamp int64 | ProducerId int64 | ProducerEpoch int16 |
 *   BaseSequence int32 | [Record] (int32 count)
 * Record => Length varint | Attributes int8 | TimestampDelta varlong | OffsetDelta varint |
 *   Key varint-bytes | Value varint-bytes | [Header] (varint count)
 * Header => Key varint-string | Value varint-bytes
 */
import { crc32c } from './crc32c';

/** Bytes of `n` as a zig-zag varint (or varlong: arithmetic keeps values beyond 32 bits exact). */
export function varintSize(n: number): number {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  let size = 1;
  while (z >= 128) {
    z = Math.floor(z / 128);
    size++;
  }
  return size;
}

/** Writes `n` as a zig-zag varint at `at`; returns the position after it. */
export function writeVarint(b: Uint8Array, at: number, n: number): number {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  while (z >= 128) {
    b[at++] = (z % 128) | 128;
    z = Math.floor(z / 128);
  }
  b[at++] = z;
  return at;
}

/** A safe integer (epoch ms, -1) as a big-endian int64, without BigInt. */
export function writeInt64(b: Buffer, at: number, v: number): void {
  b.writeInt32BE(Math.floor(v / 0x100000000), at);
  b.writeUInt32BE(v >>> 0, at + 4);
}

/** The Java client's murmur2 (kafkajs's DefaultPartitioner): a key lands where a Java producer would put it. */
export function murmur2(data: Uint8Array): number {
  const m = 0x5bd1e995;
  const len = data.length;
  let h = 0x9747b28c ^ len;
  const whole = len & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    h = Math.imul(h, m) ^ Math.imul(k, m);
  }
  const tail = len & 3;
  if (tail === 3) h ^= data[whole + 2] << 16;
  if (tail >= 2) h ^= data[whole + 1] << 8;
  if (tail >= 1) h = Math.imul(h ^ data[whole], m);
  h ^= h >>> 13;
  h = Math.imul(h, m);
  return h ^ (h >>> 15);
}

/** The partition of a keyed record among `partitions`, as the Java client and kafkajs choose it. */
export function keyPartition(key: Uint8Array, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}

const HEADER_BYTES = 61;
/** The CRC-32C covers attributes (byte 21) to the end. */
const CRC_FROM = 21;

/** A record header as raw bytes (a null value is written as length -1). */
export type HeaderBytes = readonly [Uint8Array, Uint8Array | null];

export interface BatchIdentity {
  /** Offset of the first record (the broker assigns offsets; default 0). */
  baseOffset?: number;
  /** Idempotent producers: id, epoch and first sequence (default -1, none). */
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  /** Batch attributes beyond compression (uncompressed here): 0x10 transactional, 0x20 control. Default 0. */
  attributes?: number;
}

/**
 * Appends records to one batch; `finish()` writes the header and CRC. Timestamps are deltas from
 * the first record's (as the Java producer writes them; later records may be earlier), and
 * MaxTimestamp is the largest. A string value is written as UTF-8 straight into the buffer.
 */
export class RecordBatchWriter {
  private buf: Buffer;
  private at = HEADER_BYTES;
  private records = 0;
  private baseTimestamp = 0;
  private maxTimestamp = 0;
  /** The open record's start (beginValue), -1 when none is open. */
  private open = -1;
  private valueLenAt = 0;
  private pos = 0;

  constructor(expectedBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(Math.max(HEADER_BYTES + 64, expectedBytes));
  }

  get count(): number {
    return this.records;
  }

  append(key: Uint8Array | null, value: Uint8Array | string | null, timestamp: number, headers?: readonly HeaderBytes[]): void {
    if (this.open >= 0) throw new Error('RecordBatchWriter: a record is open (endValue first)');
    if (this.records === 0) this.baseTimestamp = this.maxTimestamp = timestamp;
    else if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp;
    const tsDelta = timestamp - this.baseTimestamp;
    const offsetDelta = this.records;
    const keyLen = key === null ? 0 : key.length;
    const isText = typeof value === 'string';
    // A string's UTF-8 length is known only once written: guess it from its length (exact for ASCII).
    const valueLen = value === null ? 0 : value.length;
    let headerBytes = varintSize(headers ? headers.length : 0);
    if (headers) for (const [k, v] of headers) headerBytes += varintSize(k.length) + k.length + (v === null ? 1 : varintSize(v.length) + v.length);
    // Worst case: 3 UTF-8 bytes per UTF-16 unit, and every varint at its longest.
    this.ensure(5 + 1 + 10 + 5 + 5 + keyLen + 5 + (isText ? valueLen * 3 : valueLen) + headerBytes);
    const guessBody = 1 + varintSize(tsDelta) + varintSize(offsetDelta) + (key === null ? 1 : varintSize(keyLen) + keyLen) + (value === null ? 1 : varintSize(valueLen) + valueLen) + headerBytes;
    const lenSize = varintSize(guessBody);
    const start = this.at;
    const buf = this.buf;
    let p = start + lenSize;
    buf[p++] = 0; // record attributes
    p = writeVarint(buf, p, tsDelta);
    p = writeVarint(buf, p, offsetDelta);
    p = writeBytes(buf, p, key);
    if (value === null || !isText) p = writeBytes(buf, p, value as Uint8Array | null);
    else {
      const guessSize = varintSize(valueLen);
      const written = buf.write(value as string, p + guessSize, 'utf8');
      if (varintSize(written) !== guessSize) buf.copyWithin(p + varintSize(written), p + guessSize, p + guessSize + written);
      p = writeVarint(buf, p, written) + written;
    }
    p = writeVarint(buf, p, headers ? headers.length : 0);
    if (headers) for (const [k, v] of headers) p = writeBytes(buf, writeBytes(buf, p, k), v);
    const body = p - start - lenSize;
    if (varintSize(body) !== lenSize) {
      buf.copyWithin(start + varintSize(body), start + lenSize, p);
      p += varintSize(body) - lenSize;
    }
    writeVarint(buf, start, body);
    this.at = p;
    this.records++;
  }

  /**
   * Starts a record whose value is then written in place (`ascii`, `bytes`, `text`) and closed
   * by `endValue()`: no string or buffer per record. Two bytes are kept for each length varint
   * (values up to 8,191 bytes); a longer one moves the bytes written after it once, at the end.
   */
  beginValue(key: Uint8Array | null, timestamp: number): void {
    if (this.open >= 0) throw new Error('RecordBatchWriter: the previous record is still open');
    if (this.records === 0) this.baseTimestamp = this.maxTimestamp = timestamp;
    else if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp;
    const keyLen = key === null ? 0 : key.length;
    this.ensure(2 + 1 + 10 + 5 + 5 + keyLen + 2 + 64);
    const buf = this.buf;
    this.open = this.at;
    let p = this.at + 2;
    buf[p++] = 0; // record attributes
    p = writeVarint(buf, p, timestamp - this.baseTimestamp);
    p = writeVarint(buf, p, this.records);
    p = writeBytes(buf, p, key);
    this.valueLenAt = p;
    this.pos = p + 2;
  }

  /** Appends a string of ASCII characters (digits, JSON punctuation) to the open value. */
  ascii(s: string): void {
    const n = s.length;
    if (this.pos + n > this.buf.length) this.ensure(n, this.pos);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** Appends bytes to the open value. */
  bytes(b: Uint8Array): void {
    const n = b.length;
    if (this.pos + n > this.buf.length) this.ensure(n, this.pos);
    const buf = this.buf;
    let p = this.pos;
    if (n > 32) buf.set(b, p);
    else for (let i = 0; i < n; i++) buf[p + i] = b[i];
    this.pos = p + n;
  }

  /** Appends any string to the open value, as UTF-8. */
  text(s: string): void {
    if (this.pos + s.length * 3 > this.buf.length) this.ensure(s.length * 3, this.pos);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** Closes the open record (no headers). */
  endValue(): void {
    const start = this.open;
    if (start < 0) throw new Error('RecordBatchWriter: no open record');
    if (this.pos + 8 > this.buf.length) this.ensure(8, this.pos);
    const buf = this.buf;
    const valueAt = this.valueLenAt + 2;
    let p = this.pos;
    const valueLen = p - valueAt;
    const vs = varintSize(valueLen);
    if (vs !== 2) {
      buf.copyWithin(this.valueLenAt + vs, valueAt, p);
      p += vs - 2;
    }
    writeVarint(buf, this.valueLenAt, valueLen);
    buf[p++] = 0; // no headers
    const body = p - start - 2;
    const ls = varintSize(body);
    if (ls !== 2) {
      buf.copyWithin(start + ls, start + 2, p);
      p += ls - 2;
    }
    writeVarint(buf, start, body);
    this.at = p;
    this.open = -1;
    this.records++;
  }

  /** Empties the writer for another batch, keeping its buffer. */
  reset(): void {
    this.at = HEADER_BYTES;
    this.records = 0;
    this.open = -1;
  }

  /** The finished batch: a view of this writer's buffer, valid until the next append. */
  finish(id: BatchIdentity = {}): Buffer {
    if (this.open >= 0) throw new Error('RecordBatchWriter: a record is open (endValue first)');
    const b = this.buf;
    writeInt64(b, 0, id.baseOffset ?? 0);
    b.writeInt32BE(this.at - 12, 8);
    b.writeInt32BE(-1, 12); // partition leader epoch: the broker fills it in
    b[16] = 2; // magic
    b.writeInt16BE(id.attributes ?? 0, 21); // uncompressed, create time; transactional/control when asked
    b.writeInt32BE(this.records - 1, 23);
    writeInt64(b, 27, this.baseTimestamp);
    writeInt64(b, 35, this.maxTimestamp);
    writeInt64(b, 43, id.producerId ?? -1);
    b.writeInt16BE(id.producerEpoch ?? -1, 51);
    b.writeInt32BE(id.baseSequence ?? -1, 53);
    b.writeInt32BE(this.records, 57);
    b.writeUInt32BE(crc32c(b, CRC_FROM, this.at), 17);
    return b.subarray(0, this.at);
  }

  /** Room for `bytes` more after `used` (this.at, or the open record's end). */
  private ensure(bytes: number, used = this.at): void {
    if (used + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, used + bytes));
    this.buf.copy(grown, 0, 0, used);
    this.buf = grown;
  }
}

/** Varint length then the bytes; null as length -1. */
function writeBytes(b: Buffer, at: number, bytes: Uint8Array | null): number {
  if (bytes === null) return writeVarint(b, at, -1);
  at = writeVarint(b, at, bytes.length);
  b.set(bytes, at);
  return at + bytes.length;
}
