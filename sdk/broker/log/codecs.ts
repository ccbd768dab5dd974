/**
 * Decompression of record-batch payloads, for what storage must read inside batches: record
 * timestamps on append (Kafka recomputes MaxTimestamp), keys for compaction, timestamp lookups.
 * Batches are still stored exactly as received; nothing here compresses.
 *
 *   1 gzip    Node's zlib
 *   2 snappy  our decoder below: raw snappy blocks, or the xerial framing Java clients write
 *   3 lz4     our decoder below: the LZ4 frame format (what Kafka uses for magic 2)
 *   4 zstd    Node's zlib where it has zstd (Node >= 22.15); 'unavailable' on older Node
 *
 * Output is capped (`limit`): a small batch of zeros must not inflate into gigabytes inside
 * the broker. Callers treat 'too-large' and 'unavailable' as "trust the batch header".
 */
import * as zlib from 'zlib';

export type Decompressed = Buffer | 'unavailable' | 'too-large';

/** Thrown for bytes that are not valid data of their codec (the producer sent garbage). */
export class CorruptCompression extends Error {
  constructor(codec: string, why: string) {
    super(`${codec} data is corrupt: ${why}`);
    this.name = 'CorruptCompression';
  }
}

class TooLarge extends Error {}

const zstdDecompressSync = (zlib as unknown as { zstdDecompressSync?: (b: Buffer, o: { maxOutputLength: number }) => Buffer }).zstdDecompressSync;

/** Whether this Node can read batches of `codec` (1 gzip, 2 snappy, 3 lz4, 4 zstd). */
export function canDecompress(codec: number): boolean {
  return codec >= 0 && codec <= 3 ? true : codec === 4 && typeof zstdDecompressSync === 'function';
}

export function decompress(codec: number, data: Buffer, limit: number): Decompressed {
  try {
    switch (codec) {
      case 0:
        return data;
      case 1:
        return zlibCall('gzip', () => zlib.gunzipSync(data, { maxOutputLength: limit }));
      case 2:
        return snappy(data, limit);
      case 3:
        return lz4Frame(data, limit);
      case 4:
        if (!zstdDecompressSync) return 'unavailable';
        return zlibCall('zstd', () => zstdDecompressSync(data, { maxOutputLength: limit }));
      default:
        throw new CorruptCompression(`codec ${codec}`, 'unknown compression type');
    }
  } catch (err) {
    if (err instanceof TooLarge) return 'too-large';
    throw err;
  }
}

function zlibCall(codec: string, fn: () => Buffer): Buffer {
  try {
    return fn();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) throw new TooLarge();
    throw new CorruptCompression(codec, (err as Error).message);
  }
}

// ---------------------------------------------------------------------------------------------
// Snappy. Raw format: varint uncompressed length, then tagged elements (literal, or a copy of
// earlier output at a 1-, 2- or 4-byte offset). Xerial framing: an 8-byte magic, two int32s,
// then blocks of int32 length + raw snappy block.

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);

function snappy(data: Buffer, limit: number): Buffer {
  if (data.length >= 16 && data.subarray(0, 8).equals(XERIAL_MAGIC)) {
    const blocks: Array<[number, number]> = [];
    let total = 0;
    for (let pos = 16; pos < data.length; ) {
      if (pos + 4 > data.length) throw new CorruptCompression('snappy', 'truncated xerial block length');
      const len = data.readInt32BE(pos);
      pos += 4;
      if (len < 0 || pos + len > data.length) throw new CorruptCompression('snappy', 'xerial block runs past the end');
      blocks.push([pos, pos + len]);
      total += snappyLength(data, pos, pos + len).length;
      if (total > limit) throw new TooLarge();
      pos += len;
    }
    const out = Buffer.allocUnsafe(total);
    let at = 0;
    for (const [start, end] of blocks) at += snappyBlock(data, start, end, out, at);
    return out;
  }
  const { length } = snappyLength(data, 0, data.length);
  if (length > limit) throw new TooLarge();
  const out = Buffer.allocUnsafe(length);
  snappyBlock(data, 0, data.length, out, 0);
  return out;
}

function snappyLength(src: Buffer, start: number, end: number): { length: number; pos: number } {
  let length = 0;
  let pos = start;
  for (let shift = 0; ; shift += 7) {
    if (pos >= end || shift > 28) throw new CorruptCompression('snappy', 'bad length preamble');
    const b = src[pos++];
    length += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return { length, pos };
  }
}

/** Decodes one raw snappy block into out[outStart...]; returns the bytes written. */
function snappyBlock(src: Buffer, start: number, end: number, out: Buffer, outStart: number): number {
  const { length, pos: first } = snappyLength(src, start, end);
  const outEnd = outStart + length;
  let op = outStart;
  let pos = first;
  while (pos < end) {
    const tag = src[pos++];
    let len: number;
    let offset: number;
    switch (tag & 3) {
      case 0: {
        len = tag >>> 2;
        if (len >= 60) {
          const n = len - 59;
          if (pos + n > end) throw new CorruptCompression('snappy', 'truncated literal length');
          len = src.readUIntLE(pos, n);
          pos += n;
        }
        len += 1;
        if (pos + len > end || op + len > outEnd) throw new CorruptCompression('snappy', 'literal runs past the end');
        src.copy(out, op, pos, pos + len);
        pos += len;
        op += len;
        continue;
      }
      case 1:
        if (pos >= end) throw new CorruptCompression('snappy', 'truncated copy');
        len = ((tag >>> 2) & 7) + 4;
        offset = ((tag >>> 5) << 8) | src[pos++];
        break;
      case 2:
        if (pos + 2 > end) throw new CorruptCompression('snappy', 'truncated copy');
        len = (tag >>> 2) + 1;
        offset = src.readUInt16LE(pos);
        pos += 2;
        break;
      default:
        if (pos + 4 > end) throw new CorruptCompression('snappy', 'truncated copy');
        len = (tag >>> 2) + 1;
        offset = src.readUInt32LE(pos);
        pos += 4;
    }
    if (offset === 0 || offset > op - outStart || op + len > outEnd) throw new CorruptCompression('snappy', 'copy outside the output');
    copyWithin(out, op, offset, len);
    op += len;
  }
  if (op !== outEnd) throw new CorruptCompression('snappy', `decoded ${op - outStart} bytes, the preamble says ${length}`);
  return length;
}

/** Appends `len` bytes starting `offset` back; overlapping copies repeat the pattern, as LZ77 means. */
function copyWithin(out: Buffer, op: number, offset: number, len: number): void {
  if (offset >= len) {
    out.copy(out, op, op - offset, op - offset + len);
    return;
  }
  for (let i = 0; i < len; i++) out[op + i] = out[op + i - offset];
}

// ---------------------------------------------------------------------------------------------
// LZ4 frame: magic 0x184D2204, FLG and BD bytes (optional content size and dictionary id, a
// header checksum), then blocks of uint32le size (high bit = stored uncompressed, 0 = end),
// each optionally followed by a checksum, then an optional content checksum. Checksums are not
// verified: the batch's CRC-32C already covers these bytes.

const LZ4_MAGIC = 0x184d2204;

function lz4Frame(src: Buffer, limit: number): Buffer {
  if (src.length < 7 || src.readUInt32LE(0) !== LZ4_MAGIC) throw new CorruptCompression('lz4', 'no LZ4 frame magic');
  const flg = src[4];
  if (flg >>> 6 !== 1) throw new CorruptCompression('lz4', `frame version ${flg >>> 6}`);
  const blockChecksum = (flg & 0x10) !== 0;
  let pos = 6;
  let capacity = 64 * 1024;
  if (flg & 0x08) {
    if (src.length < pos + 8) throw new CorruptCompression('lz4', 'truncated frame header');
    const declared = src.readUInt32LE(pos) + src.readUInt32LE(pos + 4) * 4294967296;
    if (declared > limit) throw new TooLarge();
    capacity = Math.max(declared, 1);
    pos += 8;
  }
  if (flg & 0x01) pos += 4;
  pos += 1; // header checksum
  const out = new Growable(capacity, limit);
  for (;;) {
    if (pos + 4 > src.length) throw new CorruptCompression('lz4', 'truncated block size');
    const word = src.readUInt32LE(pos);
    pos += 4;
    if (word === 0) break;
    const size = word & 0x7fffffff;
    if (pos + size > src.length) throw new CorruptCompression('lz4', 'block runs past the end');
    if (word & 0x80000000) {
      out.ensure(size);
      src.copy(out.buf, out.length, pos, pos + size);
      out.length += size;
    } else lz4Block(src, pos, pos + size, out);
    pos += size + (blockChecksum ? 4 : 0);
  }
  return out.buf.subarray(0, out.length);
}

class Growable {
  buf: Buffer;
  length = 0;
  constructor(capacity: number, private readonly limit: number) {
    this.buf = Buffer.allocUnsafe(Math.min(capacity, limit));
  }

  ensure(n: number): void {
    const need = this.length + n;
    if (need <= this.buf.length) return;
    if (need > this.limit) throw new TooLarge();
    const next = Buffer.allocUnsafe(Math.min(this.limit, Math.max(need, this.buf.length * 2)));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
}

/** One LZ4 block: sequences of (literal run, match at a 16-bit offset back); the last has literals only. */
function lz4Block(src: Buffer, start: number, end: number, out: Growable): void {
  let pos = start;
  // A 4-bit length of 15 continues in following bytes, each added, until one is not 255.
  const extended = (nibble: number, what: string): number => {
    let n = nibble;
    if (nibble !== 15) return n;
    let b: number;
    do {
      if (pos >= end) throw new CorruptCompression('lz4', `truncated ${what} length`);
      b = src[pos++];
      n += b;
    } while (b === 255);
    return n;
  };
  while (pos < end) {
    const token = src[pos++];
    const lit = extended(token >>> 4, 'literal');
    if (pos + lit > end) throw new CorruptCompression('lz4', 'literals run past the block');
    out.ensure(lit);
    src.copy(out.buf, out.length, pos, pos + lit);
    out.length += lit;
    pos += lit;
    if (pos === end) return;
    if (pos + 2 > end) throw new CorruptCompression('lz4', 'truncated match offset');
    const offset = src.readUInt16LE(pos);
    pos += 2;
    const len = extended(token & 15, 'match') + 4;
    if (offset === 0 || offset > out.length) throw new CorruptCompression('lz4', 'match outside the output');
    out.ensure(len);
    copyWithin(out.buf, out.length, offset, len);
    out.length += len;
  }
}
