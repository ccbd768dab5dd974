/**
 * Committed consumer-group offsets, durable across restarts: one append-only file of JSON
 * lines (`<dir>/group-offsets.log`), one line per commit or deletion, replayed on open and
 * compacted (rewritten atomically as one line per group) when stale lines outnumber live ones.
 * A commit is written to the OS before it returns (it survives a kill of the process); flush()
 * and a 1 s timer fsync it. A torn last line from a crash is dropped on open.
 */
import * as fs from 'fs';
import * as path from 'path';
import { silentLogger, type Logger } from '../../util/log';
import { LogError, LogErrorCode } from './config';
import { lockDir, writeFileAtomic } from './durable-file';

export interface CommittedOffset {
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
  commitTimestamp: number;
}

export type CommittedEntry = { topic: string; partition: number } & CommittedOffset;

type Line =
  | { c: string; e: Array<[string, number, number, number, string | null, number]> }
  | { dg: string }
  | { dt: string }
  /** OffsetDelete: some partitions of one group. */
  | { dp: string; p: Array<[string, number]> };

export interface OffsetStoreOptions {
  logger?: Logger;
  /** fsync pending commits this often; 0 = only on flush() and close(). Default 1000 ms. */
  flushIntervalMs?: number;
}

const FILE = 'group-offsets.log';
const MIN_LINES_BEFORE_COMPACTION = 1000;

export class OffsetStore {
  private readonly groupsMap = new Map<string, Map<string, CommittedEntry>>();
  private fd: number;
  private lines = 0;
  private dirty = false;
  private readonly timer: NodeJS.Timeout | null;
  private readonly unlock: () => void;
  private readonly logger: Logger;
  private readonly file: string;

  private constructor(readonly dir: string, opts: OffsetStoreOptions) {
    this.logger = opts.logger ?? silentLogger;
    fs.mkdirSync(dir, { recursive: true });
    this.unlock = lockDir(dir, 'Offset store', '.group-offsets.lock');
    this.file = path.join(dir, FILE);
    try {
      this.replay();
      if (this.lines > this.groupsMap.size) this.compact();
      this.fd = fs.openSync(this.file, 'a');
    } catch (err) {
      this.unlock();
      throw err;
    }
    const interval = opts.flushIntervalMs ?? 1000;
    this.timer = interval > 0 ? setInterval(() => this.flushQuietly(), interval) : null;
    this.timer?.unref();
  }

  static open(dir: string, opts: OffsetStoreOptions = {}): OffsetStore {
    return new OffsetStore(dir, opts);
  }

  private replay(): void {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch {
      return;
    }
    const end = text.lastIndexOf('\n') + 1;
    if (end < text.length) {
      this.logger.warn('dropping a torn last line of the group offsets file', { bytes: Buffer.byteLength(text.slice(end)) });
      fs.truncateSync(this.file, Buffer.byteLength(text.slice(0, end)));
    }
    let bad = 0;
    for (const raw of text.slice(0, end).split('\n')) {
      if (!raw) continue;
      try {
        this.apply(JSON.parse(raw) as Line);
        this.lines++;
      } catch {
        bad++;
      }
    }
    if (bad) this.logger.warn('skipped unreadable lines in the group offsets file', { lines: bad });
  }

  private apply(line: Line): void {
    if ('c' in line) {
      let group = this.groupsMap.get(line.c);
      if (!group) this.groupsMap.set(line.c, (group = new Map()));
      for (const [topic, partition, offset, leaderEpoch, metadata, commitTimestamp] of line.e) {
        group.set(key(topic, partition), { topic, partition, offset, leaderEpoch, metadata, commitTimestamp });
      }
    } else if ('dg' in line) {
      this.groupsMap.delete(line.dg);
    } else if ('dp' in line) {
      const group = this.groupsMap.get(line.dp);
      for (const [topic, partition] of line.p) group?.delete(key(topic, partition));
      if (group?.size === 0) this.groupsMap.delete(line.dp);
    } else if ('dt' in line) {
      for (const [name, group] of this.groupsMap) {
        for (const [k, e] of group) if (e.topic === line.dt) group.delete(k);
        if (group.size === 0) this.groupsMap.delete(name);
      }
    }
  }

  private write(line: Line): void {
    if (this.fd < 0) throw new LogError(LogErrorCode.KAFKA_STORAGE_ERROR, `Offset store ${this.dir} is closed`);
    const bytes = Buffer.from(JSON.stringify(line) + '\n');
    let done = 0;
    while (done < bytes.length) done += fs.writeSync(this.fd, bytes, done);
    this.apply(line);
    this.lines++;
    this.dirty = true;
    if (this.lines > Math.max(MIN_LINES_BEFORE_COMPACTION, 2 * this.liveEntries())) {
      fs.closeSync(this.fd);
      this.compact();
      this.fd = fs.openSync(this.file, 'a');
    }
  }

  commit(group: string, entries: CommittedEntry[]): void {
    if (entries.length === 0) return;
    for (const e of entries) {
      if (!Number.isSafeInteger(e.offset) || !Number.isInteger(e.partition)) {
        throw new LogError(LogErrorCode.CORRUPT_MESSAGE, `Invalid committed offset ${e.offset} for ${e.topic}-${e.partition}`);
      }
    }
    this.write({ c: group, e: entries.map((x) => [x.topic, x.partition, x.offset, x.leaderEpoch, x.metadata, x.commitTimestamp]) });
  }

  fetch(group: string, topic: string, partition: number): CommittedOffset | undefined {
    const e = this.groupsMap.get(group)?.get(key(topic, partition));
    return e && { offset: e.offset, leaderEpoch: e.leaderEpoch, metadata: e.metadata, commitTimestamp: e.commitTimestamp };
  }

  list(group: string): CommittedEntry[] {
    const entries = [...(this.groupsMap.get(group)?.values() ?? [])].map((e) => ({ ...e }));
    return entries.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  }

  groups(): string[] {
    return [...this.groupsMap.keys()].sort();
  }

  deleteGroup(group: string): void {
    if (this.groupsMap.has(group)) this.write({ dg: group });
  }

  /** Forgets a group's commits for these partitions (OffsetDelete); the group goes when none are left. */
  deletePartitions(group: string, partitions: Array<{ topic: string; partition: number }>): void {
    const entries = this.groupsMap.get(group);
    const present = partitions.filter((p) => entries?.has(key(p.topic, p.partition)));
    if (present.length) this.write({ dp: group, p: present.map((p) => [p.topic, p.partition]) });
  }

  deleteTopic(topic: string): void {
    for (const group of this.groupsMap.values()) {
      for (const e of group.values()) {
        if (e.topic === topic) return this.write({ dt: topic });
      }
    }
  }

  /** Rewrites the file as one line per group, atomically (the old file stays until the rename). */
  private compact(): void {
    const out: string[] = [];
    for (const [group, entries] of this.groupsMap) {
      const e = [...entries.values()].map((x) => [x.topic, x.partition, x.offset, x.leaderEpoch, x.metadata, x.commitTimestamp]);
      out.push(JSON.stringify({ c: group, e }) + '\n');
    }
    writeFileAtomic(this.file, out.join(''));
    this.logger.debug('compacted group offsets', { before: this.lines, after: out.length });
    this.lines = out.length;
    this.dirty = false;
  }

  private liveEntries(): number {
    let n = 0;
    for (const g of this.groupsMap.values()) n += g.size;
    return n;
  }

  flush(): void {
    if (!this.dirty || this.fd < 0) return;
    fs.fsyncSync(this.fd);
    this.dirty = false;
  }

  private flushQuietly(): void {
    try {
      this.flush();
    } catch (err) {
      this.logger.error('periodic offset flush failed', { error: (err as Error).message });
    }
  }

  close(): void {
    if (this.fd < 0) return;
    if (this.timer) clearInterval(this.timer);
    this.flush();
    fs.closeSync(this.fd);
    this.fd = -1;
    this.unlock();
  }
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
