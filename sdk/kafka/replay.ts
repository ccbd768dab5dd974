/**
 * topic.replay(): a historical range re-emitted in timestamp order at a chosen speed, into a
 * topic (keys, headers and values as they were, the original timestamp in a header) or as a
 * stream. Reads incrementally, one fetch per partition ahead, so long ranges fit in memory.
 */
import type { Message } from 'kafkajs';
import { Stream, newStats } from '../stream/stream';
import { BatchQueue, type BatchOptions } from '../stream/queue';
import { Pacer, checkSpeed } from '../stream/pacer';
import { backoff, sleep } from '../util/retry';
import type { Row } from '../stream/operators';
import type { KafkaClient } from './client';
import { openFetcher, type KafkajsMessage, type TopicFetcher } from './fetcher';
import { resolveTopicRanges } from './read';
import { RowDecoder, type SourceOptions } from './source';
import type { Position } from './position';
import type { OffsetRange } from './position';

/** Header carrying the record's original timestamp (epoch ms, decimal) in replayed records. */
export const ORIGINAL_TIMESTAMP_HEADER = 'kafkalab-original-timestamp';

export interface ReplayOptions {
  from?: Position;
  /** default 'latest' */
  to?: Position;
  /** 1 = original inter-arrival times, 60 = sixty times faster, Infinity = as fast as possible. */
  speed?: number;
  /** Topic to write to; without it replay returns a stream. */
  into?: string;
  partitions?: number[];
  /** Stream replays: decoding and micro-batching as in topic.stream(). */
  format?: SourceOptions['format'];
  batch?: BatchOptions;
  headers?: boolean;
}

export interface ReplayReport {
  records: number;
  elapsedMs: number;
  into: string;
  ranges: OffsetRange[];
  /** True when `into` did not exist and the replay created it. */
  created: boolean;
  /** Partitions given up on (a fetch kept returning nothing below the high watermark). */
  warnings: string[];
}

interface Timed {
  partition: number;
  message: KafkajsMessage;
  timestamp: number;
}

/** Empty fetches in a row below the high watermark before a partition is given up on. */
const MAX_STALLS = 3;

/**
 * Records of the ranges in timestamp order, each partition's offset order kept. A partition
 * whose fetches keep coming back empty below its high watermark is given up on after a few
 * spaced attempts (`onStall` says which), instead of holding up the merge forever.
 */
export async function* timeOrdered(
  fetcher: TopicFetcher,
  ranges: OffsetRange[],
  stop: () => boolean,
  onStall: (partition: number, offset: number) => void = () => undefined,
): AsyncGenerator<Timed> {
  const stalls = new Map<number, number>();
  const pos = new Map<number, number>();
  const end = new Map<number, number>();
  const buf = new Map<number, Timed[]>();
  for (const r of ranges) {
    if (r.to > r.from) {
      pos.set(r.partition, r.from);
      end.set(r.partition, r.to);
      buf.set(r.partition, []);
    }
  }
  while (!stop()) {
    const need = new Map([...pos].filter(([p]) => (buf.get(p) as Timed[]).length === 0));
    if (need.size) {
      const worst = Math.max(0, ...[...need.keys()].map((p) => stalls.get(p) ?? 0));
      if (worst > 0) await sleep(backoff(worst, { initialMs: 50, maxMs: 10_000 })); // spaced retries, not a busy loop
      for (const res of await fetcher.fetch(need, { partitionBytes: 512 * 1024 })) {
        const start = need.get(res.partition) as number;
        const stopAt = end.get(res.partition) as number;
        const b = buf.get(res.partition) as Timed[];
        let last = -1;
        for (const m of res.messages) {
          const o = Number(m.offset);
          last = o;
          if (o >= start && o < stopAt && !m.isControlRecord) b.push({ partition: res.partition, message: m, timestamp: Number(m.timestamp) });
        }
        if (last + 1 >= stopAt || (last < start && res.highWatermark <= start)) pos.delete(res.partition);
        else if (last >= start) {
          pos.set(res.partition, last + 1);
          stalls.delete(res.partition);
        } else {
          const n = (stalls.get(res.partition) ?? 0) + 1;
          stalls.set(res.partition, n);
          if (n >= MAX_STALLS) {
            pos.delete(res.partition);
            onStall(res.partition, start);
          }
        }
      }
    }
    // Emit while the head of every partition that may still have records is known.
    for (;;) {
      let best: Timed[] | undefined;
      let blocked = false;
      for (const [p, b] of buf) {
        if (b.length === 0) {
          if (pos.has(p)) blocked = true;
          continue;
        }
        if (!best || b[0].timestamp < best[0].timestamp) best = b;
      }
      if (blocked || !best) break;
      yield best.shift() as Timed;
      if (stop()) return;
    }
    if (!pos.size && [...buf.values()].every((b) => b.length === 0)) return;
  }
}

export async function replayInto(conn: KafkaClient, topic: string, opts: ReplayOptions & { into: string }): Promise<ReplayReport> {
  const speed = checkSpeed(opts.speed);
  const t0 = Date.now();
  const ranges = await resolveTopicRanges(conn, topic, opts);
  const created = await ensureTarget(conn, topic, opts.into);
  const targetPartitions = (await conn.requireTopic(opts.into)).partitions.length;
  const warnings: string[] = [];
  const producer = await conn.producer();
  const fetcher = await openFetcher(conn.kafka, topic);
  const pacer = new Pacer(speed);
  let pending: Message[] = [];
  let records = 0;
  const flush = async () => {
    if (!pending.length) return;
    const batch = pending;
    pending = [];
    await producer.send({ topic: opts.into, messages: batch });
  };
  try {
    await fetcher.connect();
    const stalled = (p: number, o: number) => warnings.push(`partition ${p} of ${topic}: no records at offset ${o} below the high watermark; skipped the rest of its range`);
    for await (const t of timeOrdered(fetcher, ranges, () => false, stalled)) {
      const wait = pacer.delay(t.timestamp);
      if (wait > 0) {
        await flush();
        const left = pacer.delay(t.timestamp);
        if (left > 0) await sleep(left);
      }
      const m = t.message;
      pending.push({
        key: m.key,
        value: m.value,
        headers: { ...(m.headers ?? {}), [ORIGINAL_TIMESTAMP_HEADER]: String(t.timestamp) } as Message['headers'],
        timestamp: String(Date.now()),
        // Same partition when the target has it: the partition's order and keying carry over.
        partition: t.partition < targetPartitions ? t.partition : undefined,
      });
      records++;
      if (pending.length >= 5000) await flush();
    }
    await flush();
  } finally {
    await fetcher.disconnect();
  }
  return { records, elapsedMs: Date.now() - t0, into: opts.into, ranges, created, warnings };
}

/**
 * Creates a missing target with the source's partition count, so partitions map one to one.
 * The cluster's default retention is right for it: replayed records carry the time they were
 * replayed as their timestamp (the original one in a header), so time retention counts from
 * the replay, not from the original time.
 */
async function ensureTarget(conn: KafkaClient, source: string, into: string): Promise<boolean> {
  if ((await conn.admin.listTopics()).includes(into)) return false;
  const partitions = (await conn.requireTopic(source)).partitions.length;
  await conn.ensureTopic(into, { partitions });
  return true;
}

/** A replay as a stream: rows come out at the replay's pace, `_timestamp` the original time. */
export function replayStream(conn: KafkaClient, topic: string, opts: ReplayOptions): Stream {
  const speed = checkSpeed(opts.speed);
  const stats = newStats();
  return new Stream(
    {
      open() {
        const decoder = new RowDecoder(opts, stats, conn.schemaRegistry);
        let stopped = false;
        let fetcher: TopicFetcher | undefined;
        const q = new BatchQueue<Row>(opts.batch ?? { size: 1000, ms: 100 }, async () => {
          stopped = true;
          untrack();
          await running.catch(() => undefined);
          await fetcher?.disconnect();
        });
        const untrack = conn.track(async () => {
          await q.return();
        });
        const running = (async () => {
          const ranges = await resolveTopicRanges(conn, topic, opts);
          fetcher = await openFetcher(conn.kafka, topic);
          await fetcher.connect();
          q.positioned();
          const pacer = new Pacer(speed);
          let pending = 0;
          // Records already due decode together; a wait hands over what is due first.
          const flush = async () => {
            pending = 0;
            await q.push(decoder.take());
          };
          const stalled = (p: number, o: number) => stats.warnings.push(`partition ${p} of ${topic}: no records at offset ${o} below the high watermark; skipped the rest of its range`);
          for await (const t of timeOrdered(fetcher, ranges, () => stopped, stalled)) {
            const wait = pacer.delay(t.timestamp);
            if (wait > 0) {
              await flush();
              const left = pacer.delay(t.timestamp);
              if (left > 0) await sleep(left);
            }
            const loading = decoder.prepare([t.message]);
            if (loading) await loading;
            decoder.add(t.partition, t.message);
            if (++pending >= 500) await flush();
            if (stopped) break;
          }
          await flush();
          q.end();
        })();
        running.catch((e) => q.fail(e));
        return q;
      },
    },
    [],
    stats,
  );
}
