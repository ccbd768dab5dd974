/**
 * The topic catalog as DataFrames: kafka.topics() (one row per topic) and
 * kafka.partitions(topic) (one row per partition). Offsets come from ListOffsets, first/last
 * record times from one small fetch at each end of each partition: no scan.
 */
import type { DataFrame } from '../frame/dataframe';
import { buildFrame } from '../frame/dataframe';
import type { KafkaClient } from './client';
import { openFetcher } from './fetcher';
import { withFreshMetadata } from './read';

export interface PartitionInfo {
  partition: number;
  /** Records retained: latestOffset - earliestOffset. */
  messages: number;
  /** Offset of the oldest retained record (the log start). */
  earliestOffset: number;
  /** Offset the next record will get (the high watermark). */
  latestOffset: number;
  /** Epoch ms of the first / last retained record, undefined when empty. */
  firstTimestamp?: number;
  lastTimestamp?: number;
}

const TOPIC_COLUMNS = ['topic', 'partitions', 'messages', 'earliestOffset', 'latestOffset', 'firstTimestamp', 'lastTimestamp'];
const PARTITION_COLUMNS = ['partition', 'messages', 'earliestOffset', 'latestOffset', 'firstTimestamp', 'lastTimestamp'];

const iso = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString());

export async function partitionInfo(conn: KafkaClient, topic: string): Promise<PartitionInfo[]> {
  const offsets = await withFreshMetadata(conn, topic, () => conn.admin.fetchTopicOffsets(topic));
  const parts: PartitionInfo[] = offsets
    .map((o) => ({ partition: o.partition, earliestOffset: Number(o.low), latestOffset: Number(o.high), messages: Number(o.high) - Number(o.low) }))
    .sort((a, b) => a.partition - b.partition);
  await edgeTimestamps(conn, topic, parts);
  return parts;
}

/**
 * One row per topic. For a topic of several partitions, `messages`, `earliestOffset` and
 * `latestOffset` are sums over its partitions, so that `messages` = `latestOffset` -
 * `earliestOffset` as for one partition: `latestOffset` counts every record ever written,
 * `earliestOffset` those removed by retention. Per-partition offsets: kafka.partitions(topic).
 */
export async function topicsFrame(conn: KafkaClient): Promise<DataFrame> {
  const names = (await conn.admin.listTopics()).filter((t) => !t.startsWith('__')).sort();
  const rows = [];
  for (const topic of names) {
    const parts = await partitionInfo(conn, topic);
    const sum = (f: (p: PartitionInfo) => number) => parts.reduce((s, p) => s + f(p), 0);
    const firsts = parts.map((p) => p.firstTimestamp).filter((t): t is number => t !== undefined);
    const lasts = parts.map((p) => p.lastTimestamp).filter((t): t is number => t !== undefined);
    rows.push({
      topic,
      partitions: parts.length,
      messages: sum((p) => p.messages),
      earliestOffset: sum((p) => p.earliestOffset),
      latestOffset: sum((p) => p.latestOffset),
      firstTimestamp: iso(firsts.length ? Math.min(...firsts) : undefined),
      lastTimestamp: iso(lasts.length ? Math.max(...lasts) : undefined),
    });
  }
  return frame(rows, TOPIC_COLUMNS);
}

export async function partitionsFrame(conn: KafkaClient, topic: string): Promise<DataFrame> {
  await conn.requireTopic(topic);
  const rows = (await partitionInfo(conn, topic)).map((p) => ({ ...p, firstTimestamp: iso(p.firstTimestamp), lastTimestamp: iso(p.lastTimestamp) }));
  return frame(rows, PARTITION_COLUMNS);
}

function frame(rows: Record<string, unknown>[], columns: string[]): DataFrame {
  return buildFrame(rows, columns.map((name) => ({ name, type: 'null' as const }))).df;
}

/** Fills first/lastTimestamp: one small fetch at each end of every non-empty partition. */
async function edgeTimestamps(conn: KafkaClient, topic: string, parts: PartitionInfo[]): Promise<void> {
  const nonEmpty = parts.filter((p) => p.latestOffset > p.earliestOffset);
  if (!nonEmpty.length) return;
  const byPartition = new Map(nonEmpty.map((p) => [p.partition, p]));
  const fetcher = await openFetcher(conn.kafka, topic);
  try {
    await fetcher.connect();
    const heads = await fetcher.fetch(new Map(nonEmpty.map((p) => [p.partition, p.earliestOffset])), { partitionBytes: 64 * 1024 });
    for (const h of heads) {
      const p = byPartition.get(h.partition);
      const m = h.messages.find((x) => !x.isControlRecord && Number(x.offset) >= (p?.earliestOffset ?? 0));
      if (p && m) p.firstTimestamp = Number(m.timestamp);
    }
    const tails = await fetcher.fetch(new Map(nonEmpty.map((p) => [p.partition, p.latestOffset - 1])), { partitionBytes: 1024 * 1024 });
    for (const t of tails) {
      const p = byPartition.get(t.partition);
      if (!p) continue;
      for (const m of t.messages) if (Number(m.offset) === p.latestOffset - 1) p.lastTimestamp = Number(m.timestamp);
    }
  } finally {
    await fetcher.disconnect();
  }
}
