/**
 * Log compaction (`cleanup.policy=compact`): keeps the last record of every key, as Kafka's
 * log cleaner does. One pass over a partition:
 *   1. The cleanable range is the closed segments from the log start up to the active segment,
 *      or to the first segment with records younger than min.compaction.lag.ms. Below the
 *      cleaner checkpoint it is clean (already compacted), above it dirty.
 *   2. An offset map (key -> last offset) is built from the dirty part, bounded in memory.
 *   3. Every segment of the range is rewritten, grouped up to segment.bytes, into
 *      `<base>.log.cleaned` files: a record stays unless a later offset has its key, or it is a
 *      tombstone (null value) whose segment was last written more than delete.retention.ms ago.
 *      Records keep their offsets (gaps are normal in compacted topics); a batch keeps its
 *      base offset and lastOffsetDelta, so clients skip a gap at its end as with Kafka.
 *   4. Commit, crash-safe: the fsynced `.cleaned` files are named in `cleaner-swap.json`
 *      (written atomically: the commit point), then the old segments are deleted and each
 *      `.cleaned` renamed over. recoverCleaning() at open either drops an unfinished pass
 *      (no manifest) or finishes a committed one, so kill -9 at any moment loses nothing.
 * Records without a key are kept (Kafka's cleaner drops them; here compacted topics refuse them
 * on produce, so only records written before the topic became compacted have none). Batches
 * whose records cannot be read here (zstd on Node < 22.15) are kept whole. The pass yields to
 * the event loop after every chunk it reads, so produce and fetch keep being served.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Logger } from '../../util/log';
import { crc32c } from '../../protocol/crc32c';
import {
  BATCH_HEADER_SIZE,
  OFF_ATTRIBUTES,
  OFF_BASE_OFFSET,
  OFF_BASE_TIMESTAMP,
  OFF_CRC,
  OFF_LENGTH,
  OFF_MAX_TIMESTAMP,
  OFF_RECORD_COUNT,
  COMPRESSION_MASK,
  LOG_APPEND_TIME_FLAG,
  batchSizeAt,
  isControlBatch,
  readInt64,
  writeInt64,
} from './batch';
import { MAX_SEGMENT_BYTES, type LogConfig } from './config';
import { fsyncDir, writeFileAtomic } from './durable-file';
import { readFully } from './scan';
import { recordSection, walkRecords } from './records';
import { segmentFileName, type Segment } from './segment';

const MANIFEST = 'cleaner-swap.json';
const CHECKPOINT = 'cleaner-checkpoint';
const CLEANED = '.log.cleaned';
const CHUNK = 1 << 20;
/** Bytes an offset-map entry costs beyond its key (Map slot, string header, number). */
const ENTRY_OVERHEAD = 64;
const MAX_RELATIVE_OFFSET = 0x7fffffff;

/** What a pass needs of a partition log (PartitionLog provides it). */
export interface CleanableLog {
  readonly dir: string;
  readonly topic: string;
  readonly partition: number;
  readonly isClosed: boolean;
  readonly effectiveConfig: LogConfig;
  readonly logStartOffset: number;
  /** The closed segments, oldest first (never the active one). */
  closedSegments(): Segment[];
  /**
   * Replaces `old` (still the oldest segments, same objects) by segments opened from the
   * committed files; false when the log changed meanwhile (the pass is then abandoned).
   */
  canReplace(old: Segment[]): boolean;
  /** Closes `old`, runs `swapFiles`, then opens the segments now at `bases` in their place. */
  replaceSegments(old: Segment[], bases: number[], swapFiles: () => void): void;
}

export interface CleanResult {
  cleaned: boolean;
  /** Why nothing was cleaned, when it was not. */
  reason?: string;
  bytesBefore?: number;
  bytesAfter?: number;
  recordsRemoved?: number;
  firstDirtyOffset?: number;
}

class Aborted extends Error {}

// ---------------------------------------------------------------------------------------------
// Checkpoint and recovery

/** The first offset not yet compacted (everything below it was cleaned at least once). */
export function readCheckpoint(dir: string): number {
  try {
    const n = Number(fs.readFileSync(path.join(dir, CHECKPOINT), 'utf8').trim());
    return Number.isSafeInteger(n) && n > 0 ? n : 0;
  } catch {
    return 0;
  }
}

/**
 * Runs before a partition directory is opened: finishes a pass whose manifest was committed,
 * removes the files of one that was not. Returns what it did, for the log.
 */
export function recoverCleaning(dir: string): 'none' | 'finished' | 'discarded' {
  let did: 'none' | 'finished' | 'discarded' = 'none';
  const manifestPath = path.join(dir, MANIFEST);
  let manifest: { groups: Array<{ base: number; members: number[] }> } | null = null;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  } catch {
    manifest = null; // none, or torn before its atomic rename: the pass did not commit
  }
  if (manifest) {
    for (const g of manifest.groups) finishSwap(dir, g.base, g.members);
    fsyncDir(dir);
    did = 'finished';
  }
  fs.rmSync(manifestPath, { force: true });
  fs.rmSync(`${manifestPath}.tmp`, { force: true });
  for (const f of fs.readdirSync(dir)) {
    if (f.endsWith(CLEANED)) {
      fs.rmSync(path.join(dir, f), { force: true });
      if (did === 'none') did = 'discarded';
    }
  }
  return did;
}

/** Deletes a group's old segment files and moves its cleaned file in; idempotent. */
function finishSwap(dir: string, base: number, members: number[]): void {
  const cleaned = path.join(dir, segmentFileName(base, '.log') + '.cleaned');
  if (!fs.existsSync(cleaned)) return; // this group was already swapped
  for (const m of members) {
    for (const ext of ['.log', '.index', '.timeindex'] as const) fs.rmSync(path.join(dir, segmentFileName(m, ext)), { force: true });
  }
  fs.renameSync(cleaned, path.join(dir, segmentFileName(base, '.log')));
}

// ---------------------------------------------------------------------------------------------
// Deciding when

/**
 * Dirty ratio of the cleanable range (Kafka's min.cleanable.dirty.ratio rule), and whether a
 * dirty record has waited longer than max.compaction.lag.ms.
 */
export function cleanableState(log: CleanableLog, now: number): { dirtyBytes: number; cleanBytes: number; ratio: number; overdue: boolean; range: Segment[] } {
  const config = log.effectiveConfig;
  const checkpoint = readCheckpoint(log.dir);
  const range: Segment[] = [];
  for (const s of log.closedSegments()) {
    if (config.minCompactionLagMs > 0 && now - s.largestTimestamp() < config.minCompactionLagMs) break;
    range.push(s);
  }
  let dirtyBytes = 0;
  let cleanBytes = 0;
  let firstDirty: Segment | undefined;
  for (const s of range) {
    if (s.baseOffset >= checkpoint) {
      dirtyBytes += s.size;
      firstDirty ??= s;
    } else cleanBytes += s.size;
  }
  const total = dirtyBytes + cleanBytes;
  const overdue = firstDirty !== undefined && config.maxCompactionLagMs < Number.MAX_SAFE_INTEGER && now - firstDirtyTimestamp(firstDirty) > config.maxCompactionLagMs;
  return { dirtyBytes, cleanBytes, ratio: total === 0 ? 0 : dirtyBytes / total, overdue, range };
}

/** The first batch's timestamp of a segment (an estimate of its oldest record's age). */
function firstDirtyTimestamp(s: Segment): number {
  const head = Buffer.allocUnsafe(BATCH_HEADER_SIZE);
  const fd = fs.openSync(s.logPath, 'r');
  try {
    if (readFully(fd, head, BATCH_HEADER_SIZE, 0) < BATCH_HEADER_SIZE) return Date.now();
  } finally {
    fs.closeSync(fd);
  }
  const ts = readInt64(head, OFF_BASE_TIMESTAMP);
  return ts >= 0 ? ts : fs.statSync(s.logPath).mtimeMs;
}

// ---------------------------------------------------------------------------------------------
// One pass

export interface CleanOptions {
  now?: number;
  /** Clean even below min.cleanable.dirty.ratio (tests, explicit requests). */
  force?: boolean;
  /** Offset-map memory bound. Default 32 MiB. */
  bufferBytes?: number;
  logger?: Logger;
}

export async function cleanLog(log: CleanableLog, opts: CleanOptions = {}): Promise<CleanResult> {
  const now = opts.now ?? Date.now();
  const config = log.effectiveConfig;
  if (!config.cleanupPolicy.includes('compact')) return { cleaned: false, reason: 'not a compacted topic' };
  const state = cleanableState(log, now);
  if (state.dirtyBytes === 0) return { cleaned: false, reason: 'nothing dirty' };
  if (!opts.force && !state.overdue && state.ratio < config.minCleanableDirtyRatio) {
    return { cleaned: false, reason: `dirty ratio ${state.ratio.toFixed(3)} below ${config.minCleanableDirtyRatio}` };
  }
  const stop = () => {
    if (log.isClosed) throw new Aborted('log closed');
  };
  const checkpoint = readCheckpoint(log.dir);
  const written: string[] = [];
  try {
    // 2. Offset map over the dirty part, whole segments while the memory bound allows.
    const map = new Map<string, number>();
    let mapBytes = 0;
    const budget = opts.bufferBytes ?? 32 * 1024 * 1024;
    let end = 0; // index in range after the last segment whose keys are in the map
    for (let i = 0; i < state.range.length; i++) {
      const s = state.range[i];
      if (s.baseOffset < checkpoint) {
        end = i + 1;
        continue;
      }
      if (mapBytes > budget && end > 0 && state.range[end - 1].baseOffset >= checkpoint) break;
      await forEachBatch(s.logPath, s.size, stop, (buf, at) => {
        forEachKeyedRecord(buf, at, (key, offset) => {
          const prev = map.get(key);
          if (prev === undefined) mapBytes += key.length + ENTRY_OVERHEAD;
          map.set(key, offset);
        });
      });
      end = i + 1;
    }
    const members = state.range.slice(0, end);
    const firstDirtyOffset = end < state.range.length ? state.range[end].baseOffset : members[members.length - 1].nextOffset;

    // 3. Rewrite. A cleaned segment gathers source segments until it holds segment.bytes, so
    // small leftovers of earlier passes merge (positions stay int32, offsets within 2^31).
    const groups: Segment[][] = [];
    let recordsRemoved = 0;
    let bytesAfter = 0;
    let out: OutputFile | null = null;
    let mtime = 0;
    const closeGroup = () => {
      if (!out) return;
      bytesAfter += out.finish();
      fs.utimesSync(out.file, new Date(), new Date(mtime));
      out = null;
    };
    try {
      for (const s of members) {
        const group = groups[groups.length - 1];
        const full =
          !out || out.size >= config.segmentBytes || out.size + s.size > MAX_SEGMENT_BYTES || s.nextOffset - group[0].baseOffset > MAX_RELATIVE_OFFSET;
        if (full) {
          closeGroup();
          const target = path.join(log.dir, segmentFileName(s.baseOffset, '.log') + '.cleaned');
          written.push(target);
          out = new OutputFile(target);
          mtime = 0;
          groups.push([s]);
        } else group.push(s);
        const segMtime = fs.statSync(s.logPath).mtimeMs;
        mtime = Math.max(mtime, segMtime);
        const dropTombstones = now - segMtime > config.deleteRetentionMs;
        const sink: OutputFile = out!;
        await forEachBatch(s.logPath, s.size, stop, (buf, at) => {
          const kept = filterBatch(buf, at, (key, offset, tombstone) => {
            if (key === null) return true;
            const latest = map.get(key);
            if (latest !== undefined && offset < latest) return false;
            return !(tombstone && dropTombstones);
          });
          recordsRemoved += kept.removed;
          if (kept.batch) sink.write(kept.batch);
        });
      }
      closeGroup();
    } catch (err) {
      (out as OutputFile | null)?.abandon();
      throw err;
    }

    // 4. Commit (synchronous from here: nothing else runs on the log meanwhile).
    stop();
    if (!log.canReplace(members)) throw new Aborted('the log changed during the pass');
    const manifest = { groups: groups.map((g) => ({ base: g[0].baseOffset, members: g.map((s) => s.baseOffset) })) };
    writeFileAtomic(path.join(log.dir, MANIFEST), JSON.stringify(manifest));
    const bytesBefore = members.reduce((n, s) => n + s.size, 0);
    log.replaceSegments(members, manifest.groups.map((g) => g.base), () => {
      for (const g of manifest.groups) finishSwap(log.dir, g.base, g.members);
      fsyncDir(log.dir);
      fs.rmSync(path.join(log.dir, MANIFEST), { force: true });
    });
    writeFileAtomic(path.join(log.dir, CHECKPOINT), `${firstDirtyOffset}\n`);
    opts.logger?.info('compacted partition', { topic: log.topic, partition: log.partition, bytesBefore, bytesAfter, recordsRemoved, segments: `${members.length} -> ${groups.length}` });
    return { cleaned: true, bytesBefore, bytesAfter, recordsRemoved, firstDirtyOffset };
  } catch (err) {
    for (const f of written) fs.rmSync(f, { force: true });
    if (err instanceof Aborted) return { cleaned: false, reason: err.message };
    if (log.isClosed) return { cleaned: false, reason: 'log closed' }; // deleted or stopped meanwhile
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Batches and records

async function forEachBatch(file: string, size: number, stop: () => void, visit: (buf: Buffer, at: number) => void): Promise<void> {
  const fd = fs.openSync(file, 'r');
  try {
    let chunk = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(size, 12)));
    for (let pos = 0; pos < size; ) {
      stop();
      const n = readFully(fd, chunk, Math.min(chunk.length, size - pos), pos);
      let at = 0;
      for (;;) {
        const bsize = batchSizeAt(chunk, at, n);
        if (bsize < 0) break;
        if (bsize < BATCH_HEADER_SIZE) throw new Error(`${file}: damaged batch at position ${pos + at}`);
        if (at + bsize > n) {
          if (at === 0) {
            if (pos + bsize > size) throw new Error(`${file}: truncated batch at position ${pos}`);
            chunk = Buffer.allocUnsafe(bsize);
          }
          break;
        }
        visit(chunk, at);
        at += bsize;
      }
      if (at === 0 && n < chunk.length) throw new Error(`${file}: truncated batch at position ${pos}`);
      pos += at;
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Calls `fn` with each keyed record's key (as a latin1 string) and offset. */
function forEachKeyedRecord(buf: Buffer, at: number, fn: (key: string, offset: number) => void): void {
  if (isControlBatch(buf, at)) return;
  const records = recordSection(buf, at);
  if (typeof records === 'string') return; // unreadable here: these keys stay out of the map
  const base = readInt64(buf, at + OFF_BASE_OFFSET);
  walkRecords(records, buf.readInt32BE(at + OFF_RECORD_COUNT), (r) => {
    if (r.keyLength >= 0) fn(records.toString('latin1', r.keyStart, r.keyStart + r.keyLength), base + r.offsetDelta);
  });
}

/**
 * The batch at `at` with only the records `keep` accepts: the same bytes when all stay, null
 * when none does, otherwise a new uncompressed batch with the same base offset, base timestamp
 * and lastOffsetDelta holding the kept records' bytes unchanged.
 */
function filterBatch(
  buf: Buffer,
  at: number,
  keep: (key: string | null, offset: number, tombstone: boolean) => boolean,
): { batch: Buffer | null; removed: number } {
  const size = batchSizeAt(buf, at);
  const whole = { batch: buf.subarray(at, at + size), removed: 0 };
  if (isControlBatch(buf, at)) return whole;
  const records = recordSection(buf, at);
  if (typeof records === 'string') return whole;
  const base = readInt64(buf, at + OFF_BASE_OFFSET);
  const baseTimestamp = readInt64(buf, at + OFF_BASE_TIMESTAMP);
  const kept: Array<[number, number]> = [];
  let count = 0;
  let maxDelta = -Infinity;
  walkRecords(records, buf.readInt32BE(at + OFF_RECORD_COUNT), (r) => {
    count++;
    const key = r.keyLength >= 0 ? records.toString('latin1', r.keyStart, r.keyStart + r.keyLength) : null;
    if (!keep(key, base + r.offsetDelta, r.valueLength < 0)) return;
    kept.push([r.start, r.end]);
    maxDelta = Math.max(maxDelta, r.timestampDelta);
  });
  if (kept.length === count) return whole;
  if (kept.length === 0) return { batch: null, removed: count };
  const body = kept.reduce((n, [s, e]) => n + e - s, 0);
  const out = Buffer.allocUnsafe(BATCH_HEADER_SIZE + body);
  buf.copy(out, 0, at, at + BATCH_HEADER_SIZE);
  let pos = BATCH_HEADER_SIZE;
  for (const [s, e] of kept) pos += records.copy(out, pos, s, e);
  out.writeInt32BE(out.length - 12, OFF_LENGTH);
  const attributes = out.readInt16BE(OFF_ATTRIBUTES) & ~COMPRESSION_MASK;
  out.writeInt16BE(attributes, OFF_ATTRIBUTES);
  if (!(attributes & LOG_APPEND_TIME_FLAG)) writeInt64(out, OFF_MAX_TIMESTAMP, baseTimestamp + maxDelta);
  out.writeInt32BE(kept.length, OFF_RECORD_COUNT);
  out.writeUInt32BE(crc32c(out, OFF_ATTRIBUTES), OFF_CRC);
  return { batch: out, removed: count - kept.length };
}

/** Buffered appends to a `.cleaned` file, fsynced on finish. */
class OutputFile {
  private fd: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private written = 0;

  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'w');
  }

  write(b: Buffer): void {
    this.pending.push(Buffer.from(b)); // the source chunk is reused by the reader
    this.pendingBytes += b.length;
    if (this.pendingBytes >= CHUNK) this.drain();
  }

  private drain(): void {
    if (!this.pendingBytes) return;
    const data = Buffer.concat(this.pending, this.pendingBytes);
    for (let done = 0; done < data.length; ) done += fs.writeSync(this.fd, data, done, data.length - done, this.written + done);
    this.written += data.length;
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** Bytes written so far, buffered ones included. */
  get size(): number {
    return this.written + this.pendingBytes;
  }

  finish(): number {
    this.drain();
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.fd = -1;
    return this.written;
  }

  abandon(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}
