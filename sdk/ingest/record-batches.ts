/**
 * The bridge's record batches (magic 2, uncompressed), written straight into one Buffer per
 * partition from the MQTT payload bytes. kafkajs builds an object, an Encoder and two Buffer
 * copies per record, sorts timestamps as strings and computes CRC-32C byte by byte; for the
 * bridge that was ~14 µs per message, most of its CPU. Layout (see sdk/protocol/record-batch.ts):
 *
 * RecordBatch => baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 |
 *   crc uint32 (CRC-32C of attributes..end) | attributes int16 | lastOffsetDelta int32 |
 *   baseTimestamp int64 | maxTimestamp int64 | producerId int64 | producerEpoch int16 |
 *   baseSequence int32 | [Record] (int32 count)
 * Record => length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
 *   key varbytes | value varbytes | [Header] (varint count)   Header => key varstring | value varbytes
 */
import { keyPartition, varintSize, writeInt64, writeVarint } from '../protocol/batch-encoding';
import { crc32c } from '../protocol/crc32c';

export { keyPartition };

const HEADER_BYTES = 61;
const CRC_FROM = 21;

export interface OutRecord {
  key: Buffer | null;
  value: Buffer;
  /** Epoch ms. */
  timestamp: number;
  headers?: [Buffer, Buffer][];
}

/** Encodes one partition's records as one batch. */
export function encodeBatch(records: readonly OutRecord[]): Buffer {
  let first = records[0].timestamp;
  let max = first;
  for (const r of records) {
    if (r.timestamp < first) first = r.timestamp;
    if (r.timestamp > max) max = r.timestamp;
  }
  let size = HEADER_BYTES;
  const bodies = new Int32Array(records.length);
  for (let i = 0; i < records.length; i++) {
    const body = bodySize(records[i], records[i].timestamp - first, i);
    bodies[i] = body;
    size += varintSize(body) + body;
  }
  const b = Buffer.allocUnsafe(size);
  let p = HEADER_BYTES;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    p = writeVarint(b, p, bodies[i]);
    b[p++] = 0; // record attributes
    p = writeVarint(b, p, r.timestamp - first);
    p = writeVarint(b, p, i);
    if (r.key === null) p = writeVarint(b, p, -1);
    else {
      p = writeVarint(b, p, r.key.length);
      p += r.key.copy(b, p);
    }
    p = writeVarint(b, p, r.value.length);
    p += r.value.copy(b, p);
    const headers = r.headers;
    p = writeVarint(b, p, headers ? headers.length : 0);
    if (headers) {
      for (const [k, v] of headers) {
        p = writeVarint(b, p, k.length);
        p += k.copy(b, p);
        p = writeVarint(b, p, v.length);
        p += v.copy(b, p);
      }
    }
  }
  b.writeInt32BE(0, 0); // base offset: assigned by the broker
  b.writeInt32BE(0, 4);
  b.writeInt32BE(size - 12, 8);
  b.writeInt32BE(-1, 12); // partition leader epoch: the broker's to fill in
  b[16] = 2; // magic
  b.writeInt16BE(0, 21); // attributes: uncompressed, create time, not transactional
  b.writeInt32BE(records.length - 1, 23);
  writeInt64(b, 27, first);
  writeInt64(b, 35, max);
  b.writeInt32BE(-1, 43); // producer id -1: not idempotent
  b.writeInt32BE(-1, 47);
  b.writeInt16BE(-1, 51); // producer epoch
  b.writeInt32BE(-1, 53); // base sequence
  b.writeInt32BE(records.length, 57);
  b.writeUInt32BE(crc32c(b, CRC_FROM, size), 17);
  return b;
}

function bodySize(r: OutRecord, tsDelta: number, offsetDelta: number): number {
  let n = 1 + varintSize(tsDelta) + varintSize(offsetDelta);
  n += r.key === null ? 1 : varintSize(r.key.length) + r.key.length;
  n += varintSize(r.value.length) + r.value.length;
  const headers = r.headers;
  n += varintSize(headers ? headers.length : 0);
  if (headers) for (const [k, v] of headers) n += varintSize(k.length) + k.length + varintSize(v.length) + v.length;
  return n;
}
