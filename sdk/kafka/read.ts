/**
 * Bounded reads into a DataFrame: positions resolved with ListOffsets (watermarks and the
 * timestamp index), then group-less Fetch rounds over all partitions at once, pipelined so the
 * next request is in flight while this response is decoded straight into typed columns.
 */
import * as os from 'os';
import { ColumnSet } from '../frame/columns';
import type { DecodeOptions } from '../frame/decode';
import { attrsOf, toDataFrame, type DataFrame, type ReadReport } from '../frame/dataframe';
import { KafkalabError } from '../util/errors';
import type { KafkaConnection } from './connect';
import { createCluster, Fetcher, type KafkajsMessage, type PartitionFetch } from './fetcher';
import { cloneable, readInWorker, readPart, type PartResult } from './read-worker';
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
 * the topic yet (just created, or mid-refresh): refresh and try again a few times.
 */
export async function withFreshMetadata<T>(conn: KafkaConnection, topic: string, call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (e) {
      if (attempt >= 4 || !(e instanceof TypeError)) throw e;
      await conn.admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
    }
  }
}

/** Offset ranges [from, to) per partition for a pair of positions; times via the broker's index. */
export async function resolveTopicRanges(
  conn: KafkaConnection,
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

/**
 * Fetches every record in the ranges, calling `onMessages` per partition chunk in offset order.
 * `onMessages` returns false to stop early. Partitions are fetched together; the next round is
 * requested before the current one is handed over.
 */
export async function fetchRanges(
  fetcher: Fetcher,
  ranges: OffsetRange[],
  onMessages: (partition: number, messages: KafkajsMessage[], start: number, end: number) => boolean | void,
  fetchBytes = 1024 * 1024,
): Promise<void> {
  const pos = new Map<number, number>();
  const end = new Map<number, number>();
  const stalls = new Map<number, number>();
  for (const r of ranges) {
    if (r.to > r.from) {
      pos.set(r.partition, r.from);
      end.set(r.partition, r.to);
    }
  }
  let pending: Promise<PartitionFetch[]> | null = pos.size ? fetcher.fetch(new Map(pos), { partitionBytes: fetchBytes }) : null;
  while (pending) {
    const results = await pending;
    // Advance positions from the last offsets kafkajs decoded, then request the next round
    // before handing this one over, so the broker works while we decode.
    const chunks: { partition: number; messages: KafkajsMessage[]; start: number }[] = [];
    for (const r of results) {
      const start = pos.get(r.partition);
      if (start === undefined) continue;
      const stop = end.get(r.partition) as number;
      const msgs = r.messages;
      const lastOffset = msgs.length ? Number(msgs[msgs.length - 1].offset) : -1;
      if (lastOffset >= start) {
        pos.set(r.partition, lastOffset + 1);
        stalls.delete(r.partition);
      } else if (r.highWatermark <= start) {
        pos.delete(r.partition); // the log ends before the range does (records deleted meanwhile)
      } else {
        const n = (stalls.get(r.partition) ?? 0) + 1;
        stalls.set(r.partition, n);
        if (n >= 3) pos.delete(r.partition);
      }
      const next = pos.get(r.partition);
      if (next !== undefined && next >= stop) pos.delete(r.partition);
      chunks.push({ partition: r.partition, messages: msgs, start });
    }
    pending = pos.size ? fetcher.fetch(new Map(pos), { partitionBytes: fetchBytes }) : null;
    for (const c of chunks) {
      if (onMessages(c.partition, c.messages, c.start, end.get(c.partition) as number) === false) {
        pending?.catch(() => undefined);
        return;
      }
    }
  }
}

/** Reads this large or larger go to worker threads when `parallel` is not given. */
const PARALLEL_THRESHOLD = 200_000;

/** How many threads a read uses: explicit, or automatic for large unlimited reads. */
function threadsFor(conn: KafkaConnection, ranges: OffsetRange[], total: number, opts: ReadOptions): number {
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

export async function readTopic(conn: KafkaConnection, topic: string, opts: ReadOptions = {}): Promise<DataFrame> {
  const t0 = Date.now();
  if (opts.limit !== undefined && (!Number.isInteger(opts.limit) || opts.limit < 0)) {
    throw new KafkalabError(`Invalid limit ${opts.limit}`, { code: 'BAD_OPTION', hint: 'use a non-negative integer' });
  }
  const ranges = await resolveTopicRanges(conn, topic, opts);
  const limit = opts.limit ?? Infinity;
  const total = ranges.reduce((s, r) => s + (r.to - r.from), 0);
  const decode = { format: opts.format, columns: opts.columns, csv: opts.csv, headers: opts.headers };
  const threads = threadsFor(conn, ranges, total, opts);
  const parts: { set: ColumnSet; result: Omit<PartResult, 'columns' | 'rows'> }[] = [];
  if (threads > 1) {
    const jobs = split(ranges, threads).map((r) =>
      readInWorker({ client: conn.clientConfig, topic, ranges: r, decode, fetchBytes: opts.fetchBytes, limit, samples: SAMPLES }),
    );
    parts.push(...(await Promise.all(jobs)));
  } else {
    const fetcher = new Fetcher(createCluster(conn.kafka), topic);
    try {
      await fetcher.connect();
      parts.push(await readPart(fetcher, { ranges, decode, fetchBytes: opts.fetchBytes, limit, samples: SAMPLES }));
    } finally {
      await fetcher.disconnect();
    }
  }
  // With a limit spread over threads, keep the first `limit` rows in part order.
  let left = limit;
  for (const p of parts) {
    p.set.truncate(Math.max(0, left));
    left -= p.set.rows;
  }
  const warnings: string[] = [];
  for (const p of parts) for (const w of p.result.warnings) if (!warnings.includes(w)) warnings.push(w);
  const df = toDataFrame(parts.map((p) => p.set), warnings);
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
  for (const { result } of parts) {
    report.records += result.records;
    report.failed += result.failed;
    for (const [k, v] of Object.entries(result.failures)) report.failures[k] = (report.failures[k] ?? 0) + v;
    report.samples.push(...result.samples);
  }
  report.samples = report.samples.sort((a, b) => a.partition - b.partition || a.offset - b.offset).slice(0, SAMPLES);
  const attrs = attrsOf(df);
  attrs.topic = topic;
  attrs.report = report;
  return df;
}
