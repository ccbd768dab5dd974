/**
 * Bounded reads into a DataFrame: positions resolved with ListOffsets (watermarks and the
 * timestamp index), then group-less Fetch rounds (read-part.ts), the next request in flight
 * while a response's record batches are decoded in place into one typed column set per
 * partition, by this thread and, for large reads, decode threads (decode-pool.ts); kafkajs's
 * regular fetch is the fallback route.
 */
import * as os from 'os';
import { ColumnSet } from '../runtime/decode/columns';
import { RecordDecoder, type DecodeOptions } from '../runtime/decode/record-decoder';
import { SchemaCache } from '../runtime/decode/schema/schemas';
import { attrsOf, toDataFrame, type DataFrame, type ReadReport } from '../frame/dataframe';
import { KafkalabError } from '../util/errors';
import { retry } from '../util/retry';
import type { KafkaClient } from './client';
import { runPart, type ReadEngine } from './read-part';
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
   * Threads that decode, the calling thread included: a number, true (as many as the default
   * for a large read) or false. Default: for reads of 200,000 records or more over several
   * partitions without a `limit`, cores - 1 (at least 2, at most 4, never more than the
   * partitions), else the calling thread alone. The calling thread fetches every partition and
   * hands some partitions' record sets to decode threads kept warm between reads.
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

/**
 * How many threads decode a read: explicit, or automatic for large reads. Reads with a limit
 * stay on one thread (rows are counted as they are decoded).
 */
function threadsFor(ranges: OffsetRange[], total: number, opts: ReadOptions): number {
  const busy = ranges.filter((r) => r.to > r.from).length;
  if (opts.parallel === false || busy < 2 || (opts.limit ?? Infinity) < total) return 1;
  if (typeof opts.parallel === 'number') return Math.max(1, Math.min(opts.parallel, busy));
  if (opts.parallel !== true && total < PARALLEL_THRESHOLD) return 1;
  // Two threads pay on 2 cores too: the decode threads need no client and stay warm, and the
  // broker (often on this machine) needs a fraction of a core.
  return Math.min(Math.max(2, os.availableParallelism() - 1), busy, 4);
}

/** Partitions over threads, largest first onto the least loaded thread; the least loaded group first. */
function split(ranges: OffsetRange[], threads: number): OffsetRange[][] {
  const groups: { load: number; ranges: OffsetRange[] }[] = Array.from({ length: threads }, () => ({ load: 0, ranges: [] }));
  for (const r of [...ranges].filter((x) => x.to > x.from).sort((a, b) => b.to - b.from - (a.to - a.from))) {
    const g = groups.reduce((a, b) => (b.load < a.load ? b : a));
    g.ranges.push(r);
    g.load += r.to - r.from;
  }
  return groups.sort((a, b) => a.load - b.load).map((g) => g.ranges.sort((a, b) => a.partition - b.partition));
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
  const threads = threadsFor(ranges, total, opts);
  const registry = conn.schemaRegistry;
  const job = { topic, ranges, decode, fetchBytes: opts.fetchBytes, limit, samples: SAMPLES, schemas: new SchemaCache(registry), registry: registry?.target() };
  // This thread decodes the first group (the smallest: it also fetches), decode threads the others.
  const offload = threads > 1 ? split(ranges, threads).slice(1) : undefined;
  const { sets: bySet, stats } = await runPart(conn.kafka, { ...job, offload }, engine, conn.logger);
  // Partition order, whichever thread read which; with a limit, the first `limit` rows of that order.
  const sets = bySet.map((s) => s.set);
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
  const warnings = [...stats.warnings];
  const df = toDataFrame(sets, warnings);
  const report: ReadReport = {
    topic,
    records: stats.records,
    rows: df.shape[0],
    failed: stats.failed,
    failures: { ...stats.failures },
    samples: [...stats.samples],
    warnings,
    partitions: ranges.map((r) => ({ ...r })),
    elapsedMs: Date.now() - t0,
  };
  const schemas = stats.schemas;
  if (schemas.length) {
    report.schemas = schemas.map((x) => ({ ...x }));
    if (schemas.length > 1) {
      const list = report.schemas.map((s) => `id ${s.id}${s.name ? ` (${s.name})` : ''}: ${s.records} records`).join(', ');
      report.warnings.push(`${schemas.length} schemas in this range (${list}): the columns are their union, a field missing from a version is null`);
    }
  }
  report.samples = report.samples.sort((a, b) => a.partition - b.partition || a.offset - b.offset).slice(0, SAMPLES);
  const attrs = attrsOf(df);
  attrs.topic = topic;
  attrs.report = report;
  return df;
}
