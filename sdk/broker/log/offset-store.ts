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
import { lockDir } from './durable-file';
import { JsonLinesFile } from './json-lines-file';

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
  private readonly journal: JsonLinesFile<Line>;
  private readonly unlock: () => void;
  private readonly logger: Logger;
  private closed = false;

  private constructor(readonly dir: string, opts: OffsetStoreOptions) {
    this.logger = opts.logger ?? silentLogger;
    fs.mkdirSync(dir, { recursive: true });
    this.unlock = lockDir(dir, 'Offset store', '.group-offsets.lock');
    this.journal = new JsonLinesFile<Line>(path.join(dir, FILE), 'group offsets file', this.logger, opts.flushIntervalMs ?? 1000);
    try {
      this.journal.open((line) => this.apply(line));
      if (this.journal.lines > this.groupsMap.size) this.compact();
    } catch (err) {
      this.journal.close();
      this.unlock();
      throw err;
    }
  }

  static open(dir: string, opts: OffsetStoreOptions = {}): OffsetStore {
    return new OffsetStore(dir, opts);
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
    this.journal.append(line);
    this.apply(line);
    if (this.journal.lines > Math.max(MIN_LINES_BEFORE_COMPACTION, 2 * this.liveEntries())) this.compact();
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
    const out: Line[] = [];
    for (const [group, entries] of this.groupsMap) {
      out.push({ c: group, e: [...entries.values()].map((x) => [x.topic, x.partition, x.offset, x.leaderEpoch, x.metadata, x.commitTimestamp]) });
    }
    this.journal.rewrite(out);
  }

  private liveEntries(): number {
    let n = 0;
    for (const g of this.groupsMap.values()) n += g.size;
    return n;
  }

  flush(): void {
    this.journal.flush();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.journal.close();
    this.unlock();
  }
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
