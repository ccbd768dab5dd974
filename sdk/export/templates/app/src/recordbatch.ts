/**
 * Kafka record batches (magic 2, uncompressed) written straight into one Buffer, plus the Java
 * client's key partitioner. kafkajs builds an object and an Encoder per produced record; at the
 * app's output rate that was the largest share of its CPU, so results are encoded here instead
 * and handed to kafkajs's connection as ready bytes (see producer.ts).
 *
 * RecordBatch => BaseOffset int64 | BatchLength int32 | PartitionLeaderEpoch int32 | Magic int8 |
 *   CRC uint32 (CRC-32C of Attributes..end) | Attributes int16 | LastOffsetDelta int32 |
 *   BaseTimestamp int64 | MaxTimestamp int64 | ProducerId int64 | ProducerEpoch int16 |
 *   BaseSequence int32 | [Record] (int32 count)
 * Record => Length varint | Attributes int8 | TimestampDelta varlong | OffsetDelta varint |
 *   Key varint-bytes | Value varint-bytes | [Header] (varint count)
 */

const HEADER = 61;
const CRC_FROM = 21;

export class RecordBatchWriter {
  private buf: Buffer;
  private at = HEADER;
  private records = 0;
  private firstTimestamp = 0;
  private maxTimestamp = 0;

  constructor(expectedBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(Math.max(HEADER + 64, expectedBytes));
  }

  get count(): number {
    return this.records;
  }

  /** Appends one record without headers; `value` is written as UTF-8. */
  append(key: Buffer | null, value: string, timestamp: number): void {
    if (this.records === 0) this.firstTimestamp = this.maxTimestamp = timestamp;
    else if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp;
    const keyLen = key === null ? 0 : key.length;
    // Worst case: 3 UTF-8 bytes per UTF-16 unit, and every varint at its longest.
    this.ensure(5 + 1 + 10 + 5 + 5 + keyLen + 5 + value.length * 3 + 1);
    const tsDelta = timestamp - this.firstTimestamp;
    const offsetDelta = this.records;
    // The body's length prefix is a varint: guess its size from the value's length (exact for
    // ASCII), write the body after it, and move the body only when the guess was wrong.
    const guessBody = 1 + varlongSize(tsDelta) + varintSize(offsetDelta) + (key === null ? 1 : varintSize(keyLen) + keyLen) + varintSize(value.length) + value.length + 1;
    const lenSize = varintSize(guessBody);
    const start = this.at;
    let p = start + lenSize;
    const buf = this.buf;
    buf[p++] = 0; // record attributes
    p = writeVarlong(buf, p, tsDelta);
    p = writeVarint(buf, p, offsetDelta);
    if (key === null) p = writeVarint(buf, p, -1);
    else {
      p = writeVarint(buf, p, keyLen);
      key.copy(buf, p);
      p += keyLen;
    }
    const valueLenGuess = varintSize(value.length);
    const written = buf.write(value, p + valueLenGuess, "utf8");
    if (varintSize(written) !== valueLenGuess) buf.copyWithin(p + varintSize(written), p + valueLenGuess, p + valueLenGuess + written);
    p = writeVarint(buf, p, written);
    p += written;
    buf[p++] = 0; // no headers
    const body = p - start - lenSize;
    if (varintSize(body) !== lenSize) {
      buf.copyWithin(start + varintSize(body), start + lenSize, p);
      p += varintSize(body) - lenSize;
    }
    writeVarint(buf, start, body);
    this.at = p;
    this.records++;
  }

  /** The finished batch (a view of this writer's buffer, valid until the next append). */
  finish(): Buffer {
    const b = this.buf;
    b.writeBigInt64BE(0n, 0); // base offset: the broker assigns offsets
    b.writeInt32BE(this.at - 12, 8);
    b.writeInt32BE(-1, 12); // partition leader epoch: the broker fills it in
    b.writeInt8(2, 16);
    b.writeInt16BE(0, 21); // attributes: no compression, create time, not transactional
    b.writeInt32BE(this.records - 1, 23);
    b.writeBigInt64BE(BigInt(this.firstTimestamp), 27);
    b.writeBigInt64BE(BigInt(this.maxTimestamp), 35);
    b.writeBigInt64BE(-1n, 43); // producer id: not idempotent
    b.writeInt16BE(-1, 51);
    b.writeInt32BE(-1, 53);
    b.writeInt32BE(this.records, 57);
    b.writeUInt32BE(crc32c(b, CRC_FROM, this.at), 17);
    return b.subarray(0, this.at);
  }

  private ensure(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + bytes));
    this.buf.copy(grown, 0, 0, this.at);
    this.buf = grown;
  }
}

function varintSize(n: number): number {
  const z = n >= 0 ? n * 2 : -n * 2 - 1;
  let size = 1;
  for (let v = z; v >= 128; v = Math.floor(v / 128)) size++;
  return size;
}

const varlongSize = varintSize;

/** Zig-zag varint; arithmetic rather than bit operations so that 64-bit deltas stay exact. */
function writeVarint(buf: Buffer, at: number, n: number): number {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  while (z >= 128) {
    buf[at++] = (z % 128) | 128;
    z = Math.floor(z / 128);
  }
  buf[at++] = z;
  return at;
}

const writeVarlong = writeVarint;

/** CRC-32C (Castagnoli), slicing-by-8. */
const POLY = 0x82f63b78;
const T = new Uint32Array(8 * 256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  T[n] = c >>> 0;
}
for (let n = 0; n < 256; n++) {
  let c = T[n];
  for (let s = 1; s < 8; s++) {
    c = T[c & 0xff] ^ (c >>> 8);
    T[s * 256 + n] = c >>> 0;
  }
}

export function crc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  let c = 0xffffffff;
  let i = start;
  const fast = end - ((end - i) & 7);
  while (i < fast) {
    const lo = (c ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24))) >>> 0;
    c = T[1792 + (lo & 0xff)] ^ T[1536 + ((lo >>> 8) & 0xff)] ^ T[1280 + ((lo >>> 16) & 0xff)] ^ T[1024 + (lo >>> 24)] ^ T[768 + buf[i + 4]] ^ T[512 + buf[i + 5]] ^ T[256 + buf[i + 6]] ^ T[buf[i + 7]];
    i += 8;
  }
  while (i < end) c = T[(c ^ buf[i++]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** The Java client's murmur2 (and kafkajs's DefaultPartitioner): keyed records keep their partition across clients. */
export function murmur2(data: Uint8Array): number {
  const m = 0x5bd1e995;
  const len = data.length;
  let h = 0x9747b28c ^ len;
  const whole = len & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const tail = len & 3;
  if (tail === 3) h ^= data[whole + 2] << 16;
  if (tail >= 2) h ^= data[whole + 1] << 8;
  if (tail >= 1) h = Math.imul(h ^ data[whole], m);
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h;
}

export function keyPartition(key: Uint8Array, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}
