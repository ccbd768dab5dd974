/**
 * Record batch v2 (magic 2), the only message format the broker accepts and stores:
 *
 * RecordBatch => baseOffset:int64 batchLength:int32 partitionLeaderEpoch:int32 magic:int8 crc:uint32
 *                attributes:int16 lastOffsetDelta:int32 baseTimestamp:int64 maxTimestamp:int64
 *                producerId:int64 producerEpoch:int16 baseSequence:int32 records:[Record]
 * Record => length:varint attributes:int8 timestampDelta:varlong offsetDelta:varint
 *           key:varbytes value:varbytes headers:[Header]   Header => key:varstring value:varbytes
 *
 * The CRC-32C covers attributes to the end (byte 21 on); baseOffset and partitionLeaderEpoch sit
 * before it, which is why the broker may rewrite them without touching the checksum.
 * The broker validates and indexes batches by their headers only; `decodeRecords` (uncompressed)
 * exists for tests and tools, and `encodeRecordBatch` wraps the one encoder (batch-encoding.ts).
 */
import { crc32c } from './crc32c';
import { RecordBatchWriter, type BatchIdentity, type HeaderBytes } from './batch-encoding';
import { Reader } from './reader';

export const BATCH_HEADER_BYTES = 61;
/** Bytes before batchLength's count starts: baseOffset + batchLength. */
export const LOG_OVERHEAD = 12;
const MAGIC_AT = 16;
const ATTRIBUTES_AT = 21;

export interface BatchHeader {
  baseOffset: number;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

export function readBatchHeader(buf: Buffer, at = 0): BatchHeader {
  const r = new Reader(buf, at);
  return {
    baseOffset: r.int64(),
    batchLength: r.int32(),
    partitionLeaderEpoch: r.int32(),
    magic: r.int8(),
    crc: r.uint32(),
    attributes: r.int16(),
    lastOffsetDelta: r.int32(),
    baseTimestamp: r.int64(),
    maxTimestamp: r.int64(),
    producerId: r.int64(),
    producerEpoch: r.int16(),
    baseSequence: r.int32(),
    recordCount: r.int32(),
  };
}

export type BatchProblem = { code: 2 | 87; message: string };

/**
 * Checks a producer's record set: whole v2 batches, consistent lengths, valid CRC-32C.
 * Returns the batch headers, or the problem as a Kafka error code (2 CORRUPT_MESSAGE,
 * 87 INVALID_RECORD for a batch without records or whose offset deltas do not match its count).
 */
export function validateBatches(buf: Buffer): BatchHeader[] | BatchProblem {
  const out: BatchHeader[] = [];
  let at = 0;
  if (buf.length === 0) return { code: 87, message: 'empty record set' };
  while (at < buf.length) {
    if (buf.length - at < BATCH_HEADER_BYTES) return { code: 2, message: `truncated batch header at byte ${at}` };
    const magic = buf.readInt8(at + MAGIC_AT);
    if (magic !== 2) return { code: 2, message: `unsupported magic ${magic} (only record batch v2 is accepted)` };
    const h = readBatchHeader(buf, at);
    const end = at + LOG_OVERHEAD + h.batchLength;
    if (h.batchLength < BATCH_HEADER_BYTES - LOG_OVERHEAD || end > buf.length) return { code: 2, message: `batch length ${h.batchLength} does not fit` };
    if (crc32c(buf, at + ATTRIBUTES_AT, end) !== h.crc) return { code: 2, message: 'CRC-32C mismatch' };
    if (h.recordCount <= 0) return { code: 87, message: 'batch without records' };
    // Offsets are assigned from lastOffsetDelta; a producer's batch numbers its records 0..n-1.
    if (h.lastOffsetDelta !== h.recordCount - 1) return { code: 87, message: `lastOffsetDelta ${h.lastOffsetDelta} does not match ${h.recordCount} records` };
    out.push(h);
    at = end;
  }
  return out;
}

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}
export interface SimpleRecord {
  key: Buffer | null;
  value: Buffer | null;
  timestamp?: number;
  headers?: RecordHeader[];
}

/** One uncompressed v2 batch of `records` (tests, tools, the fuzz client), by kafkalab's one encoder. */
export function encodeRecordBatch(records: SimpleRecord[], opts: BatchIdentity & { now?: number } = {}): Buffer {
  const now = opts.now ?? Date.now();
  const w = new RecordBatchWriter(BATCH_HEADER_BYTES + records.reduce((n, r) => n + 32 + (r.key?.length ?? 0) + (r.value?.length ?? 0), 0));
  for (const r of records) {
    const headers = r.headers?.map((h): HeaderBytes => [Buffer.from(h.key), h.value]);
    w.append(r.key, r.value, r.timestamp ?? now, headers);
  }
  return Buffer.from(w.finish(opts));
}

export interface DecodedRecord extends Required<SimpleRecord> {
  offset: number;
}

/** Decodes every record of uncompressed batches (throws on compressed ones). */
export function decodeRecords(buf: Buffer): DecodedRecord[] {
  const out: DecodedRecord[] = [];
  let at = 0;
  while (at + BATCH_HEADER_BYTES <= buf.length) {
    const h = readBatchHeader(buf, at);
    const end = at + LOG_OVERHEAD + h.batchLength;
    if (end > buf.length) break; // a partial batch at the end of a fetch
    if ((h.attributes & 7) !== 0) throw new Error('decodeRecords handles uncompressed batches only');
    const r = new Reader(buf, at + BATCH_HEADER_BYTES, end);
    for (let i = 0; i < h.recordCount; i++) {
      r.varint();
      r.int8();
      const timestamp = h.baseTimestamp + r.varlong();
      const offset = h.baseOffset + r.varint();
      const key = r.varintBytes();
      const value = r.varintBytes();
      const nh = r.varint();
      const headers: RecordHeader[] = [];
      for (let j = 0; j < nh; j++) headers.push({ key: r.varintBytes()!.toString(), value: r.varintBytes() });
      out.push({ offset, timestamp, key, value, headers });
    }
    at = end;
  }
  return out;
}
