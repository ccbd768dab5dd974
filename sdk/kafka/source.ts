/**
 * Stream sources over a topic. With a `group`, a kafkajs consumer in that consumer group
 * (committed offsets, rebalancing across instances); without one, group-less Fetch rounds from
 * resolved positions. Either way closing the source disconnects the client, so breaking out of
 * `for await` leaves no group member behind.
 */
import type { Consumer } from 'kafkajs';
import { splitCsvLine, type CsvOptions, type Format } from '../frame/decode';
import type { Row } from '../stream/operators';
import { BatchQueue, type BatchOptions } from '../stream/queue';
import type { StreamStats } from '../stream/stream';
import type { KafkaConnection } from './connect';
import { createCluster, Fetcher, type KafkajsMessage } from './fetcher';
import { fetchRanges, resolveTopicRanges } from './read';
import type { Position } from './position';

export interface SourceOptions {
  from?: Position;
  /** Stop at this position (a bounded stream); default: follow the topic forever. */
  to?: Position;
  group?: string;
  partitions?: number[];
  format?: Format;
  csv?: CsvOptions;
  batch?: BatchOptions;
  /** Add `_headers` (an object of header name → string) to every row. */
  headers?: boolean;
}

const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function headerStrings(h: KafkajsMessage['headers']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h ?? {})) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.map((x) => x.toString()) : v.toString();
  }
  return out;
}

/** A record as a row: metadata fields first, then the decoded value; a string reason on failure. */
export function rowOf(m: KafkajsMessage, partition: number, opts: SourceOptions): Row | string {
  const row: Row = {
    _key: m.key === null ? null : m.key.toString('utf8'),
    _partition: partition,
    _offset: Number(m.offset),
    _timestamp: Number(m.timestamp),
  };
  if (opts.headers) row._headers = headerStrings(m.headers);
  const v = m.value;
  switch (opts.format ?? 'json') {
    case 'json': {
      if (v === null) return 'null value';
      let parsed: unknown;
      try {
        parsed = JSON.parse(v.toString('utf8'));
      } catch {
        return 'invalid JSON';
      }
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return Object.assign(row, parsed);
      row.value = parsed;
      return row;
    }
    case 'csv': {
      const fields = splitCsvLine((v?.toString('utf8') ?? '').replace(/\r?\n$/, ''), opts.csv?.delimiter);
      fields.forEach((f, i) => {
        row[opts.csv?.header?.[i] ?? `c${i}`] = f === '' ? null : NUMERIC.test(f) ? Number(f) : f;
      });
      return row;
    }
    case 'string':
      row.value = v === null ? null : v.toString('utf8');
      return row;
    case 'bytes':
      row.value = v;
      return row;
  }
}

function countFailure(stats: StreamStats, reason: string): void {
  stats.failures[reason] = (stats.failures[reason] ?? 0) + 1;
}

/** Group-less: Fetch rounds from resolved positions, long-polling at the end of the log. */
export function fetchSource(conn: KafkaConnection, topic: string, opts: SourceOptions, stats: StreamStats): AsyncIterator<Row[]> {
  const fetcher = new Fetcher(createCluster(conn.kafka), topic);
  let stopped = false;
  let untrack = () => {};
  const q = new BatchQueue<Row>(opts.batch, async () => {
    stopped = true;
    untrack();
    await running.catch(() => undefined);
    await fetcher.disconnect();
  });
  untrack = conn.track(async () => {
    await q.return();
  });
  const push = async (partition: number, messages: KafkajsMessage[], start: number, end: number) => {
    const rows: Row[] = [];
    for (const m of messages) {
      const offset = Number(m.offset);
      if (offset < start || offset >= end || m.isControlRecord) continue;
      const r = rowOf(m, partition, opts);
      if (typeof r === 'string') countFailure(stats, r);
      else rows.push(r);
    }
    await q.push(rows);
  };
  const running = (async () => {
    await fetcher.connect();
    const ranges = await resolveTopicRanges(conn, topic, opts, { from: 'latest', to: 'latest' });
    if (opts.to !== undefined) {
      // Bounded: read the ranges, then end.
      const chunks: Promise<void>[] = [];
      await fetchRanges(fetcher, ranges, (p, msgs, s, e) => {
        if (stopped) return false;
        chunks.push(push(p, msgs, s, e));
      });
      await Promise.all(chunks);
      q.end();
      return;
    }
    const pos = new Map(ranges.map((r) => [r.partition, r.from]));
    while (!stopped) {
      let results;
      try {
        results = await fetcher.fetch(pos, { maxWaitMs: 500, partitionBytes: 1024 * 1024 });
      } catch (e) {
        // Retention removed what we were about to read (or the log was truncated): continue
        // from the nearest valid offset, as auto.offset.reset would.
        if ((e as Error)?.name !== 'KafkaJSOffsetOutOfRange') throw e;
        const low = await conn.admin.fetchTopicOffsets(topic);
        for (const o of low) {
          const at = pos.get(o.partition);
          if (at !== undefined) pos.set(o.partition, Math.min(Math.max(at, Number(o.low)), Number(o.high)));
        }
        stats.warnings.push(`offsets out of range on ${topic}; continued from the log start`);
        continue;
      }
      for (const r of results) {
        const start = pos.get(r.partition) as number;
        const last = r.messages.length ? Number(r.messages[r.messages.length - 1].offset) : -1;
        if (last >= start) pos.set(r.partition, last + 1);
        if (!stopped) await push(r.partition, r.messages, start, Infinity);
      }
    }
  })();
  running.catch((e) => {
    if (!stopped) q.fail(e);
  });
  return q;
}

/** In a consumer group: kafkajs's consumer, committed offsets, `from` for partitions without any. */
export function groupSource(conn: KafkaConnection, topic: string, opts: SourceOptions & { group: string }, stats: StreamStats): AsyncIterator<Row[]> {
  const consumer: Consumer = conn.kafka.consumer({ groupId: opts.group, allowAutoTopicCreation: false });
  let untrack = () => {};
  let stopped = false;
  const q = new BatchQueue<Row>(opts.batch, async () => {
    stopped = true;
    untrack();
    await started.catch(() => undefined);
    await consumer.disconnect(); // sends LeaveGroup: no member left behind
  });
  untrack = conn.track(async () => {
    await q.return();
  });
  const from = opts.from ?? 'latest';
  const started = (async () => {
    const ranges = await resolveTopicRanges(conn, topic, { ...opts, to: undefined }, { from: 'latest', to: 'latest' });
    const committed = await conn.admin.fetchOffsets({ groupId: opts.group, topics: [topic] });
    const fresh = new Set(
      (committed[0]?.partitions ?? []).filter((p) => Number(p.offset) < 0).map((p) => p.partition),
    );
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: from === 'earliest' });
    if (from !== 'earliest' && from !== 'latest') {
      // Positions by offset or time apply where the group has no committed offset yet.
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        for (const p of e.payload.memberAssignment[topic] ?? []) {
          const r = ranges.find((x) => x.partition === p);
          if (r && fresh.has(p)) consumer.seek({ topic, partition: p, offset: String(r.from) });
        }
      });
    }
    if (stopped) return;
    await consumer.run({
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch, heartbeat }) => {
        const rows: Row[] = [];
        for (const m of batch.messages) {
          const r = rowOf(m, batch.partition, opts);
          if (typeof r === 'string') countFailure(stats, r);
          else rows.push(r);
        }
        // A slow `for await` body blocks this push (backpressure); keep the membership alive meanwhile.
        const pushed = q.push(rows).then(() => true);
        while (!(await Promise.race([pushed, new Promise<false>((r) => setTimeout(() => r(false), 3000).unref())]))) {
          await heartbeat().catch(() => undefined);
        }
      },
    });
  })();
  started.catch((e) => {
    if (!stopped) q.fail(e);
  });
  return q;
}
