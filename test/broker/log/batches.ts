// Builds real record batches v2 (correct CRC-32C) for the storage tests.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { crc32c } from '../../../sdk/protocol/crc32c';
import { decompress } from '../../../sdk/broker/log/codecs';

export interface TestRecord {
  value: string | Buffer | null;
  key?: string | Buffer | null;
  timestamp?: number;
  headers?: Array<[string, string]>;
}

function varint(n: number, out: number[]): void {
  let z = n >= 0 ? n * 2 : -n * 2 - 1; // zig-zag
  while (z >= 0x80) {
    out.push((z % 128) | 0x80);
    z = Math.floor(z / 128);
  }
  out.push(z);
}

function bytesField(b: Buffer | null, out: number[]): void {
  if (b === null) return varint(-1, out);
  varint(b.length, out);
  for (const x of b) out.push(x);
}

const toBuf = (v: string | Buffer | null | undefined) => (v === null || v === undefined ? null : Buffer.isBuffer(v) ? v : Buffer.from(v));

export function buildBatch(
  records: TestRecord[],
  opts: {
    baseTimestamp?: number;
    compression?: 'none' | 'gzip' | 'snappy' | 'lz4';
    control?: boolean;
    logAppendTime?: boolean;
    /** What the header claims as MaxTimestamp (default: the records' real maximum). */
    claimedMaxTimestamp?: number;
  } = {},
): Buffer {
  const base = opts.baseTimestamp ?? records[0]?.timestamp ?? Date.now();
  const timestamps = records.map((r) => r.timestamp ?? base);
  const bodies: Buffer[] = records.map((r, i) => {
    const body: number[] = [0];
    varint(timestamps[i] - base, body);
    varint(i, body);
    bytesField(toBuf(r.key), body);
    bytesField(toBuf(r.value), body);
    varint(r.headers?.length ?? 0, body);
    for (const [k, v] of r.headers ?? []) {
      bytesField(Buffer.from(k), body);
      bytesField(Buffer.from(v), body);
    }
    const len: number[] = [];
    varint(body.length, len);
    return Buffer.from([...len, ...body]);
  });
  let payload = Buffer.concat(bodies);
  let codec = 0;
  if (opts.compression === 'gzip') {
    payload = gzipSync(payload);
    codec = 1;
  } else if (opts.compression === 'snappy') {
    payload = snappyLiterals(payload);
    codec = 2;
  } else if (opts.compression === 'lz4') {
    payload = lz4StoredFrame(payload);
    codec = 3;
  }
  const h = Buffer.alloc(61);
  h.writeBigInt64BE(0n, 0);
  h.writeInt32BE(49 + payload.length, 8);
  h.writeInt32BE(-1, 12);
  h.writeInt8(2, 16);
  h.writeInt16BE(codec | (opts.logAppendTime ? 8 : 0) | (opts.control ? 0x20 : 0), 21);
  h.writeInt32BE(records.length - 1, 23);
  h.writeBigInt64BE(BigInt(base), 27);
  h.writeBigInt64BE(BigInt(opts.claimedMaxTimestamp ?? Math.max(...timestamps)), 35);
  h.writeBigInt64BE(-1n, 43);
  h.writeInt16BE(-1, 51);
  h.writeInt32BE(-1, 53);
  h.writeInt32BE(records.length, 57);
  const batch = Buffer.concat([h, payload]);
  batch.writeUInt32BE(crc32c(batch, 21), 17);
  return batch;
}

/** Valid raw snappy made of literals only (real compression is tested with real clients' bytes). */
export function snappyLiterals(data: Buffer): Buffer {
  const out: number[] = [];
  for (let n = data.length; ; ) {
    out.push(n > 0x7f ? (n & 0x7f) | 0x80 : n);
    n = Math.floor(n / 128);
    if (n === 0) break;
  }
  for (let at = 0; at < data.length; at += 65536) {
    const chunk = data.subarray(at, at + 65536);
    out.push(61 << 2, (chunk.length - 1) & 0xff, (chunk.length - 1) >> 8); // literal, 2-byte length
    for (const b of chunk) out.push(b);
  }
  return Buffer.from(out);
}

/** A valid LZ4 frame whose blocks are stored uncompressed. */
export function lz4StoredFrame(data: Buffer): Buffer {
  const parts = [Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82])];
  for (let at = 0; at < data.length; at += 65536) {
    const chunk = data.subarray(at, at + 65536);
    const size = Buffer.alloc(4);
    size.writeUInt32LE((chunk.length | 0x80000000) >>> 0);
    parts.push(size, chunk);
  }
  parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}

/** n records "prefix-i" with timestamps t0 + i * step, in one batch. */
export function valuesBatch(prefix: string, n: number, t0 = 1_700_000_000_000, step = 1): Buffer {
  return buildBatch(Array.from({ length: n }, (_, i) => ({ value: `${prefix}-${i}`, timestamp: t0 + i * step })));
}

export interface ParsedBatch {
  baseOffset: number;
  lastOffset: number;
  leaderEpoch: number;
  maxTimestamp: number;
  crcOk: boolean;
  values: string[];
  /** Every record with its own offset (compacted batches have gaps). */
  records: Array<{ offset: number; key: string | null; value: string | null }>;
}

/** Splits a read answer into batches and decodes their records (compressed ones too). */
export function parseBatches(buf: Buffer): ParsedBatch[] {
  const out: ParsedBatch[] = [];
  for (let at = 0; at < buf.length; ) {
    const size = 12 + buf.readInt32BE(at + 8);
    const b = buf.subarray(at, at + size);
    const baseOffset = Number(b.readBigInt64BE(0));
    const values: string[] = [];
    const records: ParsedBatch['records'] = [];
    const codec = b.readInt16BE(21) & 7;
    const count = b.readInt32BE(57);
    const body = codec === 0 ? b : decompress(codec, b.subarray(61), 1 << 26);
    if (Buffer.isBuffer(body)) {
      const b = codec === 0 ? body : Buffer.concat([Buffer.alloc(61), body]);
      let p = 61;
      const rv = () => {
        let raw = 0, mul = 1, x: number;
        do {
          x = b[p++];
          raw += (x & 0x7f) * mul;
          mul *= 128;
        } while (x & 0x80);
        return raw % 2 ? -(raw + 1) / 2 : raw / 2;
      };
      for (let i = 0; i < count; i++) {
        const len = rv();
        const end = p + len;
        p++;
        rv();
        const offsetDelta = rv();
        const kl = rv();
        const key = kl >= 0 ? b.toString('utf8', p, p + kl) : null;
        if (kl > 0) p += kl;
        const vl = rv();
        values.push(vl >= 0 ? b.toString('utf8', p, p + vl) : '<null>');
        records.push({ offset: baseOffset + offsetDelta, key, value: vl >= 0 ? b.toString('utf8', p, p + vl) : null });
        p = end;
      }
    }
    out.push({
      baseOffset,
      lastOffset: baseOffset + b.readInt32BE(23),
      leaderEpoch: b.readInt32BE(12),
      maxTimestamp: Number(b.readBigInt64BE(35)),
      crcOk: crc32c(b, 21) === b.readUInt32BE(17),
      values,
      records,
    });
    at += size;
  }
  return out;
}

export function tempDir(name: string): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `kafkalab-${name}-`));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Every record of a partition log from its start, following gaps (compacted topics). */
export function readRecords(log: { logStartOffset: number; nextOffset: number; read(offset: number, maxBytes: number): Buffer }): ParsedBatch['records'] {
  const out: ParsedBatch['records'] = [];
  let offset = log.logStartOffset;
  for (let guard = 0; offset < log.nextOffset && guard < 1_000_000; guard++) {
    const batches = parseBatches(log.read(offset, 1 << 16));
    if (batches.length === 0) break;
    for (const b of batches) {
      for (const r of b.records) if (r.offset >= offset) out.push(r);
      offset = b.lastOffset + 1;
    }
  }
  return out;
}
