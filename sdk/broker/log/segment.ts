/**
 * One log segment: `<base>.log` holding batches exactly as stored, with its sparse `.index`
 * (offset -> position) and `.timeindex` (max timestamp so far -> offset). The active segment
 * keeps its log file open for appends and holds its indexes in memory, writing them out on
 * flush and roll; closed segments read through a shared descriptor cache and load their
 * indexes on first use, rebuilding them from the log when missing or inconsistent.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  BATCH_HEADER_SIZE,
  LOG_OVERHEAD,
  OFF_BASE_OFFSET,
  OFF_LAST_OFFSET_DELTA,
  OFF_MAX_TIMESTAMP,
  batchSizeAt,
  readInt64,
} from './batch';
import { LogError, LogErrorCode } from './config';
import { fsyncFile } from './durable-file';
import { SegmentCache } from './segment-cache';
import { readFully, scanBatches, ScanResult } from './scan';
import { SparseIndex } from './sparse-index';

/** Header bytes up to and including lastOffsetDelta: enough to know a batch's offset range. */
const HEADER_PREFIX = 27;
/** Timestamp lookups usually end within an index interval or two of where they start. */
const LOOKUP_CHUNK = 64 * 1024;

export function segmentFileName(baseOffset: number, ext: '.log' | '.index' | '.timeindex'): string {
  return String(baseOffset).padStart(20, '0') + ext;
}

export class Segment {
  readonly logPath: string;
  readonly indexPath: string;
  readonly timeIndexPath: string;
  size: number;
  /** Offset after the last batch (for a closed segment: the next segment's base offset). */
  nextOffset: number;
  /** Largest batch max timestamp seen in this segment, -1 when none has a timestamp. */
  private maxTs = -1;
  /** Whether maxTs is known; it outlives the indexes when the cache unloads them. */
  private maxTsKnown = false;
  /** Kafka's "rolling based timestamp": the first batch's max timestamp, for age-based rolls. */
  rollTimestamp = -1;
  readonly createdAt = Date.now();
  private offsetIdx: SparseIndex | null = null;
  private timeIdx: SparseIndex | null = null;
  private bytesSinceIndex = 0;
  private writeFd: number | null = null;
  private dirty = false;
  /** Where sequential readers left off: next offset -> file position, skipping the index. */
  private readonly readHints = new Map<number, number>();

  private constructor(
    readonly dir: string,
    readonly baseOffset: number,
    private readonly cache: SegmentCache,
    private readonly indexIntervalBytes: number,
  ) {
    this.logPath = path.join(dir, segmentFileName(baseOffset, '.log'));
    this.indexPath = path.join(dir, segmentFileName(baseOffset, '.index'));
    this.timeIndexPath = path.join(dir, segmentFileName(baseOffset, '.timeindex'));
    this.size = 0;
    this.nextOffset = baseOffset;
  }

  /** A new, empty active segment. */
  static create(dir: string, baseOffset: number, cache: SegmentCache, indexIntervalBytes: number): Segment {
    const s = new Segment(dir, baseOffset, cache, indexIntervalBytes);
    s.writeFd = fs.openSync(s.logPath, 'w+');
    for (const p of [s.indexPath, s.timeIndexPath]) fs.writeFileSync(p, Buffer.alloc(0));
    s.offsetIdx = new SparseIndex('offset');
    s.timeIdx = new SparseIndex('time');
    return s;
  }

  /** A closed segment whose indexes load lazily; `nextOffset` is the following segment's base. */
  static openClosed(dir: string, baseOffset: number, nextOffset: number, cache: SegmentCache, indexIntervalBytes: number): Segment {
    const s = new Segment(dir, baseOffset, cache, indexIntervalBytes);
    s.size = fs.statSync(s.logPath).size;
    s.nextOffset = nextOffset;
    return s;
  }

  /**
   * Opens the last segment for appends after a scan of every batch (CRC-checked when
   * `verifyCrc`), truncating a torn or corrupt tail and rebuilding both indexes from the log.
   */
  static recoverActive(dir: string, baseOffset: number, cache: SegmentCache, indexIntervalBytes: number, verifyCrc: boolean) {
    const s = new Segment(dir, baseOffset, cache, indexIntervalBytes);
    s.writeFd = fs.openSync(s.logPath, 'r+');
    const fileSize = fs.fstatSync(s.writeFd).size;
    const result = s.rebuildIndexes(s.writeFd, fileSize, verifyCrc);
    const truncated = fileSize - result.validEnd;
    if (truncated > 0) fs.ftruncateSync(s.writeFd, result.validEnd);
    s.size = result.validEnd;
    s.persistIndexes();
    return { segment: s, truncatedBytes: truncated, reason: result.error };
  }

  get isActive(): boolean {
    return this.writeFd !== null;
  }

  get maxTimestamp(): number {
    if (!this.isActive && !this.maxTsKnown) this.ensureIndexes();
    return this.maxTs;
  }

  /** Newest record time for retention; the file's mtime when no batch carries a timestamp. */
  largestTimestamp(): number {
    const ts = this.maxTimestamp;
    return ts >= 0 ? ts : fs.statSync(this.logPath).mtimeMs;
  }

  /**
   * Appends already-validated batches whose base offsets the caller has assigned; `batches`
   * describes each one (position within `buf`, base offset, max timestamp).
   */
  append(buf: Buffer, batches: Array<{ at: number; baseOffset: number; maxTimestamp: number }>, nextOffset: number): void {
    if (this.writeFd === null) throw new Error(`segment ${this.logPath} is closed for appends`);
    let written = 0;
    try {
      while (written < buf.length) {
        written += fs.writeSync(this.writeFd, buf, written, buf.length - written, this.size + written);
      }
    } catch (err) {
      // A partial write must not linger past the end where a later recovery could read it.
      try {
        fs.ftruncateSync(this.writeFd, this.size);
      } catch {
        /* the append error below is the one to report */
      }
      throw new LogError(LogErrorCode.KAFKA_STORAGE_ERROR, `Cannot append to ${this.logPath}: ${(err as Error).message}`, { cause: err });
    }
    const start = this.size;
    for (let i = 0; i < batches.length; i++) {
      const b = batches[i];
      const end = i + 1 < batches.length ? batches[i + 1].at : buf.length;
      this.indexBatch(b.baseOffset, b.maxTimestamp, start + b.at, end - b.at);
    }
    this.size += buf.length;
    this.nextOffset = nextOffset;
    this.dirty = true;
  }

  /** The Kafka rule: an index entry for a batch once more than indexIntervalBytes went unindexed. */
  private indexBatch(baseOffset: number, maxTimestamp: number, position: number, size: number): void {
    if (this.rollTimestamp < 0 && this.size === 0 && position === 0) this.rollTimestamp = maxTimestamp;
    if (maxTimestamp > this.maxTs) this.maxTs = maxTimestamp;
    if (this.bytesSinceIndex > this.indexIntervalBytes) {
      const rel = baseOffset - this.baseOffset;
      this.offsetIdx!.append(rel, position);
      if (this.maxTs > this.timeIdx!.lastKey()) this.timeIdx!.append(this.maxTs, rel);
      this.bytesSinceIndex = 0;
    }
    this.bytesSinceIndex += size;
  }

  /**
   * Whole batches from the one containing `offset`, up to `maxBytes` (at least one batch).
   * Null when this segment holds nothing at or after `offset`.
   */
  read(offset: number, maxBytes: number): Buffer | null {
    if (offset >= this.nextOffset || this.size === 0) return null;
    const fd = this.readFd();
    let position = this.readHints.get(offset);
    // From a hint the answer starts right there; from the index up to one interval comes first.
    let slack = 0;
    let expectedBase = -1;
    let rebuilt = false;
    if (position === undefined) {
      ({ position, expectedBase } = this.indexedPosition(offset));
      slack = this.indexIntervalBytes + 1024;
    }
    if (slack === 0) {
      const whole = this.largeBatchAt(fd, position, offset, maxBytes);
      if (whole) return whole;
    }
    for (;;) {
      if (position + LOG_OVERHEAD > this.size) return null;
      const chunk = Buffer.allocUnsafe(Math.min(this.size - position, Math.max(maxBytes, HEADER_PREFIX) + slack));
      const n = readFully(fd, chunk, chunk.length, position);
      if (expectedBase >= 0 && (n < 8 || readInt64(chunk, 0) !== expectedBase)) {
        // The index names a position that is not that batch: rebuild it from the log, retry.
        if (rebuilt) throw this.corrupt(`no batch ${expectedBase} at position ${position}`);
        this.rebuildFromLog();
        rebuilt = true;
        ({ position, expectedBase } = this.indexedPosition(offset));
        continue;
      }
      expectedBase = -1;
      let at = 0;
      let start = -1;
      while (at + HEADER_PREFIX <= n) {
        const last = readInt64(chunk, at + OFF_BASE_OFFSET) + chunk.readInt32BE(at + OFF_LAST_OFFSET_DELTA);
        if (last >= offset) {
          start = at;
          break;
        }
        at += this.checkedSize(chunk, at, position);
      }
      if (start < 0) {
        if (at === 0) return null; // not even one header fits: nothing readable here
        // Skipped every complete header in this chunk: continue right after them.
        position += at;
        slack = this.indexIntervalBytes + 1024;
        continue;
      }
      let end = start;
      let last = start;
      while (end + LOG_OVERHEAD <= n) {
        // Serve the good batches before a damaged one; the next read then reports the damage.
        const size = end === start ? this.checkedSize(chunk, end, position) : batchSizeAt(chunk, end);
        if (size < BATCH_HEADER_SIZE) break;
        if (end + size > n || (end > start && end + size - start > maxBytes)) break;
        last = end;
        end += size;
      }
      if (end > start) {
        this.rememberReadEnd(chunk, last, position + end);
        return chunk.subarray(start, end);
      }
      // The first batch alone is larger than the chunk: read exactly that batch.
      const whole = Buffer.allocUnsafe(batchSizeAt(chunk, start));
      readFully(fd, whole, whole.length, position + start);
      this.rememberReadEnd(whole, 0, position + start + whole.length);
      return whole;
    }
  }

  /**
   * From a read hint, the batch at `position` starts the answer. When it alone is larger than
   * `maxBytes` (the answer is then that batch), it is read once, exactly, instead of a chunk of
   * `maxBytes` first and the whole batch again (a third more bytes copied per Fetch when batches
   * are about twice the fetch size). Null: the general path answers (it also reports damage).
   */
  private largeBatchAt(fd: number, position: number, offset: number, maxBytes: number): Buffer | null {
    if (position + LOG_OVERHEAD > this.size) return null;
    const head = Buffer.allocUnsafe(LOG_OVERHEAD);
    if (readFully(fd, head, LOG_OVERHEAD, position) < LOG_OVERHEAD) return null;
    const size = batchSizeAt(head, 0);
    if (size <= Math.max(maxBytes, HEADER_PREFIX) || size < BATCH_HEADER_SIZE || position + size > this.size) return null;
    const whole = Buffer.allocUnsafe(size);
    if (readFully(fd, whole, size, position) < size) return null;
    if (readInt64(whole, OFF_BASE_OFFSET) + whole.readInt32BE(OFF_LAST_OFFSET_DELTA) < offset) return null;
    this.rememberReadEnd(whole, 0, position + size);
    return whole;
  }

  /** A damaged length field in a sealed segment must fail the read, not loop or run off. */
  private checkedSize(chunk: Buffer, at: number, chunkPosition: number): number {
    const size = batchSizeAt(chunk, at);
    if (size < BATCH_HEADER_SIZE || chunkPosition + at + size > this.size) {
      throw new LogError(LogErrorCode.CORRUPT_MESSAGE, `Segment ${this.logPath} has a damaged batch at position ${chunkPosition + at}`);
    }
    return size;
  }

  /** Start position for `offset` from the offset index, and the base offset expected there. */
  private indexedPosition(offset: number): { position: number; expectedBase: number } {
    this.ensureIndexes();
    const i = this.offsetIdx!.floor(offset - this.baseOffset);
    if (i < 0) return { position: 0, expectedBase: -1 };
    return { position: this.offsetIdx!.valueAt(i), expectedBase: this.baseOffset + this.offsetIdx!.keyAt(i) };
  }

  /** Lets the next sequential read (at the offset after batch `last`) skip the index. */
  private rememberReadEnd(chunk: Buffer, last: number, endPosition: number): void {
    const next = readInt64(chunk, last + OFF_BASE_OFFSET) + chunk.readInt32BE(last + OFF_LAST_OFFSET_DELTA) + 1;
    if (this.readHints.size >= 16) this.readHints.delete(this.readHints.keys().next().value as number);
    this.readHints.set(next, endPosition);
  }

  /** Where the time index says to start looking for `target`, and the batches from there. */
  findTimestamp(
    target: number,
    inBatch: (buf: Buffer, at: number) => { offset: number; timestamp: number } | null,
  ): { offset: number; timestamp: number } | null {
    if (this.size === 0 || this.maxTimestamp < target) return null;
    this.ensureIndexes();
    for (let attempt = 0; ; attempt++) {
      const t = this.timeIdx!.floor(target, true);
      const { position, expectedBase } = t >= 0 ? this.indexedPosition(this.baseOffset + this.timeIdx!.valueAt(t)) : { position: 0, expectedBase: -1 };
      let found: { offset: number; timestamp: number } | null = null;
      let misplaced = false;
      scanBatches(this.readFd(), position, this.size, false, (buf, at, pos) => {
        if (pos === position && expectedBase >= 0 && readInt64(buf, at + OFF_BASE_OFFSET) !== expectedBase) {
          misplaced = true;
          return 'misplaced';
        }
        if (readInt64(buf, at + OFF_MAX_TIMESTAMP) < target) return undefined;
        found = inBatch(buf, at);
        return found ? 'found' : undefined;
      }, LOOKUP_CHUNK);
      if (!misplaced) return found;
      if (attempt > 0) throw this.corrupt(`no batch ${expectedBase} at position ${position}`);
      this.rebuildFromLog();
    }
  }

  private rebuildFromLog(): void {
    this.readHints.clear();
    this.rebuildIndexes(this.readFd(), this.size, false);
    this.persistIndexes();
  }

  private corrupt(what: string): LogError {
    return new LogError(LogErrorCode.CORRUPT_MESSAGE, `Segment ${this.logPath} is corrupt (${what}) even after rebuilding its index`);
  }

  private readFd(): number {
    return this.writeFd ?? this.cache.fd(this.logPath);
  }

  private ensureIndexes(): void {
    if (this.offsetIdx && this.timeIdx) {
      if (!this.isActive) this.cache.touchIndexes(this, this.unloadIndexes);
      return;
    }
    const bounds = { maxRelOffset: this.nextOffset - this.baseOffset - 1, maxPosition: this.size };
    const offsetIdx = SparseIndex.readFile(this.indexPath, 'offset', bounds);
    const timeIdx = SparseIndex.readFile(this.timeIndexPath, 'time', bounds);
    // Every sealed segment with timestamped records ends its time index with its max timestamp
    // entry, so an empty one next to a non-empty log was lost, unless a rebuild already found
    // that the records carry no timestamps.
    const timeIndexLost = timeIdx !== null && timeIdx.count === 0 && this.size > 0 && !(this.maxTsKnown && this.maxTs < 0);
    if (offsetIdx && timeIdx && !timeIndexLost && this.pointsAtBatch(offsetIdx)) {
      this.offsetIdx = offsetIdx;
      this.timeIdx = timeIdx;
      this.maxTs = timeIdx.count ? timeIdx.lastKey() : -1;
    } else {
      this.rebuildFromLog();
    }
    this.maxTsKnown = true;
    this.cache.touchIndexes(this, this.unloadIndexes);
  }

  /** Closed segments' indexes are reloaded from their files when needed again. */
  private readonly unloadIndexes = (): void => {
    if (this.isActive) return;
    this.persistIndexes();
    this.offsetIdx = null;
    this.timeIdx = null;
  };

  /** The last offset index entry must name the position of the batch with that base offset. */
  private pointsAtBatch(index: SparseIndex): boolean {
    if (index.count === 0) return true;
    const header = Buffer.allocUnsafe(8);
    if (readFully(this.readFd(), header, 8, index.lastValue()) < 8) return false;
    return readInt64(header, 0) === this.baseOffset + index.lastKey();
  }

  private rebuildIndexes(fd: number, end: number, verifyCrc: boolean): ScanResult {
    this.offsetIdx = new SparseIndex('offset');
    this.timeIdx = new SparseIndex('time');
    this.offsetIdx.needsRewrite = this.timeIdx.needsRewrite = true;
    this.maxTs = -1;
    this.rollTimestamp = -1;
    this.bytesSinceIndex = 0;
    const savedSize = this.size;
    this.size = 0;
    let next = this.baseOffset;
    const result = scanBatches(fd, 0, end, verifyCrc, (buf, at, position) => {
      const base = readInt64(buf, at + OFF_BASE_OFFSET);
      if (base < next) return `offset ${base} goes backwards (expected >= ${next})`;
      const size = batchSizeAt(buf, at);
      this.indexBatch(base, readInt64(buf, at + OFF_MAX_TIMESTAMP), position, size);
      this.size = position + size;
      next = base + buf.readInt32BE(at + OFF_LAST_OFFSET_DELTA) + 1;
      return undefined;
    });
    this.size = this.isActive ? result.validEnd : savedSize;
    if (this.isActive) this.nextOffset = next;
    this.finalTimeEntry();
    return result;
  }

  /** Kafka appends a last time index entry on roll so a closed segment knows its max timestamp. */
  private finalTimeEntry(): void {
    if (this.maxTs > this.timeIdx!.lastKey()) {
      const rel = this.offsetIdx!.count ? this.offsetIdx!.lastKey() : 0;
      this.timeIdx!.append(this.maxTs, Math.max(rel, this.timeIdx!.lastValue()));
    }
  }

  persistIndexes(): void {
    for (const [file, index] of [[this.indexPath, this.offsetIdx], [this.timeIndexPath, this.timeIdx]] as const) {
      if (!index || (!index.needsRewrite && index.persisted === index.count)) continue;
      if (index.needsRewrite) fs.writeFileSync(file, index.encode(0));
      else fs.appendFileSync(file, index.encode(index.persisted));
      index.persisted = index.count;
      index.needsRewrite = false;
    }
  }

  /** fsync of the log and its indexes; what was written before survives a power loss. */
  flush(): void {
    if (!this.dirty || this.writeFd === null) return;
    this.persistIndexes();
    fs.fsyncSync(this.writeFd);
    for (const p of [this.indexPath, this.timeIndexPath]) fsyncFile(p);
    this.dirty = false;
  }

  /**
   * fsync in the background (libuv's thread pool) so the broker's thread never waits on the
   * disk. Through a descriptor of its own: fsync covers the whole file, and a roll or close of
   * the segment meanwhile cannot pull the descriptor away. Errors go to `onError`.
   */
  flushInBackground(onError: (err: Error) => void): void {
    if (!this.dirty || this.writeFd === null) return;
    this.persistIndexes();
    this.dirty = false;
    for (const file of [this.logPath, this.indexPath, this.timeIndexPath]) {
      fs.open(file, 'r', (err, fd) => {
        if (err) return err.code === 'ENOENT' ? undefined : onError(err); // deleted meanwhile
        fs.fsync(fd, (syncErr) => {
          fs.close(fd, () => undefined);
          if (syncErr) onError(syncErr);
        });
      });
    }
  }

  /** Turns the active segment into a closed one: final time entry, indexes out, fsync, close. */
  seal(): void {
    if (this.writeFd === null) return;
    this.finalTimeEntry();
    this.dirty = true;
    this.flush();
    fs.closeSync(this.writeFd);
    this.writeFd = null;
    this.maxTsKnown = true;
    this.cache.touchIndexes(this, this.unloadIndexes);
  }

  close(): void {
    if (this.writeFd !== null) {
      this.persistIndexes();
      fs.closeSync(this.writeFd);
      this.writeFd = null;
    }
    this.cache.release(this.logPath);
    this.cache.forgetIndexes(this);
  }

  delete(): void {
    this.close();
    for (const p of [this.logPath, this.indexPath, this.timeIndexPath]) fs.rmSync(p, { force: true });
  }
}
