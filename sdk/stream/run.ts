/**
 * One run of a stream pipeline: reads the source's batches, passes them through fresh
 * operators, hands out output batches, and tells the source which read positions it may commit
 * (see ledger.ts): only those whose outputs the caller acknowledged. Callers acknowledge with
 * `ack`: a job after Kafka acknowledged the write, a `for await` loop when it asks for the next
 * frame, `take(n)` for the n rows it returns.
 */
import type { Operator, Row, Lineage, SinceBy } from './operators';
import type { Batch, Progress } from './queue';
import { OffsetLedger, type InputTrace } from './ledger';

/** What a source's iterator may offer beyond rows (a BatchQueue from a Kafka source does). */
export interface SourceIterator extends AsyncIterator<Row[]> {
  /** Settles once the source is positioned (see Stream.ready). */
  ready?: Promise<void>;
  /**
   * Read positions (partition → next offset) whose outputs are all acknowledged: commit them;
   * `emitted`: event time through which the run's windows were emitted and acknowledged.
   */
  commit?(offsets: ReadonlyMap<number, number>, info?: { emitted?: number }): void;
  /** Stop reading: what is already queued is still delivered, then the iterator ends. */
  drain?(): void;
  /** In a consumer group: the partitions assigned now (undefined before the first assignment). */
  assignment?(): readonly number[] | undefined;
  /**
   * In a consumer group: `fn` runs when the group starts rebalancing, and the consumer does not
   * rejoin before its promise settles (an exactly-once job finishes its transaction there).
   */
  beforeRebalance?(fn: () => Promise<void>): void;
}

/** What a run tells the source it opens. */
export interface SourceControl {
  /** The source lost these partitions (a rebalance): nothing of theirs is committed any more. */
  revoked(partitions: number[]): void;
}

export interface RunStats {
  batches: number;
  rows: number;
}

/** Commits a run holds for its caller instead of handing them to the source (exactly-once jobs). */
export interface HeldCommit {
  offsets: Map<number, number>;
  emitted?: number;
}

export class Run {
  private readonly ledger = new OffsetLedger();
  /** Held commits (`holdCommits`): what the acknowledgements allow, not yet taken. */
  private held_: HeldCommit | undefined;
  /** Rebalances that took partitions away from this run so far. */
  revocations = 0;
  /** With `holdCommits`: per partition, the offset after the last input row read, and the last read position the source reported. */
  private readonly readTo = new Map<number, number>();
  private readonly knownTo = new Map<number, number>();
  readonly it: SourceIterator;
  private draining = false;
  private finished = false;
  private closing: Promise<void> | undefined;
  private lastSeq = 0;
  /** The one window operator whose emission floor is committed (none when there are several). */
  private readonly window: Operator | undefined;
  private markClosed!: () => void;
  /** Settles once the run closed (its source released). */
  readonly closed = new Promise<void>((resolve) => (this.markClosed = resolve));

  constructor(
    open: (control: SourceControl) => SourceIterator,
    private readonly ops: Operator[],
    private readonly stats: RunStats,
    /** Trace output rows to their input rows, so that part of a batch can be acknowledged. */
    private readonly trace = false,
    /** Keep commits for `takeCommit()` instead of telling the source (the caller commits them in a transaction). */
    private readonly holdCommits = false,
  ) {
    this.it = open({
      revoked: (partitions) => {
        this.revocations++;
        this.ledger.revoke(partitions);
        if (this.held_) for (const p of partitions) this.held_.offsets.delete(p);
      },
    });
    const windows = ops.filter((op) => op.emittedThrough);
    this.window = windows.length === 1 ? windows[0] : undefined;
  }

  /**
   * The next non-empty batch of output rows, or undefined when the run ended. With
   * `holdCommits`, also an empty batch when inputs without outputs (filtered out) made read
   * positions committable: the caller commits them (else a filtered tail of a partition would
   * stay uncommitted until more input arrives).
   */
  async next(): Promise<Row[] | undefined> {
    while (!this.finished) {
      const { value, done } = await this.it.next();
      if (done) {
        this.finished = true;
        // A finite source ended: windows still open are complete. A drained (stopped) run keeps
        // them unemitted, and their inputs uncommitted, for the next run.
        return this.draining || this.closing ? undefined : this.flush();
      }
      const rows = this.process(value as Batch<Row>);
      if (rows.length) return this.count(rows);
      if (this.held_?.offsets.size) return rows;
    }
    return undefined;
  }

  /** The first `rows` output rows of the run were processed (cumulative). */
  ack(rows: number): void {
    this.ledger.ackThrough(rows);
    this.commit();
  }

  /** Every output row handed out so far was processed. */
  ackAll(): void {
    this.ledger.ackAll();
    this.commit();
  }

  /** Stops reading; batches already queued still come out, then `next` ends. */
  drain(): void {
    if (this.draining) return;
    this.draining = true;
    if (this.it.drain) this.it.drain();
    else void this.close();
  }

  /** Commits what was acknowledged and releases the source. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        this.commit();
        await this.it.return?.();
      } finally {
        this.markClosed();
      }
    })();
    return this.closing;
  }

  private process(batch: Batch<Row>): Row[] {
    let offsets: Map<number, number> | undefined;
    for (const p of batch.progress ?? []) {
      if (p.partitions || p.emitted) deliver(this.ops, { partitions: p.partitions, emitted: p.emitted });
      if (p.offsets) for (const [partition, offset] of p.offsets) (offsets ??= new Map()).set(partition, offset);
    }
    if (this.holdCommits) this.track(batch, offsets);
    const seq = this.ledger.input(offsets);
    this.lastSeq = seq;
    const lineage: Lineage = { since: seq };
    let trace: InputTrace | undefined;
    if (this.trace) {
      trace = { partitions: new Int32Array(batch.length), offsets: new Float64Array(batch.length) };
      lineage.origin = new Array(batch.length);
      for (let i = 0; i < batch.length; i++) {
        const p = batch[i]._partition;
        trace.partitions[i] = typeof p === 'number' ? p : -1;
        trace.offsets[i] = Number(batch[i]._offset);
        lineage.origin[i] = i;
      }
    }
    let rows: Row[] = batch;
    for (const op of this.ops) rows = op.process(rows, lineage);
    for (const p of batch.progress ?? []) if (p.ended) deliver(this.ops, { ended: p.ended });
    this.ledger.output(rows.length, seq, lineage, trace);
    if (this.window) this.ledger.emitted(seq, this.window.emittedThrough!());
    this.ledger.hold(this.held());
    this.commit();
    return rows;
  }

  private flush(): Row[] | undefined {
    const out: Row[] = [];
    let since = Infinity;
    for (let i = 0; i < this.ops.length; i++) {
      const lineage: Lineage = { since: this.lastSeq };
      let rows = this.ops[i].flush?.(lineage) ?? [];
      for (const op of this.ops.slice(i + 1)) rows = op.process(rows, lineage);
      if (rows.length) since = Math.min(since, lineage.since);
      for (const r of rows) out.push(r);
    }
    // Several operators' leftovers together: attributed to every partition.
    this.ledger.output(out.length, this.lastSeq, { since });
    this.ledger.hold(this.held());
    return out.length ? this.count(out) : undefined;
  }

  /** Per source partition, the oldest input batch any operator holds rows of. */
  private held(): SinceBy {
    const by: SinceBy = new Map();
    const add = (key: unknown, seq: number) => {
      if (seq < (by.get(key) ?? Infinity)) by.set(key, seq);
    };
    for (const op of this.ops) {
      if (op.holdingBy) for (const [key, seq] of op.holdingBy()) add(key, seq);
      else {
        const h = op.holding?.();
        if (h !== undefined) add(undefined, h);
      }
    }
    return by;
  }

  private commit(): void {
    const offsets = this.ledger.take();
    if (!offsets || !offsets.size) return;
    const emitted = this.window ? this.ledger.emittedFloor() : undefined;
    if (!this.holdCommits) return this.it.commit?.(offsets, emitted === undefined ? undefined : { emitted });
    this.held_ ??= { offsets: new Map() };
    for (const [p, o] of offsets) this.held_.offsets.set(p, o);
    if (emitted !== undefined) this.held_.emitted = emitted;
  }

  private track(batch: Batch<Row>, offsets: Map<number, number> | undefined): void {
    for (const r of batch) {
      const p = r._partition;
      const o = Number(r._offset);
      if (typeof p === 'number' && o + 1 > (this.readTo.get(p) ?? 0)) this.readTo.set(p, o + 1);
    }
    if (offsets) for (const [p, o] of offsets) if (o > (this.knownTo.get(p) ?? 0)) this.knownTo.set(p, o);
  }

  /**
   * With `holdCommits`: whether the source reported the read position of every input row read
   * so far (a position comes with the batch holding the rows before it, or with the next one).
   * Outputs whose inputs' positions are not known yet cannot be committed with them.
   */
  covered(): boolean {
    for (const [p, o] of this.readTo) if ((this.knownTo.get(p) ?? 0) < o) return false;
    return true;
  }

  /** With `holdCommits`: the read positions acknowledged since the last call (partition → next offset). */
  takeCommit(): HeldCommit | undefined {
    const h = this.held_;
    this.held_ = undefined;
    return h && h.offsets.size ? h : undefined;
  }

  private count(rows: Row[]): Row[] {
    this.stats.batches++;
    this.stats.rows += rows.length;
    return rows;
  }
}

/** Progress goes to the first operator that takes it (see Operator.progress). */
function deliver(ops: Operator[], p: Progress): void {
  for (const op of ops) {
    if (op.progress) {
      op.progress(p);
      return;
    }
  }
}
