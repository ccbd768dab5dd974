/**
 * Bounded reads into a DataFrame: positions resolved with ListOffsets (watermarks and the
 * timestamp index), then group-less Fetch rounds (read-part.ts), the next request in flight
 * while a response's record batches are decoded in place into one typed column set per
 * partition; kafkajs's regular fetch is the fallback route (read-worker.ts).
 */
import * as os from 'os';
import { ColumnSet } from '../runtime/decode/columns';
import { RecordDecoder, type DecodeOptions } from '../runtime/decode/record-decoder';
import { SchemaCache } from '../runtime/decode/schema/schemas';
import { attrsOf, toDataFrame, type DataFrame, type ReadReport } from '../frame/dataframe';
import { KafkalabError } from '../util/errors';
import { retry } from '../util/retry';
import type { KafkaClient } from './client';
import type { PartOutput, ReadSchema } from './read-part';
import { cloneable, readInWorker, runPart, type ReadEngine } from './read-worker';
import { parsePosition, partitionsToRead, resolveRanges, timestampsOf, type OffsetRange, type Position, type TimeOffsets } from './position';

export interface ReadOptions extends DecodeOptions {
  /** First position to read (default 'earliest'). */
  from?: Position;
  /** Position to stop before (default 'latest', the end of each partition when the read starts). */
  to?: Position;
  /** Most rows in the frame. */
  limit?: number;
  /** Only these partitions. */
  partitions?: number[];
  /** Add a `_headers` column (JSON text of the record headers). */
  headers?: boolean;
  /** Bytes per partition per Fetch request (default 1 MiB). */
  fetchBytes?: number;
  /**
   * Worker threads for decoding: a number, true (one per core, up to 4) or false. Default:
   * threads (cores - 1, at most 4, on machines with 4+ cores) for reads of 200,000 records or
   * more over several partitions, else the calling thread.
   */
  parallel?: boolean | number;
}

const SAMPLES = 10;

/**
 * kafkajs's admin offset calls fail with a TypeError when its cached metadata has no leader for
 * the topic yet (just created, or mid-refresh), and with NOT_LEADER_OR_FOLLOWER and the like when
 * a leader moved under them (a rolling restart, a failover): refresh and try again a few times.
 */
export function withFreshMetadata<T>(conn: KafkaClient, topic: string, call: () => Promise<T>): Promise<T> {
  return retry(call, {
    attempts: 8,
    initialMs: 50,
    maxMs: 1000,
    retriable: (e) => e instanceof TypeError || conn.isRetriable(e),
    onRetry: () => conn.admin.fetchTopicMetadata({ topics: [topic] }).then(() => undefined, () => undefined),
  });
}

/** Offset ranges [from, to) per partition for a pair of positions; times via the broker's index. */
export async function resolveTopicRanges(
  conn: KafkaClient,
  topic: string,
  opts: { from?: Position; to?: Position; partitions?: number[] },
  defaults: { from: Position; to: Position } = { from: 'earliest', to: 'latest' },
): Promise<OffsetRange[]> {
  const meta = await conn.requireTopic(topic);
  const now = Date.now();
  const from = parsePosition(opts.from ?? defaults.from, now, 'from position');
  const to = parsePosition(opts.to ?? defaults.to, now, 'to position');
  const parts = partitionsToRead(meta.partitions.map((p) => p.partitionId), from, opts.partitions);
  const offsets = await withFreshMetadata(conn, topic, () => conn.admin.fetchTopicOffsets(topic));
  const bounds = offsets
    .filter((o) => parts.includes(o.partition))
    .map((o) => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) }))
    .sort((a, b) => a.partition - b.partition);
  const times: TimeOffsets = new Map();
  for (const ts of timestampsOf(from, to)) {
    const res = await withFreshMetadata(conn, topic, () => conn.admin.fetchTopicOffsetsByTimestamp(topic, ts));
    times.set(ts, new Map(res.map((r) => [r.partition, Number(r.offset)])));
  }
  return resolveRanges(from, to, bounds, times);
}

export { fetchRanges } from './read-part';

/** Reads this large or larger go to worker threads when `parallel` is not given. */
const PARALLEL_THRESHOLD = 200_000;

/** How many threads a read uses: explicit, or automatic for large unlimited reads. */
function threadsFor(conn: KafkaClient, ranges: OffsetRange[], total: number, opts: ReadOptions): number {
  const busy = ranges.filter((r) => r.to > r.from).length;
  if (opts.parallel === false || busy < 2) return 1;
  if (!cloneable(conn.clientConfig)) return 1;
  if (typeof opts.parallel === 'number') return Math.max(1, Math.min(opts.parallel, busy));
  if (opts.parallel !== true && (total < PARALLEL_THRESHOLD || (opts.limit ?? Infinity) < total)) return 1;
  // Leave a core for everything else (the broker is often on this machine): threads only pay off from 4 cores.
  const cores = os.availableParallelism();
  if (cores < 4) return 1;
  return Math.max(1, Math.min(cores - 1, busy, 4));
}

/** Partitions over threads, largest first onto the least loaded thread. */
function split(ranges: OffsetRange[], threads: number): OffsetRange[][] {
  const groups: { load: number; ranges: OffsetRange[] }[] = Array.from({ length: threads }, () => ({ load: 0, ranges: [] }));
  for (const r of [...ranges].filter((x) => x.to > x.from).sort((a, b) => b.to - b.from - (a.to - a.from))) {
    const g = groups.reduce((a, b) => (b.load < a.load ? b : a));
    g.ranges.push(r);
    g.load += r.to - r.from;
  }
  return groups.map((g) => g.ranges.sort((a, b) => a.partition - b.partition));
}

export async function readTopic(conn: KafkaClient, topic: string, opts: ReadOptions = {}): Promise<DataFrame> {
  return readTopicWith(conn, topic, opts, 'auto');
}

/** `readTopic` by a chosen route: 'raw', 'kafkajs' or 'auto' (raw with the kafkajs fallback). */
export async function readTopicWith(conn: KafkaClient, topic: string, opts: ReadOptions, engine: ReadEngine): Promise<DataFrame> {
  const t0 = Date.now();
  if (opts.limit !== undefined && (!Number.isInteger(opts.limit) || opts.limit < 0)) {
    throw new KafkalabError(`Invalid limit ${opts.limit}`, { code: 'BAD_OPTION', hint: 'use a non-negative integer' });
  }
  const ranges = await resolveTopicRanges(conn, topic, opts);
  const limit = opts.limit ?? Infinity;
  const total = ranges.reduce((s, r) => s + (r.to - r.from), 0);
  const decode = { format: opts.format, columns: opts.columns, csv: opts.csv, headers: opts.headers };
  const threads = threadsFor(conn, ranges, total, opts);
  const job = { topic, decode, fetchBytes: opts.fetchBytes, limit, samples: SAMPLES };
  const registry = conn.schemaRegistry;
  const parts: PartOutput[] =
    threads > 1
      ? await Promise.all(split(ranges, threads).map((r) => readInWorker({ ...job, ranges: r, client: conn.clientConfig, engine, registry: registry?.target() })))
      : [await runPart(conn.kafka, { ...job, ranges, schemas: new SchemaCache(registry) }, engine, conn.logger)];
  // Partition order, whichever thread read which; with a limit, the first `limit` rows of that order.
  const sets = parts.flatMap((p) => p.sets).sort((a, b) => a.partition - b.partition).map((s) => s.set);
  if (!sets.length) {
    // Nothing to read: still the metadata columns (and `_headers`), as a decoder lays them out.
    sets.push(new ColumnSet());
    new RecordDecoder(sets[0], decode);
  }
  let left = limit;
  for (const set of sets) {
    set.truncate(Math.max(0, left));
    left -= set.rows;
  }
  const warnings: string[] = [];
  for (const p of parts) for (const w of p.stats.warnings) if (!warnings.includes(w)) warnings.push(w);
  const df = toDataFrame(sets, warnings);
  const report: ReadReport = {
    topic,
    records: 0,
    rows: df.shape[0],
    failed: 0,
    failures: {},
    samples: [],
    warnings,
    partitions: ranges.map((r) => ({ ...r })),
    elapsedMs: Date.now() - t0,
  };
  const schemas = new Map<number, ReadSchema>();
  for (const { stats } of parts) {
    for (const s of stats.schemas) {
      const known = schemas.get(s.id);
      if (known) known.records += s.records;
      else schemas.set(s.id, { ...s });
    }
    report.records += stats.records;
    report.failed += stats.failed;
    for (const [k, v] of Object.entries(stats.failures)) report.failures[k] = (report.failures[k] ?? 0) + v;
    report.samples.push(...stats.samples);
  }
  if (schemas.size) {
    report.schemas = [...schemas.values()].sort((a, b) => a.id - b.id);
    if (schemas.size > 1) {
      const list = report.schemas.map((s) => `id ${s.id}${s.name ? ` (${s.name})` : ''}: ${s.records} records`).join(', ');
      report.warnings.push(`${schemas.size} schemas in this range (${list}): the columns are their union, a field missing from a version is null`);
    }
  }
  report.samples = report.samples.sort((a, b) => a.partition - b.partition || a.offset - b.offset).slice(0, SAMPLES);
  const attrs = attrsOf(df);
  attrs.topic = topic;
  attrs.report = report;
  return df;
}
