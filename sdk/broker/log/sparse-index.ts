/**
 * Kafka-style sparse indexes, one entry per `indexIntervalBytes` of log, held as two sorted
 * numeric columns and searched by bisection. On disk they use Kafka's entry layouts:
 *   .index      relativeOffset int32, position int32          (8 bytes)
 *   .timeindex  timestamp int64, relativeOffset int32          (12 bytes)
 * Both columns only grow, so a "largest key <= x" search answers every lookup.
 */
import * as fs from 'fs';
import { readInt64, writeInt64 } from './batch';

export type IndexKind = 'offset' | 'time';

/** Columns typed as on disk: int32 relative offsets and positions, timestamps as doubles. */
export class SparseIndex {
  private keys: Int32Array | Float64Array;
  private values: Int32Array;
  count = 0;
  /** Entries already written to the index file; the rest are appended on the next persist. */
  persisted = 0;
  /** Set when entries that were on disk got dropped, so the file must be rewritten whole. */
  needsRewrite = false;

  constructor(readonly kind: IndexKind, capacity = 16) {
    this.keys = kind === 'offset' ? new Int32Array(capacity) : new Float64Array(capacity);
    this.values = new Int32Array(capacity);
  }

  get entrySize(): number {
    return this.kind === 'offset' ? 8 : 12;
  }

  append(key: number, value: number): void {
    if (this.count === this.keys.length) {
      const keys = this.kind === 'offset' ? new Int32Array(this.count * 2) : new Float64Array(this.count * 2);
      const values = new Int32Array(this.count * 2);
      keys.set(this.keys);
      values.set(this.values);
      this.keys = keys;
      this.values = values;
    }
    this.keys[this.count] = key;
    this.values[this.count] = value;
    this.count++;
  }

  lastKey(): number {
    return this.count ? this.keys[this.count - 1] : -1;
  }

  lastValue(): number {
    return this.count ? this.values[this.count - 1] : -1;
  }

  /** Index of the last entry whose key is <= key (or < key when `strict`), -1 when none is. */
  floor(key: number, strict = false): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const k = this.keys[mid];
      if (strict ? k < key : k <= key) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  keyAt(i: number): number {
    return this.keys[i];
  }

  valueAt(i: number): number {
    return this.values[i];
  }

  /** File bytes of entries [from, count). */
  encode(from = 0): Buffer {
    const size = this.entrySize;
    const out = Buffer.allocUnsafe((this.count - from) * size);
    for (let i = from, at = 0; i < this.count; i++, at += size) {
      if (this.kind === 'offset') {
        out.writeInt32BE(this.keys[i], at);
        out.writeInt32BE(this.values[i], at + 4);
      } else {
        writeInt64(out, at, this.keys[i]);
        out.writeInt32BE(this.values[i], at + 8);
      }
    }
    return out;
  }

  /**
   * Reads an index file's bytes; null when they are not a consistent index (torn size,
   * decreasing columns, offsets or positions out of the segment's bounds).
   */
  static decode(kind: IndexKind, buf: Buffer, bounds: { maxRelOffset: number; maxPosition: number }): SparseIndex | null {
    const index = new SparseIndex(kind, Math.max(16, buf.length / (kind === 'offset' ? 8 : 12)));
    const size = index.entrySize;
    if (buf.length % size !== 0) return null;
    let prevKey = -Infinity;
    let prevValue = -Infinity;
    for (let at = 0; at < buf.length; at += size) {
      const key = kind === 'offset' ? buf.readInt32BE(at) : readInt64(buf, at);
      const value = kind === 'offset' ? buf.readInt32BE(at + 4) : buf.readInt32BE(at + 8);
      const rel = kind === 'offset' ? key : value;
      const position = kind === 'offset' ? value : 0;
      if (key < prevKey || value < prevValue || rel < 0 || rel > bounds.maxRelOffset || position < 0 || position >= bounds.maxPosition) {
        return null;
      }
      index.append(key, value);
      prevKey = key;
      prevValue = value;
    }
    index.persisted = index.count;
    return index;
  }

  /** The index in `file`, or null when it is missing or inconsistent (see decode). */
  static readFile(file: string, kind: IndexKind, bounds: { maxRelOffset: number; maxPosition: number }): SparseIndex | null {
    let buf: Buffer;
    try {
      buf = fs.readFileSync(file);
    } catch {
      return null;
    }
    return SparseIndex.decode(kind, buf, bounds);
  }
}
