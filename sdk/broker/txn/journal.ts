/**
 * The transaction log: the broker's durable record of every transactional id (its producer id,
 * epoch, timeout, state, the partitions and group offsets of its open transaction) and of the
 * aborted transactions per partition (what Fetch lists for read_committed consumers; Kafka keeps
 * these in `__transaction_state` and per-segment `.txnindex` files).
 *
 * One append-only file of JSON lines (`<dataDir>/transactions/transactions.log`, a
 * JsonLinesFile like the group offsets), each line the whole new state of one transactional id
 * or one aborted range; replayed on open (last line per id wins), rewritten atomically when
 * stale lines outnumber live ones. Every line reaches the OS before the request that caused it
 * is answered, so it survives kill -9; a 1 s timer and close() fsync it.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Logger } from '../../util/log';
import { JsonLinesFile } from '../log/json-lines-file';

export type TxnStateName = 'Empty' | 'Ongoing' | 'PrepareCommit' | 'PrepareAbort' | 'CompleteCommit' | 'CompleteAbort';

/** A pending TxnOffsetCommit entry: group, topic, partition, offset, leader epoch, metadata. */
export type PendingOffset = [string, string, number, number, number, string | null];

export interface TxnRecord {
  id: string;
  producerId: number;
  epoch: number;
  timeoutMs: number;
  state: TxnStateName;
  /** When the open transaction began (ms); 0 when none is open. */
  startedAt: number;
  /** Partitions of the open transaction: topic, partition, first offset written in it (-1: none yet). */
  partitions: Array<[string, number, number]>;
  groups: string[];
  offsets: PendingOffset[];
  /** When the coordinator last changed this id's state (ms), for transactional id expiry; absent in older logs. */
  updatedAt?: number;
}

/** An aborted transaction's range in one partition: first data offset .. its abort marker. */
export interface AbortedRange {
  topic: string;
  partition: number;
  producerId: number;
  firstOffset: number;
  lastOffset: number;
}

export type JournalLine = { t: TxnRecord } | { a: [string, number, number, number, number] } | { dt: string } | { dx: string };

const MIN_LINES_BEFORE_COMPACTION = 1000;

export interface JournalReplay {
  txn(t: TxnRecord): void;
  aborted(a: AbortedRange): void;
  dropTopic(topic: string): void;
  /** A transactional id expired (transactional.id.expiration.ms). */
  expire(id: string): void;
}

export class TxnJournal {
  private readonly file: JsonLinesFile<JournalLine>;

  /** Replays the log through `replay`; `snapshot` gives the live lines when compacting. */
  constructor(dir: string, logger: Logger, replay: JournalReplay, private readonly snapshot: () => JournalLine[]) {
    fs.mkdirSync(dir, { recursive: true });
    this.file = new JsonLinesFile<JournalLine>(path.join(dir, 'transactions.log'), 'transaction log', logger);
    this.file.open((line) => {
      if ('t' in line) replay.txn(line.t);
      else if ('a' in line) {
        const [topic, partition, producerId, firstOffset, lastOffset] = line.a;
        replay.aborted({ topic, partition, producerId, firstOffset, lastOffset });
      } else if ('dt' in line) replay.dropTopic(line.dt);
      else if ('dx' in line) replay.expire(line.dx);
    });
  }

  static lineOf(x: TxnRecord | AbortedRange): JournalLine {
    return 'id' in x ? { t: x } : { a: [x.topic, x.partition, x.producerId, x.firstOffset, x.lastOffset] };
  }

  txn(t: TxnRecord): void {
    this.write({ t });
  }

  aborted(a: AbortedRange): void {
    this.write(TxnJournal.lineOf(a));
  }

  dropTopic(topic: string): void {
    this.write({ dt: topic });
  }

  expire(id: string): void {
    this.write({ dx: id });
  }

  private write(line: JournalLine): void {
    this.file.append(line);
    if (this.file.lines > MIN_LINES_BEFORE_COMPACTION) {
      const live = this.snapshot();
      if (this.file.lines > 2 * live.length) this.file.rewrite(live);
    }
  }

  flush(): void {
    this.file.flush();
  }

  close(): void {
    this.file.close();
  }
}
