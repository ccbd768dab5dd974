/**
 * A declarative stream of micro-batches: each operation returns a new Stream over the same
 * source; iterating one yields danfo DataFrames. The engine knows nothing about Kafka: a source
 * is anything that yields batches of rows, so pipelines run in memory (`Stream.from`, `test`).
 * A Stream holds operator factories, not operators: every run (iteration, `take`, `collect`,
 * `test`, `to`) starts from fresh window state.
 */
import type { DataFrame } from 'danfojs-node';
import { KafkalabError } from '../util/errors';
import { buildFrame } from '../frame/dataframe';
import type { Schema } from '../runtime/decode/columns';
import { anonymizeOp, AnonymizeOptions, filterOp, mapOp, Operator, OperatorFactory, Row } from './operators';
import { AggSpec, windowOp, WindowOptions } from './window';
import { Batch, BatchOptions, BatchQueue, Progress } from './queue';

export interface StreamSource {
  /**
   * Opens the source; the iterator's `return()` releases whatever it holds (consumers, groups).
   * Batches may carry `progress` marks (see BatchQueue.mark). An iterator with a `ready`
   * promise (a BatchQueue) says when it is positioned; others count as positioned at once.
   */
  open(): AsyncIterator<Row[]> & { ready?: Promise<void> };
  /** A sink that writes rows to a topic (Kafka-backed sources provide one). */
  sink?(topic: string): Promise<Sink>;
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
}

export interface Job {
  /** Stops reading, flushes what was produced, releases the consumer. */
  stop(): Promise<void>;
  /** Settles when the job ends by itself (finite source) or fails. */
  readonly done: Promise<void>;
  readonly stats: StreamStats;
}

export function newStats(): StreamStats {
  return { batches: 0, rows: 0, failures: {}, late: 0, untimed: 0, watermark: -Infinity, warnings: [] };
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
  private readonly live = new Set<AsyncIterator<Row[]>>();
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

  /** Batches of rows after every operation (the engine's own output; frames are built from it). */
  async *batches(): AsyncGenerator<Row[]> {
    Object.assign(this.stats, newStats()); // stats describe the latest run
    const ops = this.ops.map((make) => make(this.stats));
    if (this.positioned.settled) this.positioned = deferred();
    const positioned = this.positioned;
    const it = this.source.open();
    this.live.add(it);
    if (it.ready) void it.ready.then(positioned.resolve, positioned.resolve);
    else positioned.resolve();
    try {
      for (;;) {
        const { value, done } = await it.next();
        if (done) break;
        const batch = value as Batch<Row>;
        for (const p of batch.progress ?? []) if (p.partitions) deliver(ops, { partitions: p.partitions });
        let rows: Row[] = batch;
        for (const op of ops) rows = op.process(rows);
        for (const p of batch.progress ?? []) if (p.ended) deliver(ops, { ended: p.ended });
        if (rows.length) yield this.count(rows);
      }
      // End of a finite source: windows still open are complete now.
      for (let i = 0; i < ops.length; i++) {
        let rows = ops[i].flush?.() ?? [];
        for (const op of ops.slice(i + 1)) rows = op.process(rows);
        if (rows.length) yield this.count(rows);
      }
    } finally {
      this.live.delete(it);
      positioned.resolve();
      // Also after a natural end: a bounded group stream leaves its group here.
      await it.return?.();
    }
  }

  private count(rows: Row[]): Row[] {
    this.stats.batches++;
    this.stats.rows += rows.length;
    return rows;
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

  /** Reads until n rows went through the pipeline (or the source ends), then releases the source. */
  async take(n: number): Promise<DataFrame> {
    const out: Row[] = [];
    if (n > 0) {
      for await (const rows of this.batches()) {
        for (const r of rows) {
          out.push(r);
          if (out.length >= n) break;
        }
        if (out.length >= n) break;
      }
    }
    return buildFrame(out).df;
  }

  /** Every row of a finite stream (an in-memory or bounded source). */
  async collect(): Promise<Row[]> {
    const out: Row[] = [];
    for await (const rows of this.batches()) out.push(...rows);
    return out;
  }

  /** Runs the pipeline in memory over the given rows as one source (Quix's `sdf.test`). */
  async test(rows: Row[], batch: BatchOptions = { size: Math.max(1, rows.length), ms: 0 }): Promise<Row[]> {
    return new Stream(Stream.from(rows, batch).source, this.ops, this.stats, this.keyField).collect();
  }

  /** Starts a job writing every output row to a topic (or a sink); resolves once it runs. */
  async to(target: string | Sink): Promise<Job> {
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
    const gen = this.batches();
    let stopping = false;
    const done = (async () => {
      try {
        for await (const rows of gen) {
          await sink.write(rows, this.keyField);
          if (stopping) break;
        }
      } finally {
        await sink.close();
      }
    })();
    done.catch(() => undefined);
    return {
      stats: this.stats,
      done,
      stop: async () => {
        stopping = true;
        for (const it of [...this.live]) await it.return?.();
        await done.catch(() => undefined);
      },
    };
  }

  /** Releases every consumer this stream holds open (ends `for await` loops over it). */
  async stop(): Promise<void> {
    for (const it of [...this.live]) await it.return?.();
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
