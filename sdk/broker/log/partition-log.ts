/**
 * The log of one topic partition: an ordered list of segments in `<topic>-<partition>/`, of
 * which the last is active. Appends touch batch headers only; reads answer whole stored
 * batches. Durability: an acknowledged append has been written to the OS (it survives a kill
 * of the process); flush() fsyncs it (it then survives a power loss too).
 */
import * as fs from 'fs';
import * as path from 'path';
import { silentLogger, type Logger } from '../../util/log';
import {
  BATCH_HEADER_SIZE,
  OFF_BASE_TIMESTAMP,
  OFF_LAST_OFFSET_DELTA,
  OFF_LEADER_EPOCH,
  OFF_MAGIC,
  OFF_MAX_TIMESTAMP,
  OFF_RECORD_COUNT,
  batchSizeAt,
  isControlBatch,
  readInt64,
  setMaxTimestamp,
  writeInt64,
} from './batch';
import { CorruptCompression } from './codecs';
import { LogConfig, LogError, LogErrorCode, MAX_SEGMENT_BYTES } from './config';
import { writeFileAtomic } from './durable-file';
import { resolveConfig } from './topic-configs';
import { MalformedRecords, firstRecordAtOrAfter, maxRecordTimestamp, recordSection, walkRecords } from './records';
import { cleanLog, recoverCleaning, type CleanOptions, type CleanResult, type CleanableLog } from './cleaner';
import { SegmentCache } from './segment-cache';
import { Segment } from './segment';

const EMPTY = Buffer.alloc(0);
/** Where DeleteRecords' log start offset is kept (Kafka keeps it in log-start-offset-checkpoint). */
const START_OFFSET_FILE = 'log-start-offset';
const MAX_RELATIVE_OFFSET = 0x7fffffff;

export interface PartitionLogOptions {
  config?: Partial<LogConfig>;
  /** Descriptors and indexes of closed segments, shared by every log of a LogManager. */
  cache?: SegmentCache;
  logger?: Logger;
  /** CRC-check every batch of the active segment on open (after an unclean shutdown). */
  verifyCrc?: boolean;
}

export class PartitionLog implements CleanableLog {
  private segments: Segment[] = [];
  private config: LogConfig;
  private readonly cache: SegmentCache;
  private readonly ownsCache: boolean;
  private readonly logger: Logger;
  private closed = false;
  /** Set by DeleteRecords; the first segment's base offset when lower. */
  private startOffset = 0;

  private constructor(readonly dir: string, readonly topic: string, readonly partition: number, opts: PartitionLogOptions) {
    this.config = resolveConfig(opts.config);
    this.ownsCache = !opts.cache;
    this.cache = opts.cache ?? new SegmentCache(16, 64);
    this.logger = opts.logger ?? silentLogger;
  }

  /** Opens (creating if needed) the partition directory and recovers its active segment. */
  static open(dir: string, topic: string, partition: number, opts: PartitionLogOptions = {}): PartitionLog {
    const log = new PartitionLog(dir, topic, partition, opts);
    fs.mkdirSync(dir, { recursive: true });
    const cleaning = recoverCleaning(dir);
    if (cleaning !== 'none') log.logger.info(`${cleaning} an interrupted compaction pass`, { topic, partition });
    const bases = fs
      .readdirSync(dir)
      .filter((f) => /^\d{20}\.log$/.test(f))
      .map((f) => Number(f.slice(0, 20)))
      .sort((a, b) => a - b);
    const interval = log.config.indexIntervalBytes;
    if (bases.length === 0) {
      log.segments.push(Segment.create(dir, 0, log.cache, interval));
      return log;
    }
    for (let i = 0; i + 1 < bases.length; i++) {
      log.segments.push(Segment.openClosed(dir, bases[i], bases[i + 1], log.cache, interval));
    }
    const recovered = Segment.recoverActive(dir, bases[bases.length - 1], log.cache, interval, opts.verifyCrc ?? true);
    log.segments.push(recovered.segment);
    log.startOffset = Math.min(readStartOffset(dir), log.nextOffset);
    if (recovered.truncatedBytes > 0) {
      log.logger.warn('truncated a torn or corrupt log tail', {
        topic,
        partition,
        segment: path.basename(recovered.segment.logPath),
        bytes: recovered.truncatedBytes,
        reason: recovered.reason,
        nextOffset: recovered.segment.nextOffset,
      });
    }
    return log;
  }

  get logStartOffset(): number {
    return Math.max(this.startOffset, this.segments[0].baseOffset);
  }

  /** Log end offset, which is also the high watermark (one replica, nothing uncommitted). */
  get nextOffset(): number {
    return this.active.nextOffset;
  }

  get size(): number {
    let total = 0;
    for (const s of this.segments) total += s.size;
    return total;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get effectiveConfig(): LogConfig {
    return { ...this.config };
  }

  /** Topic config changes apply from the next append or retention pass. */
  setConfig(config: Partial<LogConfig>): void {
    this.config = resolveConfig(config);
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1];
  }

  /**
   * Appends a producer's batches, assigning offsets from the log end. As Kafka does, each
   * batch's MaxTimestamp is recomputed from its records (a client's header may say -1) or, on
   * LogAppendTime topics, set to the broker's clock; the CRC-32C follows when either changes.
   * `logAppendTime` is that clock reading, or -1 on CreateTime topics.
   */
  append(batches: Buffer, leaderEpoch: number): { baseOffset: number; lastOffset: number; logAppendTime: number } {
    this.assertOpen();
    const infos: Array<{ at: number; baseOffset: number; maxTimestamp: number }> = [];
    const logAppendTime = this.config.messageTimestampType === 'LogAppendTime' ? Date.now() : -1;
    let next = this.nextOffset;
    for (let at = 0; at < batches.length; ) {
      const size = batchSizeAt(batches, at);
      if (size < BATCH_HEADER_SIZE || at + size > batches.length || batches[at + OFF_MAGIC] !== 2) {
        throw new LogError(LogErrorCode.CORRUPT_MESSAGE, `Malformed record batch at byte ${at} of ${batches.length}`);
      }
      const lastOffsetDelta = batches.readInt32BE(at + OFF_LAST_OFFSET_DELTA);
      if (lastOffsetDelta < 0) throw new LogError(LogErrorCode.CORRUPT_MESSAGE, `Negative lastOffsetDelta in batch at byte ${at}`);
      if (this.config.cleanupPolicy !== 'delete') requireKeys(batches, at, this.topic, this.partition);
      infos.push({ at, baseOffset: next, maxTimestamp: this.stampBatch(batches, at, logAppendTime) });
      next += lastOffsetDelta + 1;
      at += size;
    }
    if (infos.length === 0) throw new LogError(LogErrorCode.CORRUPT_MESSAGE, 'No record batch to append');
    if (this.shouldRoll(batches.length, infos[0].maxTimestamp, next)) this.roll();
    for (const info of infos) {
      writeInt64(batches, info.at, info.baseOffset);
      batches.writeInt32BE(leaderEpoch, info.at + OFF_LEADER_EPOCH);
    }
    this.active.append(batches, infos, next);
    return { baseOffset: infos[0].baseOffset, lastOffset: next - 1, logAppendTime };
  }

  /** Sets the batch's MaxTimestamp as Kafka would (see append) and returns it. */
  private stampBatch(buf: Buffer, at: number, logAppendTime: number): number {
    if (logAppendTime >= 0) {
      setMaxTimestamp(buf, at, true, logAppendTime);
      return logAppendTime;
    }
    let computed: { timestamp: number } | null;
    try {
      computed = maxRecordTimestamp(buf, at);
    } catch (err) {
      if (err instanceof MalformedRecords || err instanceof CorruptCompression) {
        throw new LogError(LogErrorCode.CORRUPT_MESSAGE, `Record batch at byte ${at}: ${err.message}`, { cause: err });
      }
      throw err;
    }
    // Records this Node cannot decompress: the header's claim, but never below the first
    // record's own timestamp (the base timestamp), so a -1 claim still lands in the time index.
    const timestamp = computed ? computed.timestamp : Math.max(readInt64(buf, at + OFF_MAX_TIMESTAMP), readInt64(buf, at + OFF_BASE_TIMESTAMP));
    setMaxTimestamp(buf, at, false, timestamp);
    return timestamp;
  }

  private shouldRoll(bytes: number, maxTimestamp: number, nextOffset: number): boolean {
    const a = this.active;
    if (a.size === 0) return false;
    if (a.size + bytes > Math.min(this.config.segmentBytes, MAX_SEGMENT_BYTES)) return true;
    if (nextOffset - a.baseOffset > MAX_RELATIVE_OFFSET) return true;
    // Like Kafka: the age of a segment is measured in record time when records carry it, and a
    // compacted topic rolls by max.compaction.lag.ms too, so its records become cleanable.
    const waited = a.rollTimestamp >= 0 && maxTimestamp >= 0 ? maxTimestamp - a.rollTimestamp : Date.now() - a.createdAt;
    const maxAge = this.config.cleanupPolicy === 'delete' ? this.config.segmentMs : Math.min(this.config.segmentMs, this.config.maxCompactionLagMs);
    return waited > maxAge;
  }

  /** Closes the active segment and starts a new one at the log end offset. */
  roll(): void {
    this.assertOpen();
    const old = this.active;
    if (old.size === 0) return;
    old.seal();
    this.segments.push(Segment.create(this.dir, old.nextOffset, this.cache, this.config.indexIntervalBytes));
    this.logger.debug('rolled segment', { topic: this.topic, partition: this.partition, baseOffset: old.nextOffset });
  }

  read(offset: number, maxBytes: number): Buffer {
    this.assertOpen();
    if (offset < this.logStartOffset || offset > this.nextOffset) {
      throw new LogError(
        LogErrorCode.OFFSET_OUT_OF_RANGE,
        `Offset ${offset} is out of range for ${this.topic}-${this.partition} [${this.logStartOffset}, ${this.nextOffset}]`,
      );
    }
    if (offset === this.nextOffset) return EMPTY;
    for (let i = this.segmentFor(offset); i < this.segments.length; i++) {
      const found = this.segments[i].read(offset, Math.max(1, maxBytes));
      if (found) return this.config.cleanupPolicy === 'delete' ? found : this.withNextSegment(found, i, maxBytes);
    }
    return EMPTY;
  }

  /**
   * On compacted topics, a read that ends a segment also carries the next segment's first
   * batches that fit. A cleaned batch keeps its lastOffsetDelta after its last records were
   * removed; kafkajs, fetching inside such a trailing gap and seeing no later batch, moves on
   * one offset per fetch. With the next batch in the same answer it jumps the gap at once.
   */
  private withNextSegment(found: Buffer, i: number, maxBytes: number): Buffer {
    const next = this.segments[i + 1];
    if (!next || found.length >= maxBytes) return found;
    let last = 0;
    for (let at = 0; at < found.length; at += batchSizeAt(found, at)) last = at;
    const lastOffset = readInt64(found, last) + found.readInt32BE(last + OFF_LAST_OFFSET_DELTA);
    if (this.segments[i].read(lastOffset + 1, 1)) return found; // not the segment's end: nothing to add
    const more = next.read(next.baseOffset, maxBytes - found.length);
    return more && more.length <= maxBytes - found.length ? Buffer.concat([found, more]) : found;
  }

  /** Index of the last segment whose base offset is <= offset. */
  private segmentFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.segments[mid].baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  offsetForTimestamp(ts: number): { offset: number; timestamp: number } | null {
    this.assertOpen();
    const start = this.logStartOffset;
    const inBatch = (buf: Buffer, at: number) => (isControlBatch(buf, at) ? null : firstRecordAtOrAfter(buf, at, ts, start));
    for (const segment of this.segments) {
      if (segment.nextOffset <= start) continue;
      if (segment.maxTimestamp < ts) continue;
      const found = segment.findTimestamp(ts, inBatch);
      if (found) return found;
    }
    return null;
  }

  /** ListOffsets -3 (KIP-734): the first record carrying the largest timestamp; null when empty. */
  maxTimestampOffset(): { offset: number; timestamp: number } | null {
    this.assertOpen();
    let max = -1;
    for (const segment of this.segments) if (segment.nextOffset > this.logStartOffset) max = Math.max(max, segment.maxTimestamp);
    return this.logStartOffset === this.nextOffset ? null : this.offsetForTimestamp(max);
  }

  /**
   * OffsetForLeaderEpoch with one leader epoch ever (`current`): that epoch ends at the log
   * end; any other gets Kafka's "undefined" answer (-1, -1).
   */
  endOffsetForEpoch(epoch: number, current: number): { leaderEpoch: number; endOffset: number } {
    this.assertOpen();
    return epoch === current ? { leaderEpoch: current, endOffset: this.nextOffset } : { leaderEpoch: -1, endOffset: -1 };
  }

  /**
   * DeleteRecords: makes `offset` the log start offset, durably (it survives a restart), and
   * deletes the segments wholly below it; reads below it get OFFSET_OUT_OF_RANGE. Below the
   * current start it changes nothing; past the log end it is refused with OFFSET_OUT_OF_RANGE.
   * Returns the log start offset (Kafka's low watermark).
   */
  deleteRecordsBefore(offset: number): number {
    this.assertOpen();
    if (!Number.isSafeInteger(offset) || offset > this.nextOffset || offset < 0) {
      throw new LogError(
        LogErrorCode.OFFSET_OUT_OF_RANGE,
        `Cannot delete records of ${this.topic}-${this.partition} before offset ${offset}: the log ends at ${this.nextOffset}`,
      );
    }
    if (offset <= this.logStartOffset) return this.logStartOffset;
    writeFileAtomic(path.join(this.dir, START_OFFSET_FILE), `${offset}\n`);
    this.startOffset = offset;
    // Everything readable is gone: start a new active segment so the old one can go too.
    if (offset === this.nextOffset && this.active.size > 0) this.roll();
    while (this.segments.length > 1 && this.segments[1].baseOffset <= offset) this.deleteOldest('log start offset');
    return this.logStartOffset;
  }

  /**
   * Deletes closed segments, oldest first, whose newest record is older than retentionMs, then
   * while the log exceeds retentionBytes by at least a whole segment. The active segment stays.
   */
  enforceRetention(now: number = Date.now()): number {
    this.assertOpen();
    let deleted = 0;
    const { retentionMs, retentionBytes, cleanupPolicy } = this.config;
    if (cleanupPolicy === 'compact') return 0; // compacted without delete: kept until superseded
    if (retentionMs >= 0) {
      while (this.segments.length > 1 && now - this.segments[0].largestTimestamp() > retentionMs) {
        this.deleteOldest('time');
        deleted++;
      }
    }
    if (retentionBytes >= 0) {
      let excess = this.size - retentionBytes;
      while (this.segments.length > 1 && excess >= this.segments[0].size) {
        excess -= this.segments[0].size;
        this.deleteOldest('size');
        deleted++;
      }
    }
    return deleted;
  }

  private deleteOldest(reason: 'time' | 'size' | 'log start offset'): void {
    const segment = this.segments.shift()!;
    segment.delete();
    this.logger.debug('deleted old segment', {
      topic: this.topic,
      partition: this.partition,
      reason,
      baseOffset: segment.baseOffset,
      logStartOffset: this.logStartOffset,
    });
  }

  /** One compaction pass (cleaner.ts); the LogManager's cleaner calls it when the dirty ratio says so. */
  clean(opts: CleanOptions = {}): Promise<CleanResult> {
    return cleanLog(this, { logger: this.logger, ...opts });
  }

  closedSegments(): Segment[] {
    return this.segments.slice(0, -1);
  }

  canReplace(old: Segment[]): boolean {
    return !this.closed && old.length < this.segments.length && old.every((s, i) => this.segments[i] === s);
  }

  replaceSegments(old: Segment[], bases: number[], swapFiles: () => void): void {
    for (const s of old) s.close();
    swapFiles();
    const rest = this.segments.slice(old.length);
    const fresh = bases.map((base, i) => Segment.openClosed(this.dir, base, bases[i + 1] ?? rest[0].baseOffset, this.cache, this.config.indexIntervalBytes));
    this.segments = [...fresh, ...rest];
  }

  /** fsync now: everything appended so far then survives a power loss. */
  flush(): void {
    if (!this.closed) this.active.flush();
  }

  /** The same without blocking: the periodic flush of LogManager uses this. */
  flushInBackground(onError: (err: Error) => void): void {
    if (!this.closed) this.active.flushInBackground(onError);
  }

  close(): void {
    if (this.closed) return;
    this.active.flush();
    for (const s of this.segments) s.close();
    if (this.ownsCache) this.cache.closeAll();
    this.closed = true;
  }

  /** Closes the log and removes its directory. */
  delete(): void {
    for (const s of this.segments) s.close();
    if (this.ownsCache) this.cache.closeAll();
    this.closed = true;
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new LogError(LogErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Log of ${this.topic}-${this.partition} is closed`);
    }
  }
}

/** The persisted log start offset of a partition directory, 0 when none was set. */
function readStartOffset(dir: string): number {
  try {
    const n = Number(fs.readFileSync(path.join(dir, START_OFFSET_FILE), 'utf8').trim());
    return Number.isSafeInteger(n) && n > 0 ? n : 0;
  } catch {
    return 0;
  }
}

/** Compacted topics refuse records without a key, as Kafka does (error 87 INVALID_RECORD). */
function requireKeys(buf: Buffer, at: number, topic: string, partition: number): void {
  let records;
  try {
    records = recordSection(buf, at);
  } catch {
    return; // corrupt compression is reported by the timestamp pass
  }
  if (typeof records === 'string') return; // cannot be read here: accepted unchecked
  try {
    walkRecords(records, buf.readInt32BE(at + OFF_RECORD_COUNT), (r) => {
      if (r.keyLength < 0) {
        throw new LogError(LogErrorCode.INVALID_RECORD, `Compacted topic cannot accept a record without a key (${topic}-${partition})`);
      }
    });
  } catch (err) {
    if (err instanceof MalformedRecords) return; // reported by the timestamp pass
    throw err;
  }
}
