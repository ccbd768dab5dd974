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
 *
 * The CRC and varint helpers come from kafkalab's runtime package (the bridge's own).
 */
import { crc32c, varintSize, writeInt64, writeVarint } from '@kafkalab/runtime';

export { crc32c, keyPartition } from '@kafkalab/runtime';

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
    const guessBody = 1 + varintSize(tsDelta) + varintSize(offsetDelta) + (key === null ? 1 : varintSize(keyLen) + keyLen) + varintSize(value.length) + value.length + 1;
    const lenSize = varintSize(guessBody);
    const start = this.at;
    let p = start + lenSize;
    const buf = this.buf;
    buf[p++] = 0; // record attributes
    p = writeVarint(buf, p, tsDelta);
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
    writeInt64(b, 0, 0); // base offset: the broker assigns offsets
    b.writeInt32BE(this.at - 12, 8);
    b.writeInt32BE(-1, 12); // partition leader epoch: the broker fills it in
    b.writeInt8(2, 16);
    b.writeInt16BE(0, 21); // attributes: no compression, create time, not transactional
    b.writeInt32BE(this.records - 1, 23);
    writeInt64(b, 27, this.firstTimestamp);
    writeInt64(b, 35, this.maxTimestamp);
    writeInt64(b, 43, -1); // producer id: not idempotent
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
