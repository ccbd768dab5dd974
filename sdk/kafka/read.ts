/**
 * Bounded reads into a DataFrame: positions resolved with ListOffsets (watermarks and the
 * timestamp index), then group-less Fetch rounds over all partitions at once, pipelined so the
 * next request is in flight while this response is decoded straight into typed columns.
 */
import { ColumnSet } from '../frame/columns';
import { RecordDecoder, type DecodeOptions } from '../frame/decode';
import { attrsOf, toDataFrame, type DataFrame, type ReadReport } from '../frame/dataframe';
import { KafkalabError } from '../util/errors';
import type { KafkaConnection } from './connect';
import { createCluster, Fetcher, type KafkajsMessage, type PartitionFetch } from './fetcher';
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
  /** Bytes per partition per Fetch request (default 4 MiB). */
  fetchBytes?: number;
}

const SAMPLES = 10;

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
  const offsets = await conn.admin.fetchTopicOffsets(topic);
  const bounds = offsets
    .filter((o) => parts.includes(o.partition))
    .map((o) => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) }))
    .sort((a, b) => a.partition - b.partition);
  const times: TimeOffsets = new Map();
  for (const ts of timestampsOf(from, to)) {
    const res = await conn.admin.fetchTopicOffsetsByTimestamp(topic, ts);
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
  fetchBytes = 4 * 1024 * 1024,
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

export async function readTopic(conn: KafkaConnection, topic: string, opts: ReadOptions = {}): Promise<DataFrame> {
  const t0 = Date.now();
  if (opts.limit !== undefined && (!Number.isInteger(opts.limit) || opts.limit < 0)) {
    throw new KafkalabError(`Invalid limit ${opts.limit}`, { code: 'BAD_OPTION', hint: 'use a non-negative integer' });
  }
  const ranges = await resolveTopicRanges(conn, topic, opts);
  const limit = opts.limit ?? Infinity;
  const total = ranges.reduce((s, r) => s + (r.to - r.from), 0);
  const set = new ColumnSet(undefined, Math.max(16, Math.min(total, limit)));
  const decoder = new RecordDecoder(set, opts);
  const report: ReadReport = {
    topic,
    records: 0,
    rows: 0,
    failed: 0,
    failures: {},
    samples: [],
    warnings: set.warnings,
    partitions: ranges.map((r) => ({ ...r })),
    elapsedMs: 0,
  };
  const fetcher = new Fetcher(createCluster(conn.kafka), topic);
  try {
    await fetcher.connect();
    await fetchRanges(
      fetcher,
      ranges,
      (partition, messages, start, end) => {
        for (let i = 0; i < messages.length; i++) {
          const m = messages[i];
          const offset = Number(m.offset);
          if (offset < start || offset >= end || m.isControlRecord) continue;
          report.records++;
          const reason = decoder.add(m.key, m.value, partition, offset, Number(m.timestamp), opts.headers ? m.headers : undefined);
          if (reason !== undefined) {
            report.failed++;
            report.failures[reason] = (report.failures[reason] ?? 0) + 1;
            if (report.samples.length < SAMPLES) report.samples.push({ partition, offset, reason });
          }
          if (set.rows >= limit) return false;
        }
      },
      opts.fetchBytes,
    );
  } finally {
    await fetcher.disconnect();
  }
  set.truncate(limit);
  const df = toDataFrame(set);
  report.rows = set.rows;
  report.elapsedMs = Date.now() - t0;
  const attrs = attrsOf(df);
  attrs.topic = topic;
  attrs.report = report;
  return df;
}
