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

export class Run {
  private readonly ledger = new OffsetLedger();
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
  ) {
    this.it = open({ revoked: (partitions) => this.ledger.revoke(partitions) });
    const windows = ops.filter((op) => op.emittedThrough);
    this.window = windows.length === 1 ? windows[0] : undefined;
  }

  /** The next non-empty batch of output rows, or undefined when the run ended. */
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
    if (offsets && offsets.size) this.it.commit?.(offsets, this.window ? { emitted: this.ledger.emittedFloor() } : undefined);
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
