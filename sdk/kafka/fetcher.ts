/**
 * Group-less fetching through kafkajs's own cluster and broker objects: the fastest path kafkajs
 * offers (its consumer adds group membership, heartbeats and per-message callbacks we do not
 * need for bounded reads). One Fetch request per partition leader, all partitions at once.
 */
import type { Kafka } from 'kafkajs';
import { KafkalabError } from '../util/errors';

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

/* eslint-disable @typescript-eslint/no-explicit-any */
type Cluster = any;

/** kafkajs creates clusters through a private method of its client; we call the same factory. */
export function createCluster(kafka: Kafka): Cluster {
  const sym = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  if (!sym) throw new KafkalabError('This kafkajs version does not expose its cluster factory', { code: 'KAFKAJS_VERSION', hint: 'install kafkajs 2.2.x' });
  return (kafka as any)[sym]({ allowAutoTopicCreation: false, maxInFlightRequests: null, isolationLevel: 1, metadataMaxAge: 300_000 });
}

export interface FetchOptions {
  /** Longest the broker may hold the request when there is nothing to return (long poll). */
  maxWaitMs?: number;
  /** Bytes per partition per request. */
  partitionBytes?: number;
  minBytes?: number;
}

/** A kafkajs cluster connected for one topic's metadata: what both fetch paths read through. */
export abstract class TopicClusterClient {
  private connected = false;

  constructor(
    protected readonly cluster: Cluster,
    readonly topic: string,
  ) {}

  async connect(): Promise<void> {
    if (this.connected) return;
    await this.cluster.connect();
    await this.cluster.addTargetTopic(this.topic);
    this.connected = true;
  }

  async disconnect(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await this.cluster.disconnect();
  }
}

export class Fetcher extends TopicClusterClient {

  /** One Fetch round: every partition from its offset; partitions with an error retry on metadata refresh. */
  async fetch(offsets: Map<number, number>, opts: FetchOptions = {}): Promise<PartitionFetch[]> {
    const partitions = [...offsets.keys()];
    if (!partitions.length) return [];
    let leaders: Record<string, number[]>;
    try {
      leaders = this.cluster.findLeaderForPartitions(this.topic, partitions);
    } catch {
      await this.cluster.refreshMetadata();
      leaders = this.cluster.findLeaderForPartitions(this.topic, partitions);
    }
    const partitionBytes = opts.partitionBytes ?? 4 * 1024 * 1024;
    const requests = Object.entries(leaders).map(async ([nodeId, parts]) => {
      const broker = await this.cluster.findBroker({ nodeId: Number(nodeId) });
      const res = await broker.fetch({
        isolationLevel: 1,
        maxWaitTime: opts.maxWaitMs ?? 0,
        minBytes: opts.minBytes ?? 1,
        maxBytes: partitionBytes * parts.length,
        topics: [
          {
            topic: this.topic,
            partitions: parts.map((p: number) => ({ partition: p, fetchOffset: String(offsets.get(p)), maxBytes: partitionBytes })),
          },
        ],
      });
      const out: PartitionFetch[] = [];
      for (const t of res.responses) {
        for (const p of t.partitions) {
          const aborted = (p.abortedTransactions ?? []).map((a: { producerId: string; firstOffset: string }) => ({ producerId: Number(a.producerId), firstOffset: Number(a.firstOffset) }));
          out.push({ partition: p.partition, messages: p.messages, highWatermark: Number(p.highWatermark), abortedTransactions: aborted });
        }
      }
      return out;
    });
    try {
      return (await Promise.all(requests)).flat();
    } catch (e: any) {
      // kafkajs's own message when no codec package is registered for a compressed batch.
      const codec = /^(Snappy|LZ4|ZSTD) compression not (?:implemented)/.exec(e?.message ?? '');
      if (codec) throw missingCodecError(this.topic, codec[1] as 'Snappy' | 'LZ4' | 'ZSTD', e);
      if (e?.retriable || e?.type === 'NOT_LEADER_FOR_PARTITION' || e?.type === 'UNKNOWN_TOPIC_OR_PARTITION') {
        await this.cluster.refreshMetadata().catch(() => undefined);
      }
      throw e;
    }
  }
}
