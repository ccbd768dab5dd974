/**
 * How the bridge produces: each partition's records encoded as one batch (record-batches.ts)
 * and one Produce request per leader, sent through kafkajs's own cluster and connection layer,
 * so metadata, leader discovery, TLS, SASL, framing and reconnects stay kafkajs's and any real
 * Kafka cluster works. Only the encoding is replaced: kafkajs's per-record encoding cost ~14 µs
 * per message here, most of the bridge's CPU. This relies on kafkajs internals (the version
 * pinned in package.json); when they are missing or the broker predates Produce v3 (record
 * batches), `producer.sendBatch` is used instead, with the same semantics.
 *
 * A send resolves only once every partition was acknowledged with the configured acks; a
 * partition already acknowledged is not sent again when the rest is retried.
 */
import { Partitioners, type CompressionTypes, type Kafka, type Message, type Producer } from 'kafkajs';
import type { Logger } from '../util/log';
import { createCluster } from '../kafka/fetcher';
import { encodeBatch, keyPartition, type OutRecord } from './record-batches';

export interface BridgeRecord {
  topic: string;
  key: string | null;
  value: Buffer;
  timestamp: number | undefined;
  headers?: Record<string, string>;
}

/** One batch of records, sent (and retried) until every partition has acknowledged it. */
export interface PendingSend {
  attempt(): Promise<void>;
}

export interface BridgeProducer {
  readonly encoder: 'kafkalab' | 'kafkajs';
  prepare(records: readonly BridgeRecord[]): PendingSend;
  /** Starts afresh after repeated failures (kafkajs may hold on to a dead connection). */
  reset(): Promise<void>;
  disconnect(): Promise<void>;
}

export interface ProducerSettings {
  acks: -1 | 1;
  compression?: CompressionTypes;
  timeoutMs?: number;
  logger: Logger;
}

export async function createBridgeProducer(kafka: Kafka, topics: string[], settings: ProducerSettings): Promise<BridgeProducer> {
  // Compressed batches are kafkajs's job (its codecs); the fast path writes uncompressed ones.
  if (!settings.compression) {
    const fast = await RawProducer.create(kafka, topics, settings).catch((err: Error) => {
      settings.logger.warn('fast Kafka encoder unavailable; producing through kafkajs', { error: err.message });
      return undefined;
    });
    if (fast) return fast;
  }
  return KafkajsProducer.create(kafka, settings);
}

class KafkajsProducer implements BridgeProducer {
  readonly encoder = 'kafkajs' as const;
  private constructor(
    private readonly kafka: Kafka,
    private producer: Producer,
    private readonly settings: ProducerSettings,
  ) {}

  static async create(kafka: Kafka, settings: ProducerSettings): Promise<KafkajsProducer> {
    return new KafkajsProducer(kafka, await KafkajsProducer.open(kafka), settings);
  }

  private static async open(kafka: Kafka): Promise<Producer> {
    // The Java client's murmur2 partitioning: a key lands where a Java producer would put it.
    const p = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true, retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 } });
    await p.connect();
    return p;
  }

  prepare(records: readonly BridgeRecord[]): PendingSend {
    const byTopic = new Map<string, Message[]>();
    for (const r of records) {
      let list = byTopic.get(r.topic);
      if (!list) byTopic.set(r.topic, (list = []));
      list.push({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp === undefined ? undefined : String(r.timestamp) });
    }
    const topicMessages = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
    return { attempt: async () => void (await this.producer.sendBatch({ topicMessages, acks: this.settings.acks, compression: this.settings.compression })) };
  }

  async reset(): Promise<void> {
    const fresh = await KafkajsProducer.open(this.kafka);
    const old = this.producer;
    this.producer = fresh;
    await old.disconnect().catch(() => undefined);
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
  }
}

/* The slice of kafkajs's internal classes used here (kafkajs ships no types for them). */
interface KRequest {
  apiVersion: number;
  encode(): Promise<unknown>;
}
interface KBroker {
  lookupRequest(apiKey: number, definition: unknown): (args: object) => { request: KRequest; response: unknown };
  connectionPool: { send(req: { request: KRequest; response: unknown }): Promise<unknown> };
}
interface KCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  isConnected(): boolean;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  refreshMetadata(): Promise<void>;
  refreshMetadataIfNecessary(): Promise<void>;
  findTopicPartitionMetadata(topic: string): { partitionId: number }[];
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(by: { nodeId: string }): Promise<KBroker>;
  removeBroker(by: { host: string; port: number }): void;
}

const PRODUCE = 0;

class RawProducer implements BridgeProducer {
  readonly encoder = 'kafkalab' as const;
  private roundRobin = 0;
  private readonly keyBytes = new Map<string, Buffer>();
  private readonly headerNames = new Map<string, Buffer>();

  private constructor(
    private readonly cluster: KCluster,
    private readonly topics: string[],
    private readonly definition: unknown,
    private readonly settings: ProducerSettings,
  ) {}

  static async create(kafka: Kafka, topics: string[], settings: ProducerSettings): Promise<RawProducer | undefined> {
    const requests = (require('kafkajs/src/protocol/requests') as { requests?: { Produce?: unknown } }).requests;
    if (!requests?.Produce) throw new Error('kafkajs has no Produce request definition');
    const cluster = createCluster(kafka) as KCluster;
    await cluster.connect();
    try {
      await cluster.addMultipleTargetTopics(topics);
      const leaders = cluster.findLeaderForPartitions(topics[0], cluster.findTopicPartitionMetadata(topics[0]).map((m) => m.partitionId));
      const broker = await cluster.findBroker({ nodeId: Object.keys(leaders)[0] });
      // Produce v3 introduced record batches; v3 to v8 share one request layout.
      const version = broker.lookupRequest(PRODUCE, requests.Produce)({ acks: -1, timeout: 30_000, topicData: [] }).request.apiVersion;
      if (version < 3 || version > 8) throw new Error(`the broker's Produce v${version} is outside v3-v8`);
    } catch (err) {
      await cluster.disconnect().catch(() => undefined);
      throw err;
    }
    return new RawProducer(cluster, topics, requests.Produce, settings);
  }

  private partitionCount(topic: string): number {
    const n = this.cluster.findTopicPartitionMetadata(topic).length;
    if (n === 0) throw Object.assign(new Error(`no metadata for topic "${topic}"`), { retriable: true });
    return n;
  }

  private bytesOf(cache: Map<string, Buffer>, s: string): Buffer {
    let b = cache.get(s);
    if (!b) {
      b = Buffer.from(s, 'utf8');
      if (cache.size < 100_000) cache.set(s, b);
    }
    return b;
  }

  prepare(records: readonly BridgeRecord[]): PendingSend {
    // topic → partition → encoded batch; built on the first attempt (metadata may be missing before).
    let pending: Map<string, Map<number, Buffer>> | undefined;
    const now = Date.now();
    return {
      attempt: async () => {
        if (!this.cluster.isConnected()) await this.cluster.connect();
        await this.cluster.refreshMetadataIfNecessary();
        pending ??= this.encode(records, now);
        try {
          await this.sendPending(pending);
        } catch (err) {
          const e = err as Error & { host?: string; port?: number };
          if (e.name === 'KafkaJSConnectionClosedError' && e.host && e.port) this.cluster.removeBroker({ host: e.host, port: e.port });
          await this.cluster.refreshMetadata().catch(() => undefined);
          throw err;
        }
      },
    };
  }

  private encode(records: readonly BridgeRecord[], now: number): Map<string, Map<number, Buffer>> {
    const grouped = new Map<string, OutRecord[][]>();
    for (const r of records) {
      let parts = grouped.get(r.topic);
      if (!parts) grouped.set(r.topic, (parts = new Array(this.partitionCount(r.topic))));
      const key = r.key === null ? null : this.bytesOf(this.keyBytes, r.key);
      const p = key === null ? this.roundRobin++ % parts.length : keyPartition(key, parts.length);
      const headers = r.headers ? Object.entries(r.headers).map(([k, v]): [Buffer, Buffer] => [this.bytesOf(this.headerNames, k), Buffer.from(v, 'utf8')]) : undefined;
      (parts[p] ??= []).push({ key, value: r.value, timestamp: r.timestamp ?? now, headers });
    }
    const out = new Map<string, Map<number, Buffer>>();
    for (const [topic, parts] of grouped) {
      const batches = new Map<number, Buffer>();
      parts.forEach((recs, p) => recs && batches.set(p, encodeBatch(recs)));
      out.set(topic, batches);
    }
    return out;
  }

  /** One request per leader; a leader's partitions leave `pending` once it acknowledged them. */
  private async sendPending(pending: Map<string, Map<number, Buffer>>): Promise<void> {
    const perLeader = new Map<string, Map<string, number[]>>();
    for (const [topic, batches] of pending) {
      if (!batches.size) continue;
      for (const [nodeId, partitions] of Object.entries(this.cluster.findLeaderForPartitions(topic, [...batches.keys()]))) {
        let topics = perLeader.get(nodeId);
        if (!topics) perLeader.set(nodeId, (topics = new Map()));
        topics.set(topic, partitions);
      }
    }
    const results = await Promise.allSettled(
      [...perLeader].map(async ([nodeId, topics]) => {
        const broker = await this.cluster.findBroker({ nodeId });
        const body = this.produceBody(topics, pending);
        const { request, response } = broker.lookupRequest(PRODUCE, this.definition)({ acks: this.settings.acks, timeout: this.timeoutMs, topicData: [] });
        // kafkajs's connection accepts any object shaped like its Encoder: the body goes out as is.
        await broker.connectionPool.send({ request: { ...request, encode: async () => ({ buf: body, offset: body.length, buffer: body }) }, response });
        for (const [topic, partitions] of topics) for (const p of partitions) pending.get(topic)!.delete(p);
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    for (const [topic, batches] of pending) if (batches.size) throw Object.assign(new Error(`no leader for ${batches.size} partition(s) of "${topic}"`), { retriable: true });
  }

  private get timeoutMs(): number {
    return this.settings.timeoutMs ?? 30_000;
  }

  /**
   * Produce v3-v8: transactional_id nullable string | acks int16 | timeout_ms int32 |
   * [topic_data] (int32 count): name string | [partition_data] (int32 count): index int32 | records bytes
   */
  private produceBody(topics: Map<string, number[]>, pending: Map<string, Map<number, Buffer>>): Buffer {
    let size = 2 + 2 + 4 + 4;
    const names = new Map<string, Buffer>();
    for (const [topic, partitions] of topics) {
      const name = this.bytesOf(this.headerNames, topic);
      names.set(topic, name);
      size += 2 + name.length + 4;
      for (const p of partitions) size += 8 + pending.get(topic)!.get(p)!.length;
    }
    const b = Buffer.allocUnsafe(size);
    let at = b.writeInt16BE(-1, 0);
    at = b.writeInt16BE(this.settings.acks, at);
    at = b.writeInt32BE(this.timeoutMs, at);
    at = b.writeInt32BE(topics.size, at);
    for (const [topic, partitions] of topics) {
      const name = names.get(topic)!;
      at = b.writeInt16BE(name.length, at);
      at += name.copy(b, at);
      at = b.writeInt32BE(partitions.length, at);
      for (const p of partitions) {
        const batch = pending.get(topic)!.get(p)!;
        at = b.writeInt32BE(p, at);
        at = b.writeInt32BE(batch.length, at);
        at += batch.copy(b, at);
      }
    }
    return b;
  }

  async reset(): Promise<void> {
    await this.cluster.disconnect().catch(() => undefined);
    await this.cluster.connect();
    await this.cluster.addMultipleTargetTopics(this.topics);
  }

  async disconnect(): Promise<void> {
    await this.cluster.disconnect().catch(() => undefined);
  }
}
