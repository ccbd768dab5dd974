/**
 * A stream source in a consumer group: kafkajs's consumer for membership, assignment and
 * fetching, with kafkalab deciding what is committed. kafkajs's own commits are off
 * (`autoCommit: false`): the run commits a read position only when every output derived from
 * the records before it was acknowledged (see stream/ledger.ts), so neither a kill -9 nor a
 * stop() loses a committed record.
 *
 * - Positions: `from` applies to partitions without a committed offset when the stream starts.
 * - Rebalances: a revoked partition's rows still queued are dropped and nothing of it is
 *   committed any more (its new owner reads it from the last commit); acknowledged positions
 *   are committed as soon as they are known, and once more when kafkajs starts rejoining. A
 *   kept partition is fetched again from its committed offset by kafkajs: records this reader
 *   queued already are skipped.
 * - `drain()` pauses fetching and ends the queue after what it holds; closing commits what was
 *   handed over, then leaves the group.
 * - With `to`, end offsets are resolved when the stream starts and the member's stream ends
 *   once every partition assigned to it reached its end offset (then it leaves the group, and a
 *   rebalance hands the others' remaining partitions to the members still reading). Offsets past
 *   `to` are neither emitted nor committed, so the next bounded run of the group starts there.
 */
import type { Consumer } from 'kafkajs';
import type { Row } from '../stream/operators';
import { BatchQueue } from '../stream/queue';
import type { SourceControl, SourceIterator } from '../stream/run';
import type { StreamStats } from '../stream/stream';
import type { KafkaClient } from './client';
import type { KafkajsMessage } from './fetcher';
import { resolveTopicRanges } from './read';
import { RowDecoder, type SourceOptions } from './source';

/** How long a group consumer's Fetch may wait for data: bounds how long stop/break/close take. */
const GROUP_MAX_WAIT_MS = 250;

/**
 * Commits read positions through the consumer, one request at a time: positions that arrive
 * while a commit is in flight are sent together after it. A failed commit (a rebalance, a lost
 * coordinator) is retried with the next positions or when the source closes.
 */
class Committer {
  private readonly wanted = new Map<number, number>();
  private readonly sent = new Map<number, number>();
  private running: Promise<void> | undefined;
  /** Commit metadata sent with every offset (the run's window emission floor). */
  private metadata: string | null = null;

  constructor(
    private readonly send: (offsets: [number, number][], metadata: string | null) => Promise<void>,
    private readonly owns: (partition: number) => boolean,
    private readonly onCommitted: (offsets: [number, number][]) => void,
    private readonly onError: (err: unknown) => void,
  ) {}

  request(offsets: ReadonlyMap<number, number>, emitted?: number): void {
    for (const [p, o] of offsets) if (this.owns(p)) this.wanted.set(p, o);
    if (emitted !== undefined) this.metadata = commitMetadata(emitted);
    this.kick();
  }

  forget(partitions: number[]): void {
    for (const p of partitions) {
      this.wanted.delete(p);
      this.sent.delete(p);
    }
  }

  kick(): void {
    this.running ??= this.loop().finally(() => (this.running = undefined));
  }

  /** Sends what is still due and waits for it. */
  async flush(): Promise<void> {
    await this.running;
    this.kick();
    await this.running;
  }

  private async loop(): Promise<void> {
    for (;;) {
      const due = [...this.wanted].filter(([p, o]) => this.owns(p) && this.sent.get(p) !== o);
      if (!due.length) return;
      try {
        await this.send(due, this.metadata);
      } catch (err) {
        this.onError(err);
        return;
      }
      for (const [p, o] of due) if (this.wanted.get(p) === o) this.sent.set(p, o);
      this.onCommitted(due);
    }
  }
}

export class GroupSource implements SourceIterator {
  private readonly q: BatchQueue<Row>;
  private readonly decoder: RowDecoder;
  private readonly consumer: Consumer;
  private readonly committer: Committer;
  private readonly bounded: boolean;
  private readonly endOf = new Map<number, number>();
  private readonly done = new Set<number>();
  /** Per partition, the offset after the last record queued: a kept partition refetched after a rebalance resumes there. */
  private readonly queuedTo = new Map<number, number>();
  private assigned: number[] | undefined;
  private stopped = false;
  private draining = false;
  private readonly started: Promise<void>;
  private untrack = () => {};
  /** Runs before the consumer rejoins a rebalancing group (see SourceIterator.beforeRebalance). */
  private rebalanceHook: (() => Promise<void>) | undefined;
  private rebalanceWork: Promise<void> | undefined;

  constructor(
    private readonly conn: KafkaClient,
    private readonly topic: string,
    private readonly opts: SourceOptions & { group: string },
    private readonly stats: StreamStats,
    private readonly control?: SourceControl,
  ) {
    this.decoder = new RowDecoder(opts, stats, conn.schemaRegistry);
    this.consumer = conn.kafka.consumer({ groupId: opts.group, allowAutoTopicCreation: false, maxWaitTimeInMs: GROUP_MAX_WAIT_MS });
    this.bounded = opts.to !== undefined;
    this.q = new BatchQueue<Row>(opts.batch, () => this.release());
    this.committer = new Committer(
      (offsets, metadata) => this.consumer.commitOffsets(offsets.map(([partition, offset]) => ({ topic, partition, offset: String(offset), metadata }))),
      (p) => this.assigned?.includes(p) ?? false,
      (offsets) => {
        for (const [p, o] of offsets) stats.committed[p] = o;
      },
      (err) => {
        const w = `a commit failed (${(err as Error)?.message ?? err}); it is retried with the next one`;
        if (!stats.warnings.includes(w)) stats.warnings.push(w);
      },
    );
    this.untrack = conn.track(async () => {
      await this.q.return();
    });
    this.started = this.start();
    this.started.catch((e) => {
      if (!this.stopped) this.q.fail(e);
    });
  }

  get ready(): Promise<void> {
    return this.q.ready;
  }

  next(): Promise<IteratorResult<Row[]>> {
    return this.q.next();
  }

  return(): Promise<IteratorResult<Row[]>> {
    return this.q.return();
  }

  commit(offsets: ReadonlyMap<number, number>, info?: { emitted?: number }): void {
    this.committer.request(offsets, info?.emitted);
  }

  assignment(): readonly number[] | undefined {
    return this.assigned;
  }

  beforeRebalance(fn: () => Promise<void>): void {
    this.rebalanceHook = fn;
  }

  /** The hook's work for this rebalance (started once, awaited by whoever returns control to kafkajs). */
  private rebalancing(): Promise<void> {
    if (!this.rebalanceHook) return Promise.resolve();
    this.rebalanceWork ??= this.rebalanceHook()
      .catch(() => undefined)
      .finally(() => (this.rebalanceWork = undefined));
    return this.rebalanceWork;
  }

  drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      this.consumer.pause([{ topic: this.topic }]);
    } catch {
      // not running yet: nothing is fetched anyway
    }
    this.q.end();
  }

  private async release(): Promise<void> {
    this.stopped = true;
    this.untrack();
    await this.started.catch(() => undefined);
    await this.committer.flush();
    await this.consumer.disconnect(); // sends LeaveGroup: no member left behind
  }

  /** Whether records of this partition are still wanted now. */
  private reading(p: number): boolean {
    return !this.draining && !this.stopped && !this.done.has(p) && (this.assigned?.includes(p) ?? false);
  }

  /**
   * Waits until the queue has room. A slow consumer of the stream blocks the push; the
   * membership is kept alive meanwhile. False when the group is rebalancing: kafkajs must
   * rejoin now, so the caller returns.
   */
  private async room(pushed: Promise<void>, heartbeat: () => Promise<void>): Promise<boolean> {
    const done = pushed.then(() => true);
    while (!(await Promise.race([done, new Promise<false>((r) => setTimeout(() => r(false), 3000).unref())]))) {
      if (!(await heartbeat().then(() => true, () => false))) {
        await this.rebalancing(); // before kafkajs rejoins: an exactly-once job ends its transaction
        return false;
      }
    }
    return true;
  }

  private finishIfDone(): void {
    if (this.bounded && this.assigned && this.assigned.every((p) => this.done.has(p))) this.q.end();
  }

  private finish(partitions: number[]): void {
    const fresh = partitions.filter((p) => !this.done.has(p));
    if (!fresh.length) return;
    for (const p of fresh) this.done.add(p);
    this.consumer.pause([{ topic: this.topic, partitions: fresh }]);
    this.q.mark({ ended: fresh });
    this.finishIfDone();
  }

  /** The group's committed offsets now, and the window emission floor committed with each (see window.ts). */
  private async committedAt(): Promise<Map<number, { offset: number; emitted?: number }>> {
    const c = await this.conn.admin.fetchOffsets({ groupId: this.opts.group, topics: [this.topic] });
    return new Map((c[0]?.partitions ?? []).map((p) => [p.partition, { offset: Number(p.offset), emitted: emittedOf(p.metadata) }]));
  }

  /**
   * A new assignment. Revoked partitions are dropped. Gained partitions are paused until their
   * start is known: their committed offset if the group has one now (asked at this moment, not
   * when the stream started: another member may have committed since), else the position
   * resolved from `from` when the stream started (also 'latest': the end then, not at the first
   * fetch). Bounded streams then end partitions whose start is already at their end.
   */
  private assign(mine: number[], ranges: { partition: number; from: number }[]): void {
    const { topic } = this;
    const before = this.assigned ?? [];
    const revoked = before.filter((p) => !mine.includes(p));
    const gained = mine.filter((p) => !before.includes(p));
    if (revoked.length) {
      for (const p of revoked) this.queuedTo.delete(p);
      this.q.discard((r) => revoked.includes(r._partition as number), revoked);
      this.committer.forget(revoked);
      this.control?.revoked(revoked);
    }
    this.assigned = mine;
    this.q.mark({ partitions: mine });
    this.q.positioned();
    if (!gained.length) {
      this.finishIfDone();
      return;
    }
    this.consumer.pause([{ topic, partitions: gained }]);
    this.committedAt().then(
      (committed) => {
        const start = new Map<number, number>();
        const emitted = new Map<number, number>();
        for (const p of gained) {
          const c = committed.get(p)?.offset ?? -1;
          const e = committed.get(p)?.emitted;
          if (c >= 0 && e !== undefined) emitted.set(p, e);
          const from = ranges.find((x) => x.partition === p)?.from ?? 0;
          start.set(p, c >= 0 ? c : from);
          if (c < 0 && this.assigned?.includes(p)) this.consumer.seek({ topic, partition: p, offset: String(from) });
        }
        // Before any of their records: windows the previous reader emitted are not emitted again.
        if (emitted.size) this.q.mark({ emitted });
        const mineNow = gained.filter((p) => this.assigned?.includes(p) && !this.done.has(p));
        if (this.bounded) {
          // Partitions whose start is already at their end produce no batch to tell us.
          const empty = mineNow.filter((p) => (start.get(p) as number) >= (this.endOf.get(p) as number));
          if (empty.length) this.finish(empty);
          else this.finishIfDone();
        }
        const resume = mineNow.filter((p) => !this.done.has(p));
        if (resume.length && !this.draining) this.consumer.resume([{ topic, partitions: resume }]);
      },
      (err) => this.q.fail(err),
    );
  }

  private async start(): Promise<void> {
    const { topic, opts, consumer } = this;
    const ranges = await resolveTopicRanges(this.conn, topic, { ...opts, to: opts.to ?? 'latest' }, { from: 'latest', to: 'latest' });
    for (const r of ranges) this.endOf.set(r.partition, r.to);
    // Last chance to commit with the current generation before kafkajs rejoins.
    consumer.on(consumer.events.REBALANCING, () => {
      this.committer.kick();
      void this.rebalancing();
    });
    consumer.on(consumer.events.GROUP_JOIN, (e) => this.assign((e.payload.memberAssignment[topic] ?? []).filter((p) => this.endOf.has(p)), ranges));
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: (opts.from ?? 'latest') === 'earliest' });
    if (this.stopped) return;
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, heartbeat, resolveOffset }) => {
        const p = batch.partition;
        const end = this.bounded ? (this.endOf.get(p) ?? Infinity) : Infinity;
        // Read up to here: the batch's last offset (control records included), or `to`.
        const batchEnd = Math.min(end, Number(batch.lastOffset()) + 1);
        const queuedFrom = this.queuedTo.get(p) ?? -1;
        const messages = batch.messages;
        const loading = this.decoder.prepare(messages as KafkajsMessage[]);
        if (loading) await loading;
        // A micro-batch's worth at a time, each followed by its read position and waiting for
        // room: memory stays bounded by the queue, a stop does not have a whole fetch to write,
        // and commits follow batch by batch. What is not queued is not resolved: whoever reads
        // the partition next fetches it again.
        for (let i = 0; ; ) {
          if (!this.reading(p)) return;
          let next = -1;
          for (let rows = 0; i < messages.length && rows < this.q.size; i++) {
            const offset = Number(messages[i].offset);
            if (offset >= end) {
              i = messages.length;
              break;
            }
            if (offset >= queuedFrom) {
              this.decoder.add(p, messages[i] as KafkajsMessage); // kafkajs drops control records itself
              rows++;
            }
            next = offset + 1;
          }
          const whole = i >= messages.length;
          if (whole) next = batchEnd;
          if (next > (this.queuedTo.get(p) ?? -1)) {
            this.queuedTo.set(p, next);
            resolveOffset(String(next - 1));
            // Rows are queued synchronously, then the position after them; the promise waits for room.
            const pushed = this.q.push(this.decoder.take());
            this.q.mark({ offsets: new Map([[p, next]]) });
            if (whole && this.bounded && next >= end) this.finish([p]);
            if (!(await this.room(pushed, heartbeat))) return;
          } else if (whole && this.bounded && next >= end) this.finish([p]);
          if (whole) return;
        }
      },
    });
  }
}

/** The commit metadata a kafkalab stream writes: the window emission floor (see window.ts). */
export function commitMetadata(emitted: number): string {
  return JSON.stringify({ kafkalab: { emitted } });
}

/** The window emission floor in a commit's metadata, when a kafkalab stream wrote it. */
function emittedOf(metadata: string | null | undefined): number | undefined {
  if (!metadata) return undefined;
  try {
    const v = (JSON.parse(metadata) as { kafkalab?: { emitted?: unknown } })?.kafkalab?.emitted;
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined; // another client's metadata
  }
}
