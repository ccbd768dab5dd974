/**
 * Walks the v2 record batches of a Fetch response's record set and hands each data record to a
 * visitor as byte ranges of the response (no object, Buffer or string per record): the read
 * path's alternative to kafkajs's decoder, which builds a JS object and two Buffers per record.
 *
 * It does what a Kafka consumer does with a record set: skips records before the requested
 * offset (brokers return whole batches), stops at an incomplete batch at the end (max bytes cut
 * it), skips control batches (transaction markers) and, given the response's aborted
 * transactions, the batches of aborted transactions (read_committed). Compressed batches are
 * decompressed beforehand by the caller (`compressedBatches` lists them), so this stays pure.
 * CRCs are not checked, as kafkajs and librdkafka (check.crcs=false) do not by default.
 */
import { KafkalabError } from '../util/errors';

/** Bytes of a v2 batch header, from baseOffset to recordCount. */
export const BATCH_HEADER_BYTES = 61;
const LOG_OVERHEAD = 12;
const CODEC_MASK = 0x07;
const LOG_APPEND_TIME = 0x08;
const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;
const TWO_32 = 4294967296;

/**
 * Called per data record in [from, to): key and value are byte ranges of `buf` (length -1 for
 * null); headers start at `headersAt` (see `readHeaders`). Return false to stop the walk.
 */
export type RecordVisitor = (
  buf: Buffer,
  keyAt: number,
  keyLength: number,
  valueAt: number,
  valueLength: number,
  offset: number,
  timestamp: number,
  headersAt: number,
  headerCount: number,
) => boolean | void;

export interface WalkResult {
  /** The offset to fetch next: past the last complete batch, or `from` when there was none. */
  next: number;
  /** Data records handed to the visitor. */
  records: number;
  /** Size of an incomplete batch at the end of the set (0 if none): fetch at least this much. */
  truncated: number;
  /** The visitor asked to stop. */
  stopped: boolean;
}

/** A compressed batch to decompress before the walk: `payload` is its records section. */
export interface CompressedBatch {
  at: number;
  codec: number;
  payload: Buffer;
}

function int64(b: Buffer, at: number): number {
  return b.readInt32BE(at) * TWO_32 + b.readUInt32BE(at + 4);
}

/** Record sets in the old message format (magic 0/1) are not ours to decode: callers fall back to kafkajs. */
export class LegacyRecordFormatError extends KafkalabError {
  constructor(readonly magic: number) {
    super(`record set with magic ${magic} (message format before Kafka 0.11)`, { code: 'LEGACY_RECORD_FORMAT' });
  }
}

function corrupt(what: string): KafkalabError {
  return new KafkalabError(`Corrupt record batch in a Fetch response: ${what}`, { code: 'CORRUPT_RECORDS', retriable: true });
}

/** Visits complete batch headers: (at, end, baseOffset, lastOffset, attributes). */
function eachBatch(buf: Buffer, fn: (at: number, end: number, base: number, last: number, attributes: number) => boolean | void): { end: number; truncated: number } {
  let at = 0;
  const n = buf.length;
  while (at + LOG_OVERHEAD <= n) {
    const length = buf.readInt32BE(at + 8);
    const end = at + LOG_OVERHEAD + length;
    if (at + BATCH_HEADER_BYTES > n || end > n) return { end: at, truncated: Math.max(LOG_OVERHEAD + length, BATCH_HEADER_BYTES) };
    const magic = buf[at + 16];
    if (magic !== 2) throw new LegacyRecordFormatError(magic);
    if (length < BATCH_HEADER_BYTES - LOG_OVERHEAD) throw corrupt(`batch length ${length}`);
    const base = int64(buf, at);
    if (fn(at, end, base, base + buf.readInt32BE(at + 23), buf.readInt16BE(at + 21)) === false) return { end: at, truncated: 0 };
    at = end;
  }
  // A few bytes of a next batch, too few to say its length: ask for a header's worth more.
  return { end: at, truncated: at < n ? BATCH_HEADER_BYTES : 0 };
}

/** The offset after the last complete batch (`from` if none) and the size of a cut-off batch: no record decoding. */
export function scanRecordSet(buf: Buffer, from: number): { next: number; truncated: number } {
  let next = from;
  const { truncated } = eachBatch(buf, (_at, _end, _base, last) => {
    if (last + 1 > next) next = last + 1;
  });
  return { next, truncated };
}

/** Compressed batches that hold records in [from, to) or transaction markers. */
export function compressedBatches(buf: Buffer, from: number, to: number): CompressedBatch[] {
  const out: CompressedBatch[] = [];
  eachBatch(buf, (at, end, base, last, attributes) => {
    if (base >= to) return false;
    const codec = attributes & CODEC_MASK;
    if (codec !== 0 && (last >= from || (attributes & CONTROL) !== 0)) out.push({ at, codec, payload: buf.subarray(at + BATCH_HEADER_BYTES, end) });
  });
  return out;
}

/**
 * Read-committed filtering, as Kafka's own consumer does it: an aborted transaction's producer
 * becomes "aborted" from the transaction's first offset until its ABORT marker; its
 * transactional batches in between are dropped.
 */
export class AbortedTransactions {
  private readonly pending: { producerId: number; firstOffset: number }[];
  private next = 0;
  private readonly active = new Set<number>();

  constructor(list: { producerId: number; firstOffset: number }[] | null | undefined) {
    this.pending = [...(list ?? [])].sort((a, b) => a.firstOffset - b.firstOffset);
  }

  get empty(): boolean {
    return this.pending.length === 0;
  }

  /** Whether a batch is dropped: control batches always are; the walk calls this in offset order. */
  skip(buf: Buffer, at: number, last: number, attributes: number, records: Buffer | undefined): boolean {
    const producerId = int64(buf, at + 43);
    if (producerId >= 0) {
      while (this.next < this.pending.length && this.pending[this.next].firstOffset <= last) this.active.add(this.pending[this.next++].producerId);
      if ((attributes & CONTROL) !== 0) {
        if (isAbortMarker(buf, at, records)) this.active.delete(producerId);
        return true;
      }
      return (attributes & TRANSACTIONAL) !== 0 && this.active.has(producerId);
    }
    return (attributes & CONTROL) !== 0;
  }
}

/** A control record's key is version:int16 type:int16, type 0 = ABORT, 1 = COMMIT. */
function isAbortMarker(buf: Buffer, at: number, records: Buffer | undefined): boolean {
  const c = new Cursor(records ?? buf, records ? 0 : at + BATCH_HEADER_BYTES);
  c.varint(); // record length
  c.p++; // attributes
  c.varlong();
  c.varint();
  const keyLength = c.varint();
  return keyLength >= 4 && c.b.readInt16BE(c.p + 2) === 0;
}

/** Varint reads straight off the bytes, kept small so that V8 inlines them in the record loop. */
class Cursor {
  constructor(
    public b: Buffer,
    public p: number,
  ) {}

  /** Zigzag varint (int32). */
  varint(): number {
    const b = this.b;
    let x = b[this.p++];
    if (x < 0x80) return (x >>> 1) ^ -(x & 1);
    let z = x & 0x7f;
    let shift = 7;
    do {
      if (shift > 28) throw corrupt('varint too long');
      x = b[this.p++];
      z |= (x & 0x7f) << shift;
      shift += 7;
    } while (x >= 0x80);
    return (z >>> 1) ^ -(z & 1);
  }

  /** Zigzag varlong as a number (exact to 2^53, which timestamps deltas stay far below). */
  varlong(): number {
    const b = this.b;
    let x = b[this.p++];
    if (x < 0x80) return x % 2 === 0 ? x / 2 : -(x + 1) / 2;
    let z = x & 0x7f;
    let mul = 128;
    for (let i = 1; ; i++) {
      if (i >= 10) throw corrupt('varlong too long');
      x = b[this.p++];
      z += (x & 0x7f) * mul;
      if (x < 0x80) break;
      mul *= 128;
    }
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }
}

/**
 * Visits the data records of a record set with offsets in [from, to). `inflated` maps a
 * compressed batch's position to its decompressed records section.
 */
export function walkRecordSet(
  buf: Buffer,
  from: number,
  to: number,
  visit: RecordVisitor,
  opts: { aborted?: AbortedTransactions; inflated?: Map<number, Buffer> } = {},
): WalkResult {
  const result: WalkResult = { next: from, records: 0, truncated: 0, stopped: false };
  const aborted = opts.aborted;
  const scan = eachBatch(buf, (at, end, base, last, attributes) => {
    if (base >= to) return false;
    const codec = attributes & CODEC_MASK;
    const records = codec === 0 ? undefined : opts.inflated?.get(at);
    if (last < from) {
      result.next = Math.max(result.next, last + 1);
      return;
    }
    if (aborted ? aborted.skip(buf, at, last, attributes, records) : (attributes & CONTROL) !== 0) {
      result.next = Math.max(result.next, last + 1);
      return;
    }
    if (codec !== 0 && !records) throw new KafkalabError(`compressed batch at offset ${base} was not decompressed`, { code: 'INTERNAL' });
    const count = buf.readInt32BE(at + 57);
    const baseTime = int64(buf, at + 27);
    const logAppend = (attributes & LOG_APPEND_TIME) !== 0 ? int64(buf, at + 35) : -1;
    const c = new Cursor(records ?? buf, records ? 0 : at + BATCH_HEADER_BYTES);
    const stop = records ? records.length : end;
    for (let i = 0; i < count && c.p < stop; i++) {
      const length = c.varint();
      const recordEnd = c.p + length;
      if (length < 0 || recordEnd > stop) throw corrupt(`record length ${length} at offset ${base}`);
      c.p++; // attributes (unused)
      const timeDelta = c.varlong();
      const offset = base + c.varint();
      const keyLength = c.varint();
      const keyAt = c.p;
      if (keyLength > 0) c.p += keyLength;
      const valueLength = c.varint();
      const valueAt = c.p;
      if (valueLength > 0) c.p += valueLength;
      const headerCount = c.varint();
      if (c.p > recordEnd) throw corrupt(`record at offset ${offset} overruns its length`);
      const headersAt = c.p;
      c.p = recordEnd;
      if (offset < from) continue;
      if (offset >= to) {
        result.next = offset;
        return false;
      }
      result.records++;
      if (visit(c.b, keyAt, keyLength, valueAt, valueLength, offset, logAppend >= 0 ? logAppend : baseTime + timeDelta, headersAt, headerCount) === false) {
        result.stopped = true;
        result.next = offset + 1;
        return false;
      }
    }
    result.next = Math.max(result.next, last + 1);
  });
  if (!result.stopped) result.truncated = scan.truncated;
  return result;
}

/** A record's headers as kafkajs shapes them: name to Buffer, repeated names to an array. */
export function readHeaders(buf: Buffer, at: number, count: number): Record<string, Buffer | Buffer[]> {
  const out: Record<string, Buffer | Buffer[]> = {};
  const c = new Cursor(buf, at);
  for (let i = 0; i < count; i++) {
    const kl = c.varint();
    const name = buf.toString('utf8', c.p, c.p + Math.max(kl, 0));
    c.p += Math.max(kl, 0);
    const vl = c.varint();
    const value = vl < 0 ? (null as unknown as Buffer) : buf.subarray(c.p, c.p + vl);
    c.p += Math.max(vl, 0);
    const had = out[name];
    out[name] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
  }
  return out;
}
