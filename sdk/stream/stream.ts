/**
 * A declarative stream of micro-batches: each operation returns a new Stream over the same
 * source; iterating one yields danfo DataFrames. The engine knows nothing about Kafka: a source
 * is anything that yields batches of rows, so pipelines run in memory (`Stream.from`, `test`).
 * A Stream holds operator factories, not operators: every run (iteration, `take`, `collect`,
 * `test`, `to`) starts from fresh window state.
 */
import type { DataFrame } from 'danfojs-node';
import { KafkalabError } from '../util/errors';
import { backoff, sleep } from '../util/retry';
import { buildFrame } from '../frame/dataframe';
import type { Schema } from '../runtime/decode/columns';
import { anonymizeOp, AnonymizeOptions, filterOp, mapOp, OperatorFactory, Row } from './operators';
import { AggSpec, windowOp, WindowOptions } from './window';
import { BatchOptions, BatchQueue } from './queue';
import { Run, type HeldCommit, type SourceControl, type SourceIterator } from './run';

export interface StreamSource {
  /**
   * Opens the source; the iterator's `return()` releases whatever it holds (consumers, groups).
   * Batches may carry `progress` marks (see BatchQueue.mark), read positions among them. An
   * iterator with a `ready` promise (a BatchQueue) says when it is positioned; others count as
   * positioned at once. `commit` and `drain`, when offered, let a run commit what its outputs'
   * acknowledgements allow and stop without dropping what was read (see run.ts).
   */
  open(control?: SourceControl): SourceIterator;
  /** A sink that writes rows to a topic (Kafka-backed sources provide one). */
  sink?(topic: string): Promise<Sink>;
  /**
   * A sink writing in Kafka transactions with the input offsets (streams in a consumer group
   * provide one): `assignment` tells it the partitions its run reads now.
   */
  transactionalSink?(topic: string, assignment: () => readonly number[] | undefined): Promise<TransactionalSink>;
}

/** Where a job's output goes in transactions: outputs and input offsets commit together (exactly-once). */
export interface TransactionalSink {
  /** Whether a transaction is open. */
  readonly open: boolean;
  /** Writes rows in the open transaction, beginning one when none is open. */
  write(rows: Row[], keyField?: string): Promise<void>;
  /** Commits the open transaction with these input positions (and window emission floor); with none open, one for the offsets alone. */
  commit(commit: HeldCommit | undefined): Promise<void>;
  /** Aborts the open transaction, if any. */
  abort(): Promise<void>;
  close(): Promise<void>;
}

/** `to()` options. */
export interface ToOptions {
  /**
   * 'at-least-once' (default): an input offset is committed after its outputs were acknowledged.
   * 'exactly-once': outputs and input offsets are written in one Kafka transaction (needs `group`).
   */
  guarantee?: 'at-least-once' | 'exactly-once';
}

export interface Sink {
  /** Writes rows; `keyField` names the field to use as the message key. */
  write(rows: Row[], keyField?: string): Promise<void>;
  close(): Promise<void>;
}

export interface StreamStats {
  batches: number;
  rows: number;
  /** Records the source could not decode, per reason (never fatal). */
  failures: Record<string, number>;
  late: number;
  untimed: number;
  watermark: number;
  warnings: string[];
  /** With a group: the offsets (partition → next offset) this run has committed. */
  committed: Record<number, number>;
  /** Exactly-once: transactions this run committed. */
  transactions: number;
  /** Exactly-once: transactions of this job (over its runs) that failed retriably before their commit, aborted and redone from the committed offsets. */
  aborted: number;
}

/** Frames whose commits follow the caller's acknowledgements (Stream.consume). */
export interface FrameConsumer extends AsyncIterator<DataFrame> {
  /** The first `rows` rows handed out (cumulative over the run) were processed. */
  ack(rows: number): void;
  return(): Promise<IteratorResult<DataFrame>>;
}

export interface Job {
  /**
   * Stops reading, writes what was already read (drains) and commits what Kafka acknowledged,
   * then releases the consumer. Rows held in open windows stay uncommitted for the next run.
   */
  stop(): Promise<void>;
  /** Settles when the job ends by itself (finite source) or fails. */
  readonly done: Promise<void>;
  readonly stats: StreamStats;
}

export function newStats(): StreamStats {
  return { batches: 0, rows: 0, failures: {}, late: 0, untimed: 0, watermark: -Infinity, warnings: [], committed: {}, transactions: 0, aborted: 0 };
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  settled: boolean;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const d: Deferred = { promise: new Promise<void>((r) => (resolve = r)), resolve: () => undefined, settled: false };
  d.resolve = () => {
    d.settled = true;
    resolve();
  };
  return d;
}

export class Stream implements AsyncIterable<DataFrame> {
  private readonly live = new Set<Run>();
  private positioned = deferred();

  constructor(
    private readonly source: StreamSource,
    private readonly ops: OperatorFactory[] = [],
    readonly stats: StreamStats = newStats(),
    /** Field the sink uses as message key (`_key` for topic rows, the `by` field after a keyed window). */
    readonly keyField = '_key',
  ) {}

  /** An in-memory stream over rows or batches of rows (tests, notebooks without Kafka). */
  static from(rows: Iterable<Row> | AsyncIterable<Row>, batch: BatchOptions = {}): Stream {
    return new Stream({
      open() {
        let stopped = false;
        const q = new BatchQueue<Row>(batch, () => {
          stopped = true;
        });
        (async () => {
          for await (const r of rows as AsyncIterable<Row>) {
            if (stopped) break;
            await q.push([r]);
          }
          q.end();
        })().catch((e) => q.fail(e));
        q.positioned();
        return q;
      },
    });
  }

  private with(op: OperatorFactory, keyField = this.keyField): Stream {
    return new Stream(this.source, [...this.ops, op], this.stats, keyField);
  }

  filter(fn: (r: Row, i: number) => unknown): Stream {
    return this.with(() => filterOp(fn));
  }

  map(fn: (r: Row, i: number) => Row | Row[] | null | undefined): Stream {
    return this.with(() => mapOp(fn));
  }

  anonymize(fields: string | string[], opts: AnonymizeOptions = {}): Stream {
    // Stateless apart from its pseudonym cache: one instance keeps one random salt across runs.
    const op = anonymizeOp(Array.isArray(fields) ? fields : [fields], opts);
    return this.with(() => op);
  }

  window(opts: WindowOptions): { agg(spec: AggSpec): Stream } {
    return {
      agg: (spec: AggSpec) => {
        windowOp(opts, spec, { late: 0, untimed: 0, watermark: -Infinity }); // bad options fail here, not at the first run
        return this.with((stats) => windowOp(opts, spec, stats), opts.by ?? this.keyField);
      },
    };
  }

  /**
   * Settles once the current (or next) run has resolved its start positions, so that records
   * produced afterwards are read even with `from: 'latest'`; also settles when that run ends
   * (a failure surfaces through the iteration, not here).
   */
  get ready(): Promise<void> {
    return this.positioned.promise;
  }

  /** Starts a run: fresh operators and stats, the source opened (see run.ts). */
  private open(trace = false, holdCommits = false): Run {
    Object.assign(this.stats, newStats()); // stats describe the latest run
    const ops = this.ops.map((make) => make(this.stats));
    if (this.positioned.settled) this.positioned = deferred();
    const positioned = this.positioned;
    const run = new Run((control) => this.source.open(control), ops, this.stats, trace, holdCommits);
    this.live.add(run);
    void run.closed.then(() => {
      this.live.delete(run);
      positioned.resolve();
    });
    if (run.it.ready) void run.it.ready.then(positioned.resolve, positioned.resolve);
    else positioned.resolve();
    return run;
  }

  /**
   * Batches of rows after every operation (the engine's own output; frames are built from it).
   * A batch counts as processed when the loop asks for the next one: only then may a group
   * commit the offsets behind it. A batch the loop breaks out of is read again by the group's
   * next run.
   */
  async *batches(): AsyncGenerator<Row[]> {
    const run = this.open();
    try {
      for (;;) {
        const rows = await run.next();
        if (!rows) break;
        yield rows;
        run.ackAll();
      }
    } finally {
      // Also after a natural end: a bounded group stream commits and leaves its group here.
      await run.close();
    }
  }

  /**
   * Frames of one run whose input offsets are committed only as the caller acknowledges them:
   * `ack(rows)` says the first `rows` rows handed out so far were processed (cumulative; a
   * frame may be acknowledged in part). For work that becomes durable later than the next read,
   * such as training from a stream (committed when the model is trained). `return()` commits
   * what was acknowledged and releases the source.
   */
  consume(): FrameConsumer {
    const run = this.open(true);
    let schema: Schema | undefined;
    return {
      next: async () => {
        const rows = await run.next();
        if (!rows) return { done: true, value: undefined };
        const built = buildFrame(rows, schema);
        schema = built.schema;
        for (const w of built.warnings) if (!this.stats.warnings.includes(w)) this.stats.warnings.push(w);
        return { done: false, value: built.df };
      },
      return: async () => {
        await run.close();
        return { done: true, value: undefined };
      },
      ack: (rows) => run.ack(rows),
    };
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<DataFrame> {
    let schema: Schema | undefined;
    for await (const rows of this.batches()) {
      const built = buildFrame(rows, schema);
      schema = built.schema;
      for (const w of built.warnings) if (!this.stats.warnings.includes(w)) this.stats.warnings.push(w);
      yield built.df;
    }
  }

  /**
   * Reads until n rows went through the pipeline (or the source ends), then releases the
   * source. With a group, it commits the input records behind the n rows it returns (up to the
   * last one's offset when no window sits between; else the batches fully taken).
   */
  async take(n: number): Promise<DataFrame> {
    const out: Row[] = [];
    if (n > 0) {
      const run = this.open(true);
      try {
        while (out.length < n) {
          const rows = await run.next();
          if (!rows) break;
          for (let i = 0; i < rows.length && out.length < n; i++) out.push(rows[i]);
        }
        run.ack(out.length);
      } finally {
        await run.close();
      }
    }
    return buildFrame(out).df;
  }

  /** Every row of a finite stream (an in-memory or bounded source). */
  async collect(): Promise<Row[]> {
    const out: Row[] = [];
    const run = this.open();
    try {
      for (let rows = await run.next(); rows; rows = await run.next()) {
        for (const r of rows) out.push(r);
        run.ackAll();
      }
    } finally {
      await run.close();
    }
    return out;
  }

  /** Runs the pipeline in memory over the given rows as one source (Quix's `sdf.test`). */
  async test(rows: Row[], batch: BatchOptions = { size: Math.max(1, rows.length), ms: 0 }): Promise<Row[]> {
    return new Stream(Stream.from(rows, batch).source, this.ops, this.stats, this.keyField).collect();
  }

  /** Starts a job writing every output row to a topic (or a sink); resolves once it runs. */
  async to(target: string | Sink, opts: ToOptions = {}): Promise<Job> {
    const guarantee = opts.guarantee ?? 'at-least-once';
    if (guarantee !== 'at-least-once' && guarantee !== 'exactly-once') {
      throw new KafkalabError(`Unknown guarantee "${String(guarantee)}"`, { code: 'BAD_OPTION', hint: "use 'at-least-once' (default) or 'exactly-once'" });
    }
    if (guarantee === 'exactly-once') return this.toInTransactions(target);
    let sink: Sink;
    if (typeof target === 'string') {
      if (!this.source.sink) {
        throw new KafkalabError(`This stream cannot write to topic "${target}"`, {
          code: 'NO_SINK',
          hint: 'streams from kafka.topic(...).stream() can; pass a Sink object for in-memory streams',
        });
      }
      sink = await this.source.sink(target);
    } else sink = target;
    const run = this.open();
    const done = (async () => {
      try {
        // At least once: a batch's input offsets are committed only after the sink's write
        // (acks=all) resolved, and only once nothing upstream still holds rows behind them.
        for (let rows = await run.next(); rows; rows = await run.next()) {
          await sink.write(rows, this.keyField);
          run.ackAll();
        }
      } finally {
        await run.close();
        await sink.close();
      }
    })();
    return jobOf(this.stats, done, () => run.drain());
  }

  /**
   * An exactly-once job: each output batch is written in a Kafka transaction together with the
   * input offsets it lets the group commit (read-process-write, as Kafka Streams' EOS). A
   * transaction commits once the offsets it carries cover every output in it (usually every
   * batch for map/filter pipelines; windows keep it open until their inputs may be committed). A rebalance
   * waits for the transaction in flight; one that takes partitions away while a transaction is
   * still open aborts it and restarts the run from the group's committed offsets. A fenced
   * producer (a newer instance with the same transactional id) fails the job.
   */
  private async toInTransactions(target: string | Sink): Promise<Job> {
    if (typeof target !== 'string' || !this.source.transactionalSink) {
      throw new KafkalabError('exactly-once needs a stream in a consumer group writing to a topic', {
        code: 'NO_TRANSACTIONS',
        hint: "kafka.topic(t).stream({ group: 'g' }).map(f).to('out', { guarantee: 'exactly-once' })",
      });
    }
    let current: Run | undefined;
    const sink = await this.source.transactionalSink(target, () => current?.it.assignment?.());
    let stopping = false;
    // One transaction step at a time: a batch's write and commit, or a rebalance waiting for them.
    let step: Promise<void> = Promise.resolve();
    const serial = (fn: () => Promise<void>): Promise<void> => (step = step.then(fn, fn));
    // A transaction commits only with input positions that cover every output in it: while the
    // positions of the last rows read are still unknown (they come with the next batch), or
    // nothing new may be committed (windows hold their inputs), it stays open.
    let failures = 0; // retriable transaction failures since the last commit
    let aborted = 0; // and in all (a run's stats start afresh)
    const commit = async (run: Run, last = false) => {
      const c = run.covered() ? run.takeCommit() : undefined;
      if (c) {
        await sink.commit(c);
        failures = 0;
        this.stats.transactions++;
        for (const [p, o] of c.offsets) this.stats.committed[p] = o;
      } else if (last) await sink.abort(); // uncommitted inputs are read again by the next run
    };
    // A transaction that fails before its commit with a retriable error (a leader that moved
    // under its sends more often than the producer retries, a coordinator moving) is aborted and
    // the run restarts from the group's committed offsets, as after a revocation: nothing of it is
    // visible to read_committed readers. Failing again and again without a commit in between fails the job.
    const abortable = async (step: () => Promise<void>): Promise<boolean> => {
      try {
        await step();
        return true;
      } catch (err) {
        // (A failed EndTxn is not retriable: its outcome is unknown, see the sink.)
        if ((err as { retriable?: boolean }).retriable !== true || ++failures > TRANSACTION_RETRIES) throw err;
        this.stats.aborted = ++aborted;
        await sink.abort().catch(() => undefined);
        return false;
      }
    };
    const done = (async () => {
      try {
        for (;;) {
          const run = (current = this.open(false, true));
          this.stats.aborted = aborted;
          run.it.beforeRebalance?.(() => serial(async () => undefined));
          let restart = false;
          let failed = false;
          try {
            let revocations = run.revocations;
            for (let rows = await run.next(); rows && !restart; rows = await run.next()) {
              const out = rows;
              await serial(async () => {
                if (!sink.open) revocations = run.revocations;
                // An empty batch: inputs without outputs whose positions may be committed (run.ts).
                if (out.length && !(await abortable(() => sink.write(out, this.keyField)))) {
                  restart = failed = true;
                  return;
                }
                run.ackAll();
                if (run.revocations !== revocations) {
                  // Partitions went away mid-transaction: their rows must not commit here.
                  await sink.abort();
                  restart = true;
                  return;
                }
                if (!(await abortable(() => commit(run)))) restart = failed = true;
              });
            }
            if (!restart) await serial(() => commit(run, true));
          } catch (err) {
            await sink.abort().catch(() => undefined);
            throw err;
          } finally {
            await run.close(); // held commits it adds are dropped: they were not written
          }
          if (!restart || stopping) return;
          if (failed) await sleep(backoff(failures - 1, { initialMs: 100, maxMs: 2000 }));
          if (stopping) return;
        }
      } finally {
        await sink.close();
      }
    })();
    return jobOf(this.stats, done, () => {
      stopping = true;
      current?.drain();
    });
  }

  /**
   * Releases every consumer this stream holds open (ends `for await` loops over it), after
   * committing what was acknowledged; a batch still being processed is not.
   */
  async stop(): Promise<void> {
    for (const run of [...this.live]) await run.close();
  }
}

/** Transactions in a row that may fail with a retriable error (each aborted, the run restarted) before an exactly-once job fails. */
const TRANSACTION_RETRIES = 8;

/** A Job over a running loop: `done` settles when the loop ends; `stop` drains it and waits. */
function jobOf(stats: StreamStats, done: Promise<void>, drain: () => void): Job {
  done.catch(() => undefined);
  return {
    stats,
    done,
    stop: async () => {
      drain();
      await done.catch(() => undefined);
    },
  };
}
