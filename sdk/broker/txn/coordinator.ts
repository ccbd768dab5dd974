/**
 * The transaction coordinator (Kafka's KIP-98 design, transactions v1, on one node):
 *
 * - InitProducerId with a transactional id gives that id's producer its next epoch (a fresh
 *   producer id at first, or when the epoch would pass 32767); an open transaction of the older
 *   epoch is aborted first. Every later request with an older epoch is fenced (90
 *   PRODUCER_FENCED, or 47 INVALID_PRODUCER_EPOCH for request versions that predate it).
 * - AddPartitionsToTxn / AddOffsetsToTxn open the transaction (Ongoing) and register what it
 *   touches; Produce of a transactional batch is accepted only for registered partitions of
 *   the producer's open transaction; TxnOffsetCommit holds group offsets until the end.
 * - EndTxn writes a control batch (a COMMIT or ABORT marker) to every registered partition,
 *   then, on commit, the held offsets into the offset store. An aborted range (first offset
 *   .. marker) is remembered per partition for read_committed fetches.
 * - The last stable offset of a partition is the first offset of its oldest open transaction
 *   (the high watermark when none is open): read_committed consumers read up to it.
 * - Transactions open longer than their timeout are aborted and the epoch bumped, so the late
 *   producer is fenced instead of committing a half-aborted transaction.
 * - Everything is in the transaction log (journal.ts) before it is answered. At start the log
 *   is replayed: a transaction that was preparing to commit completes its commit (markers
 *   written again are harmless: consumers skip control batches), every other open one aborts
 *   with a bumped epoch.
 *
 * Single-threaded and synchronous: EndTxn completes before it is answered, so the
 * CONCURRENT_TRANSACTIONS window Kafka has (markers in flight) never opens.
 */
import * as path from 'path';
import { registerService, type BrokerState, type Service } from '../registry';
import { ErrorCode } from '../../protocol/errors';
import { RecordBatchWriter } from '../../protocol/batch-encoding';
import { CONTROL_FLAG, TRANSACTIONAL_FLAG } from '../log/batch';
import { TxnJournal, type AbortedRange, type JournalLine, type PendingOffset, type TxnRecord } from './journal';

/** Kafka's transaction.max.timeout.ms default. */
export const DEFAULT_MAX_TRANSACTION_TIMEOUT_MS = 15 * 60_000;
const MAX_EPOCH = 32767;
const MARKER_ABORT = 0;
const MARKER_COMMIT = 1;
const LEADER_EPOCH = 0;
/** First versions that may answer PRODUCER_FENCED (older clients get INVALID_PRODUCER_EPOCH). */
export const FENCED_FROM: Record<string, number> = { InitProducerId: 4, AddPartitionsToTxn: 2, AddOffsetsToTxn: 2, EndTxn: 2, TxnOffsetCommit: 2 };

export const TRANSACTIONS_SERVICE = 'transactions';

export interface TransactionSettings {
  /** Kafka's transaction.max.timeout.ms: InitProducerId asking more gets 50 INVALID_TRANSACTION_TIMEOUT. */
  maxTimeoutMs?: number;
  /** How often open transactions are checked against their timeout (and ids against their expiry). Default 1000 ms. */
  timeoutCheckMs?: number;
  /**
   * Kafka's transactional.id.expiration.ms (default 7 days): an id with no open transaction whose
   * state has not changed for this long is forgotten; its next InitProducerId gets a new producer id.
   */
  idExpirationMs?: number;
}

/** Kafka's transactional.id.expiration.ms default. */
export const DEFAULT_TRANSACTIONAL_ID_EXPIRATION_MS = 7 * 24 * 3600_000;

interface PartitionTxns {
  /** Open transactions with data here: producer id -> first offset. */
  ongoing: Map<number, number>;
  /** Aborted ranges, in marker (lastOffset) order. */
  aborted: AbortedRange[];
}

const pkey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export class TransactionCoordinator implements Service {
  private readonly txns = new Map<string, TxnRecord>();
  private readonly byProducer = new Map<number, TxnRecord>();
  private readonly parts = new Map<string, PartitionTxns>();
  private readonly journal: TxnJournal;
  private readonly timer: NodeJS.Timeout;
  readonly maxTimeoutMs: number;
  readonly idExpirationMs: number;

  constructor(private readonly broker: BrokerState) {
    const settings = (broker.config as { transactions?: TransactionSettings }).transactions ?? {};
    this.maxTimeoutMs = settings.maxTimeoutMs ?? DEFAULT_MAX_TRANSACTION_TIMEOUT_MS;
    this.idExpirationMs = settings.idExpirationMs ?? DEFAULT_TRANSACTIONAL_ID_EXPIRATION_MS;
    const logger = broker.logger.child('txn');
    this.journal = new TxnJournal(
      path.join(broker.logs.dataDir, '..', 'transactions'),
      logger,
      {
        txn: (t) => this.remember(t),
        aborted: (a) => this.addAborted(a),
        dropTopic: (topic) => this.forgetTopic(topic),
        expire: (id) => this.forget(id),
      },
      () => this.snapshot(),
    );
    this.recover();
    this.timer = setInterval(() => {
      const now = Date.now();
      this.abortTimedOut(now);
      this.expireIds(now);
    }, settings.timeoutCheckMs ?? 1000);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
    this.journal.close();
  }

  // ---- state -------------------------------------------------------------------------------

  private remember(t: TxnRecord): void {
    t.updatedAt ??= Date.now(); // a log written before expiry existed: count from now
    const old = this.txns.get(t.id);
    if (old && old.producerId !== t.producerId) this.byProducer.delete(old.producerId);
    this.txns.set(t.id, t);
    this.byProducer.set(t.producerId, t);
  }

  private save(t: TxnRecord): void {
    t.updatedAt = Date.now();
    this.remember(t);
    this.journal.txn(t);
  }

  private part(topic: string, partition: number): PartitionTxns {
    const k = pkey(topic, partition);
    let p = this.parts.get(k);
    if (!p) this.parts.set(k, (p = { ongoing: new Map(), aborted: [] }));
    return p;
  }

  private addAborted(a: AbortedRange): void {
    const list = this.part(a.topic, a.partition).aborted;
    if (list.some((x) => x.producerId === a.producerId && x.firstOffset === a.firstOffset)) return;
    list.push(a);
  }

  private forget(id: string): void {
    const t = this.txns.get(id);
    if (!t) return;
    this.txns.delete(id);
    if (this.byProducer.get(t.producerId) === t) this.byProducer.delete(t.producerId);
  }

  /** Forgets ids idle past transactional.id.expiration.ms (no open transaction); returns how many. */
  expireIds(now: number): number {
    let n = 0;
    for (const t of [...this.txns.values()]) {
      const idle = t.state === 'Empty' || t.state === 'CompleteCommit' || t.state === 'CompleteAbort';
      if (!idle || now - (t.updatedAt ?? now) <= this.idExpirationMs) continue;
      this.forget(t.id);
      this.journal.expire(t.id);
      this.broker.logger.info('transactional id expired', { transactionalId: t.id, producerId: t.producerId });
      n++;
    }
    return n;
  }

  private forgetTopic(topic: string): void {
    for (const k of [...this.parts.keys()]) if (k.startsWith(topic + '\u0000')) this.parts.delete(k);
  }

  /** Live lines for a compacted log: every transactional id, and aborted ranges still in their logs. */
  private snapshot(): JournalLine[] {
    const lines = [...this.txns.values()].map((t) => TxnJournal.lineOf(t));
    for (const p of this.parts.values()) {
      for (const a of p.aborted) {
        const log = this.broker.logs.partition(a.topic, a.partition);
        if (log && a.lastOffset >= log.logStartOffset) lines.push(TxnJournal.lineOf(a));
      }
    }
    return lines;
  }

  private recover(): void {
    for (const t of this.txns.values()) {
      for (const [topic, partition, first] of t.partitions) if (first >= 0) this.part(topic, partition).ongoing.set(t.producerId, first);
    }
    for (const t of [...this.txns.values()]) {
      if (t.state === 'PrepareCommit') this.complete(t, true);
      else if (t.state === 'PrepareAbort') this.complete(t, false);
      else if (t.state === 'Ongoing') {
        this.broker.logger.info('aborting a transaction left open by the last broker run', { transactionalId: t.id });
        this.bumpEpoch(t);
        this.complete(t, false);
      }
    }
  }

  // ---- producer ids and fencing ----------------------------------------------------------

  /** InitProducerId for a transactional id. */
  initProducerId(id: string, timeoutMs: number, producerId: number, epoch: number, version: number): { errorCode: number; producerId: number; producerEpoch: number } {
    const fail = (errorCode: number) => ({ errorCode, producerId: -1, producerEpoch: -1 });
    if (id === '') return fail(ErrorCode.INVALID_REQUEST);
    if (!(timeoutMs > 0) || timeoutMs > this.maxTimeoutMs) return fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    let t = this.txns.get(id);
    if (t && producerId >= 0 && (producerId !== t.producerId || epoch !== t.epoch)) {
      return fail(this.fencedCode('InitProducerId', version));
    }
    if (!t) {
      const fresh = this.broker.producers.newProducerId();
      t = { id, producerId: fresh.producerId, epoch: 0, timeoutMs, state: 'Empty', startedAt: 0, partitions: [], groups: [], offsets: [] };
    } else {
      this.bumpEpoch(t);
      if (t.state === 'Ongoing') this.complete(t, false); // the older epoch's transaction never commits
      t.state = 'Empty';
      t.timeoutMs = timeoutMs;
    }
    this.save(t);
    return { errorCode: ErrorCode.NONE, producerId: t.producerId, producerEpoch: t.epoch };
  }

  private bumpEpoch(t: TxnRecord): void {
    if (t.epoch < MAX_EPOCH - 1) {
      t.epoch++;
      return;
    }
    // Out of epochs: the transactional id moves to a new producer id (markers of the open
    // transaction still go out under the old one, which is what its batches carry).
    const fresh = this.broker.producers.newProducerId();
    if (t.state !== 'Ongoing') {
      this.byProducer.delete(t.producerId);
      t.producerId = fresh.producerId;
      t.epoch = 0;
    } else t.epoch = MAX_EPOCH;
  }

  fencedCode(api: string, version: number): number {
    return version >= (FENCED_FROM[api] ?? 0) ? ErrorCode.PRODUCER_FENCED : ErrorCode.INVALID_PRODUCER_EPOCH;
  }

  /** The transaction a coordinator request names, or the error to answer. */
  private lookup(id: string, producerId: number, epoch: number, api: string, version: number): TxnRecord | number {
    const t = this.txns.get(id);
    if (!t || t.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (epoch !== t.epoch) return this.fencedCode(api, version);
    return t;
  }

  private begin(t: TxnRecord): void {
    if (t.state === 'Ongoing') return;
    t.state = 'Ongoing';
    t.startedAt = Date.now();
    t.partitions = [];
    t.groups = [];
    t.offsets = [];
  }

  // ---- the transaction APIs --------------------------------------------------------------

  addPartitions(id: string, producerId: number, epoch: number, topics: Array<{ name: string; partitions: number[] }>, version: number) {
    const t = this.lookup(id, producerId, epoch, 'AddPartitionsToTxn', version);
    const exists = (topic: string, p: number) => this.broker.logs.partition(topic, p) !== undefined;
    const unknown = topics.some((x) => x.partitions.some((p) => !exists(x.name, p)));
    const codeFor = (topic: string, p: number) =>
      typeof t === 'number' ? t : unknown ? (exists(topic, p) ? ErrorCode.OPERATION_NOT_ATTEMPTED : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) : ErrorCode.NONE;
    const results = topics.map((x) => ({ name: x.name, resultsByPartition: x.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: codeFor(x.name, p) })) }));
    if (typeof t === 'number' || unknown) return results;
    this.begin(t);
    let added = false;
    for (const x of topics) {
      for (const p of x.partitions) {
        if (t.partitions.some(([topic, q]) => topic === x.name && q === p)) continue;
        t.partitions.push([x.name, p, -1]);
        added = true;
      }
    }
    if (added || t.partitions.length === 0) this.save(t);
    return results;
  }

  addOffsets(id: string, producerId: number, epoch: number, group: string, version: number): number {
    const t = this.lookup(id, producerId, epoch, 'AddOffsetsToTxn', version);
    if (typeof t === 'number') return t;
    if (group === '') return ErrorCode.INVALID_GROUP_ID;
    this.begin(t);
    if (!t.groups.includes(group)) t.groups.push(group);
    this.save(t);
    return ErrorCode.NONE;
  }

  /** TxnOffsetCommit: holds the offsets until EndTxn. Returns one error code for every partition. */
  commitOffsets(id: string, producerId: number, epoch: number, group: string, entries: Array<[string, number, number, number, string | null]>, version: number): number {
    const t = this.lookup(id, producerId, epoch, 'TxnOffsetCommit', version);
    if (typeof t === 'number') return t;
    if (t.state !== 'Ongoing' || !t.groups.includes(group)) return ErrorCode.INVALID_TXN_STATE;
    for (const [topic, partition, offset, leaderEpoch, metadata] of entries) {
      t.offsets = t.offsets.filter(([g, tp, p]) => !(g === group && tp === topic && p === partition));
      t.offsets.push([group, topic, partition, offset, leaderEpoch, metadata]);
    }
    this.save(t);
    return ErrorCode.NONE;
  }

  endTxn(id: string, producerId: number, epoch: number, commit: boolean, version: number): number {
    const t = this.lookup(id, producerId, epoch, 'EndTxn', version);
    if (typeof t === 'number') return t;
    if (t.state === 'Ongoing') {
      this.complete(t, commit);
      return ErrorCode.NONE;
    }
    // A retried EndTxn whose first attempt completed.
    if ((t.state === 'CompleteCommit' && commit) || (t.state === 'CompleteAbort' && !commit)) return ErrorCode.NONE;
    return ErrorCode.INVALID_TXN_STATE;
  }

  /**
   * Produce of a transactional batch to `topic`/`partition`, whose first offset would be
   * `nextOffset`: 0 to go ahead, or the error code. Records the partition's first offset in the
   * transaction log before the batch is appended, so a crash between the two still aborts it.
   */
  beforeAppend(id: string | null, producerId: number, epoch: number, topic: string, partition: number, nextOffset: number): { code: number; message?: string } {
    const t = this.byProducer.get(producerId);
    if (!t || (id !== null && t.id !== id)) return { code: ErrorCode.INVALID_PRODUCER_ID_MAPPING, message: `no transactional id owns producer ${producerId}` };
    if (epoch < t.epoch) return { code: ErrorCode.INVALID_PRODUCER_EPOCH, message: `producer ${producerId} epoch ${epoch} is fenced (current ${t.epoch})` };
    if (epoch > t.epoch) return { code: ErrorCode.INVALID_PRODUCER_EPOCH, message: `producer ${producerId} epoch ${epoch} is unknown (current ${t.epoch})` };
    const entry = t.state === 'Ongoing' ? t.partitions.find(([tp, p]) => tp === topic && p === partition) : undefined;
    if (!entry) return { code: ErrorCode.INVALID_TXN_STATE, message: `${topic}-${partition} is not part of an open transaction of ${t.id}` };
    if (entry[2] < 0) {
      entry[2] = nextOffset;
      this.part(topic, partition).ongoing.set(producerId, nextOffset);
      this.save(t);
    }
    return { code: ErrorCode.NONE };
  }

  /** Writes the markers, applies (commit) or drops (abort) the held offsets, and closes the transaction. */
  private complete(t: TxnRecord, commit: boolean): void {
    t.state = commit ? 'PrepareCommit' : 'PrepareAbort';
    this.save(t);
    for (const [topic, partition, first] of t.partitions) {
      const marker = this.writeMarker(topic, partition, t.producerId, t.epoch, commit);
      const p = this.part(topic, partition);
      p.ongoing.delete(t.producerId);
      if (!commit && first >= 0 && marker >= 0) {
        const range = { topic, partition, producerId: t.producerId, firstOffset: first, lastOffset: marker };
        this.addAborted(range);
        this.journal.aborted(range);
      }
    }
    if (commit && t.offsets.length) {
      const byGroup = new Map<string, PendingOffset[]>();
      for (const o of t.offsets) byGroup.set(o[0], [...(byGroup.get(o[0]) ?? []), o]);
      const now = Date.now();
      for (const [group, list] of byGroup) {
        this.broker.offsets.commit(
          group,
          list.map(([, topic, partition, offset, leaderEpoch, metadata]) => ({ topic, partition, offset, leaderEpoch, metadata, commitTimestamp: now })),
        );
      }
    }
    t.state = commit ? 'CompleteCommit' : 'CompleteAbort';
    t.partitions = [];
    t.groups = [];
    t.offsets = [];
    t.startedAt = 0;
    this.save(t);
  }

  /** A one-record control batch; returns its offset (-1 when the partition is gone). */
  private writeMarker(topic: string, partition: number, producerId: number, epoch: number, commit: boolean): number {
    const log = this.broker.logs.partition(topic, partition);
    if (!log) return -1;
    const key = Buffer.alloc(4);
    key.writeInt16BE(0, 0); // version
    key.writeInt16BE(commit ? MARKER_COMMIT : MARKER_ABORT, 2);
    const value = Buffer.alloc(6); // version 0, coordinator epoch 0
    const w = new RecordBatchWriter(128);
    w.append(key, value, Date.now());
    const batch = Buffer.from(w.finish({ producerId, producerEpoch: epoch, baseSequence: -1, attributes: TRANSACTIONAL_FLAG | CONTROL_FLAG }));
    const { baseOffset } = log.append(batch, LEADER_EPOCH);
    this.broker.appends.notify(topic, partition);
    return baseOffset;
  }

  abortTimedOut(now: number): number {
    let n = 0;
    for (const t of [...this.txns.values()]) {
      if (t.state !== 'Ongoing' || now - t.startedAt <= t.timeoutMs) continue;
      this.broker.logger.info('aborting a transaction past its timeout', { transactionalId: t.id, timeoutMs: t.timeoutMs });
      this.bumpEpoch(t);
      this.complete(t, false);
      n++;
    }
    return n;
  }

  // ---- what fetches and offset fetches ask -----------------------------------------------

  /** The last stable offset: the first offset of the oldest open transaction here, else `highWatermark`. */
  lastStableOffset(topic: string, partition: number, highWatermark: number): number {
    const p = this.parts.get(pkey(topic, partition));
    if (!p || p.ongoing.size === 0) return highWatermark;
    let lso = highWatermark;
    for (const first of p.ongoing.values()) if (first < lso) lso = first;
    return lso;
  }

  /** Aborted transactions overlapping offsets [from, to], as Fetch lists them. */
  abortedBetween(topic: string, partition: number, from: number, to: number): Array<{ producerId: number; firstOffset: number }> {
    const list = this.parts.get(pkey(topic, partition))?.aborted;
    if (!list || list.length === 0) return [];
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid].lastOffset < from) lo = mid + 1;
      else hi = mid;
    }
    const out = [];
    for (let i = lo; i < list.length; i++) if (list[i].firstOffset <= to) out.push({ producerId: list[i].producerId, firstOffset: list[i].firstOffset });
    return out;
  }

  /** Whether an open transaction holds an offset for this group's partition (OffsetFetch require_stable). */
  hasPendingOffset(group: string, topic: string, partition: number): boolean {
    for (const t of this.txns.values()) {
      if (t.state === 'Ongoing' && t.offsets.some(([g, tp, p]) => g === group && tp === topic && p === partition)) return true;
    }
    return false;
  }

  dropTopic(topic: string): void {
    if (![...this.parts.keys()].some((k) => k.startsWith(topic + '\u0000'))) return;
    this.forgetTopic(topic);
    this.journal.dropTopic(topic);
  }

  /** The state of one transactional id (DescribeTransactions, tests). */
  describe(id: string): Readonly<TxnRecord> | undefined {
    return this.txns.get(id);
  }

  /** Every transactional id the coordinator knows (ListTransactions). */
  list(): Readonly<TxnRecord>[] {
    return [...this.txns.values()];
  }
}

registerService(TRANSACTIONS_SERVICE, (broker) => new TransactionCoordinator(broker));

export function transactionsOf(broker: BrokerState): TransactionCoordinator {
  return broker.service<TransactionCoordinator>(TRANSACTIONS_SERVICE);
}
