/**
 * Group-less fetching with records decoded by kafkajs: through kafkajs's own cluster and broker
 * objects (./adapter.ts), the fastest path kafkajs offers (its consumer adds group membership,
 * heartbeats and per-message callbacks bounded reads do not need), one Fetch request per
 * partition leader; or, when the adapter says kafkajs's internals are unusable, through a
 * consumer (ConsumerFetcher below).
 */
import { randomUUID } from 'crypto';
import type { Admin, Batch, Consumer, Kafka } from 'kafkajs';
import { KafkalabError } from '../util/errors';
import { openCluster, type ClusterClient } from './adapter';
import type { OffsetRange } from './position';

/** Bytes per partition per Fetch of a bounded read. */
export const DEFAULT_FETCH_BYTES = 1024 * 1024;

/** A record as kafkajs decodes it (offsets and timestamps are decimal strings). */
export interface KafkajsMessage {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
  isControlRecord?: boolean;
}

export interface PartitionFetch {
  partition: number;
  messages: KafkajsMessage[];
  highWatermark: number;
  /** Transactions aborted in the fetched range (read_committed): their records are to be dropped. */
  abortedTransactions?: { producerId: number; firstOffset: number }[];
}

/** The error for records compressed with a codec kafkajs has not been given. */
export function missingCodecError(topic: string, codec: 'Snappy' | 'LZ4' | 'ZSTD', cause: unknown): KafkalabError {
  const pkg = { Snappy: 'kafkajs-snappy', LZ4: 'kafkajs-lz4', ZSTD: '@kafkajs/zstd' }[codec];
  return new KafkalabError(`Records in "${topic}" are ${codec}-compressed and kafkajs has no ${codec} codec`, {
    code: 'COMPRESSION_CODEC',
    hint: `install one (e.g. npm install ${pkg}) and register it before reading: const { CompressionTypes, CompressionCodecs } = require('kafkajs'); CompressionCodecs[CompressionTypes.${codec}] = ...`,
    cause,
  });
}

export interface FetchOptions {
  /** Longest the broker may hold the request when there is nothing to return (long poll). */
  maxWaitMs?: number;
  /** Bytes per partition per request. */
  partitionBytes?: number;
  minBytes?: number;
}

/** Group-less fetching of one topic, records decoded by kafkajs: one round over the given partitions. */
export interface TopicFetcher {
  readonly topic: string;
  connect(): Promise<void>;
  /** Each partition from its offset; a partition may come back without records (nothing there yet). */
  fetch(offsets: Map<number, number>, opts?: FetchOptions): Promise<PartitionFetch[]>;
  disconnect(): Promise<void>;
  /**
   * How long a partition may come back without records below its high watermark before a range
   * read gives up on the rest of it (also at least 3 rounds). A fetch that answers for itself
   * (raw Fetch) returns what is there, so 3 empty rounds mean nothing readable is left (records
   * a read_committed fetch filters out); a consumer that delivers in its own time may just be late.
   */
  readonly stallMs?: number;
}

/**
 * The fetcher for `topic`: through kafkajs's cluster when the adapter's self-check passed, else
 * a consumer in a throwaway group (kafkajs's public API; slower, same records).
 */
export async function openFetcher(kafka: Kafka, topic: string, opts: { publicApi?: boolean } = {}): Promise<TopicFetcher> {
  const cluster = opts.publicApi ? undefined : await openCluster(kafka);
  return cluster ? new Fetcher(cluster, topic) : new ConsumerFetcher(kafka, topic);
}

/** A kafkajs cluster connected for one topic's metadata: what both cluster fetch paths read through. */
export abstract class TopicClusterClient {
  private connected = false;

  constructor(
    protected readonly cluster: ClusterClient,
    readonly topic: string,
  ) {}

  async connect(): Promise<void> {
    if (this.connected) return;
    await this.cluster.connect([this.topic]);
    this.connected = true;
  }

  async disconnect(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await this.cluster.disconnect();
  }
}

export class Fetcher extends TopicClusterClient implements TopicFetcher {
  /** One Fetch round: every partition from its offset; partitions with an error retry on metadata refresh. */
  async fetch(offsets: Map<number, number>, opts: FetchOptions = {}): Promise<PartitionFetch[]> {
    const partitions = [...offsets.keys()];
    if (!partitions.length) return [];
    const leaders = await this.cluster.leaders(this.topic, partitions);
    const partitionBytes = opts.partitionBytes ?? 4 * 1024 * 1024;
    const requests = [...leaders].map(async ([nodeId, parts]) => {
      const res = await this.cluster.fetch(nodeId, {
        isolationLevel: 1,
        maxWaitTime: opts.maxWaitMs ?? 0,
        minBytes: opts.minBytes ?? 1,
        maxBytes: partitionBytes * parts.length,
        topics: [{ topic: this.topic, partitions: parts.map((p) => ({ partition: p, fetchOffset: String(offsets.get(p)), maxBytes: partitionBytes })) }],
      });
      const out: PartitionFetch[] = [];
      for (const t of res.responses) {
        for (const p of t.partitions) {
          const aborted = (p.abortedTransactions ?? []).map((a) => ({ producerId: Number(a.producerId), firstOffset: Number(a.firstOffset) }));
          out.push({ partition: p.partition, messages: p.messages as KafkajsMessage[], highWatermark: Number(p.highWatermark), abortedTransactions: aborted });
        }
      }
      return out;
    });
    try {
      return (await Promise.all(requests)).flat();
    } catch (e) {
      const err = e as { message?: string; retriable?: boolean; type?: string };
      // kafkajs's own message when no codec package is registered for a compressed batch.
      const codec = /^(Snappy|LZ4|ZSTD) compression not (?:implemented)/.exec(err?.message ?? '');
      if (codec) throw missingCodecError(this.topic, codec[1] as 'Snappy' | 'LZ4' | 'ZSTD', e);
      if (err?.retriable || err?.type === 'NOT_LEADER_FOR_PARTITION' || err?.type === 'UNKNOWN_TOPIC_OR_PARTITION') {
        await this.cluster.refreshMetadata().catch(() => undefined);
      }
      throw e;
    }
  }
}

/** How long a round waits past the caller's long poll for partitions that return nothing. */
const CONSUMER_GRACE_MS = 400;

/**
 * The public-API fetcher: a kafkajs consumer in a throwaway group (no offsets are committed; the
 * group is deleted on disconnect), every partition paused except those a round asks for, each
 * sought to the asked offset and paused again once its first batch arrived. A partition that
 * returns nothing within the round reports its high watermark from the admin client.
 * Aborted transactions are already dropped by the consumer (read_committed).
 */
export class ConsumerFetcher implements TopicFetcher {
  /**
   * A loaded machine can keep kafkajs's consumer from delivering a resumed partition within a
   * round (its long poll + 400 ms): three such rounds made a range read end early and silently
   * (an MQTT bridge test read 1 of 2 records once, on Node 24 beside other suites). Empty rounds
   * now end a partition only after 10 s without records (a tail of aborted records, filtered by
   * kafkajs, costs that wait).
   */
  readonly stallMs = 10_000;
  private consumer?: Consumer;
  private admin?: Admin;
  private readonly groupId = `kafkalab-fetch-${randomUUID()}`;
  private round?: { offsets: Map<number, number>; got: Map<number, PartitionFetch>; done(): void };

  constructor(
    private readonly kafka: Kafka,
    readonly topic: string,
  ) {}

  async connect(): Promise<void> {
    if (this.consumer) return;
    const consumer = this.kafka.consumer({ groupId: this.groupId, maxWaitTimeInMs: 100, allowAutoTopicCreation: false, readUncommitted: false });
    this.consumer = consumer;
    this.admin = this.kafka.admin();
    await this.admin.connect();
    await consumer.connect();
    await consumer.subscribe({ topics: [this.topic], fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async ({ batch, pause }) => this.onBatch(batch, pause) });
    consumer.pause([{ topic: this.topic }]);
  }

  async fetch(offsets: Map<number, number>, opts: FetchOptions = {}): Promise<PartitionFetch[]> {
    const consumer = this.consumer;
    if (!consumer || !offsets.size) return [];
    const partitions = [...offsets.keys()];
    const got = new Map<number, PartitionFetch>();
    const arrived = new Promise<void>((done) => (this.round = { offsets, got, done }));
    for (const [partition, offset] of offsets) consumer.seek({ topic: this.topic, partition, offset: String(offset) });
    consumer.resume([{ topic: this.topic, partitions }]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([arrived, new Promise((r) => (timer = setTimeout(r, (opts.maxWaitMs ?? 0) + CONSUMER_GRACE_MS)))]);
    clearTimeout(timer);
    this.round = undefined;
    consumer.pause([{ topic: this.topic, partitions }]);
    const empty = partitions.filter((p) => !got.has(p));
    if (empty.length) {
      const marks = await this.admin!.fetchTopicOffsets(this.topic);
      for (const p of empty) got.set(p, { partition: p, messages: [], highWatermark: Number(marks.find((m) => m.partition === p)?.high ?? 0) });
    }
    return [...got.values()];
  }

  private onBatch(batch: Batch, pause: () => void): void {
    const round = this.round;
    const want = round?.offsets.get(batch.partition);
    const first = batch.messages.length ? Number(batch.messages[0].offset) : -1;
    // A batch fetched before this round's seek took effect starts below the asked offset.
    if (!round || want === undefined || round.got.has(batch.partition) || first < want) return;
    pause();
    round.got.set(batch.partition, { partition: batch.partition, messages: batch.messages as KafkajsMessage[], highWatermark: Number(batch.highWatermark), abortedTransactions: [] });
    if (round.got.size === round.offsets.size) round.done();
  }

  async disconnect(): Promise<void> {
    const { consumer, admin } = this;
    this.consumer = this.admin = undefined;
    await consumer?.disconnect().catch(() => undefined);
    await admin?.deleteGroups([this.groupId]).catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
  }
}

/**
 * Fetches every record in the ranges through kafkajs, calling `onMessages` per partition chunk
 * in offset order (with the chunk's aborted transactions). `onMessages` returns false to stop
 * early. Partitions are fetched together; the next round is requested before the current one is
 * handed over.
 */
export async function fetchRanges(
  fetcher: TopicFetcher,
  ranges: OffsetRange[],
  onMessages: (partition: number, messages: KafkajsMessage[], start: number, end: number, aborted?: PartitionFetch['abortedTransactions']) => boolean | void | Promise<boolean | void>,
  fetchBytes = DEFAULT_FETCH_BYTES,
): Promise<void> {
  const pos = new Map<number, number>();
  const end = new Map<number, number>();
  const stalls = new Map<number, { rounds: number; since: number }>();
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
    const chunks: { partition: number; fetch: PartitionFetch; start: number }[] = [];
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
        const stall = stalls.get(r.partition) ?? { rounds: 0, since: Date.now() };
        stall.rounds++;
        stalls.set(r.partition, stall);
        if (stall.rounds >= 3 && Date.now() - stall.since >= (fetcher.stallMs ?? 0)) pos.delete(r.partition);
      }
      const next = pos.get(r.partition);
      if (next !== undefined && next >= stop) pos.delete(r.partition);
      chunks.push({ partition: r.partition, fetch: r, start });
    }
    pending = pos.size ? fetcher.fetch(new Map(pos), { partitionBytes: fetchBytes }) : null;
    for (const c of chunks) {
      if ((await onMessages(c.partition, c.fetch.messages, c.start, end.get(c.partition) as number, c.fetch.abortedTransactions)) === false) {
        pending?.catch(() => undefined);
        return;
      }
    }
  }
}

interface BatchContext {
  firstOffset: string;
  lastOffsetDelta: number;
  producerId: string;
  inTransaction: boolean;
}

/** Read-committed filtering over kafkajs messages (its fetch leaves it to its consumer): as AbortedTransactions does over bytes. */
export function abortedFilter(list: { producerId: number; firstOffset: number }[]): (m: KafkajsMessage) => boolean {
  const pending = [...list].sort((a, b) => a.firstOffset - b.firstOffset);
  let next = 0;
  const active = new Set<number>();
  return (m) => {
    const ctx = (m as KafkajsMessage & { batchContext?: BatchContext }).batchContext;
    const producerId = ctx ? Number(ctx.producerId) : -1;
    if (!ctx || producerId < 0) return m.isControlRecord === true;
    const last = Number(ctx.firstOffset) + ctx.lastOffsetDelta;
    while (next < pending.length && pending[next].firstOffset <= last) active.add(pending[next++].producerId);
    if (m.isControlRecord) {
      if (m.key && m.key.length >= 4 && m.key.readInt16BE(2) === 0) active.delete(producerId);
      return true;
    }
    return ctx.inTransaction && active.has(producerId);
  };
}

/**
 * Every data record of one partition in [from, to), in offset order, handed to `onMessages` in
 * chunks: control records and records of aborted transactions are left out (read_committed).
 * Stops early when the log ends before `to`.
 */
export async function readRange(fetcher: TopicFetcher, partition: number, from: number, to: number, onMessages: (messages: KafkajsMessage[]) => void | Promise<void>, fetchBytes = DEFAULT_FETCH_BYTES): Promise<void> {
  await fetchRanges(
    fetcher,
    [{ partition, from, to }],
    async (_p, messages, start, end, aborted) => {
      const drop = aborted?.length ? abortedFilter(aborted) : null;
      const keep: KafkajsMessage[] = [];
      for (const m of messages) {
        if (drop ? drop(m) : m.isControlRecord) continue;
        const offset = Number(m.offset);
        if (offset >= start && offset < end) keep.push(m);
      }
      if (keep.length) await onMessages(keep);
    },
    fetchBytes,
  );
}
