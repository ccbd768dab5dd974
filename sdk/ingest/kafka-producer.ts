/**
 * How the bridge produces: each partition's records encoded as one batch (RecordBatchWriter)
 * and one Produce request per leader, sent through kafkajs's own cluster and connection layer,
 * so metadata, leader discovery, TLS, SASL, framing and reconnects stay kafkajs's and any real
 * Kafka cluster works. Only the encoding is replaced: kafkajs's per-record encoding cost ~14 µs
 * per message here, most of the bridge's CPU. The cluster comes from sdk/kafka/adapter.ts; when
 * its self-check of kafkajs's internals fails, or the broker predates Produce v3 (record
 * batches), `producer.sendBatch` is used instead, with the same semantics.
 *
 * A send resolves only once every partition was acknowledged with the configured acks; a
 * partition already acknowledged is not sent again when the rest is retried.
 */
import type { CompressionTypes, Kafka, Message, Producer } from 'kafkajs';
import { completeProducer } from '../kafka/complete-send';
import type { Logger } from '../util/log';
import { openCluster, type ClusterClient } from '../kafka/adapter';
import { PRODUCE_VERSIONS, produceToLeaders } from '../kafka/raw-produce';
import { keyPartition, RecordBatchWriter, type HeaderBytes } from '../protocol/batch-encoding';

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
    // Across a leader move no record is left unsent (complete-send.ts).
    const p = completeProducer(kafka, { allowAutoTopicCreation: true, retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 } });
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

class RawProducer implements BridgeProducer {
  readonly encoder = 'kafkalab' as const;
  private roundRobin = 0;
  private readonly keyBytes = new Map<string, Buffer>();
  private readonly headerNames = new Map<string, Buffer>();

  private constructor(
    private readonly cluster: ClusterClient,
    private readonly topics: string[],
    private readonly settings: ProducerSettings,
  ) {}

  static async create(kafka: Kafka, topics: string[], settings: ProducerSettings): Promise<RawProducer | undefined> {
    const cluster = await openCluster(kafka);
    if (!cluster) throw new Error("kafkajs's internals are unusable here (see sdk/kafka/adapter.ts)");
    try {
      await cluster.connect(topics);
      const version = await cluster.produceVersion(topics[0]);
      if (version < PRODUCE_VERSIONS.min || version > PRODUCE_VERSIONS.max) throw new Error(`the broker's Produce v${version} is outside v3-v8`);
    } catch (err) {
      await cluster.disconnect().catch(() => undefined);
      throw err;
    }
    return new RawProducer(cluster, topics, settings);
  }

  private partitionCount(topic: string): number {
    const n = this.cluster.partitions(topic).length;
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
        await this.cluster.refreshMetadata(true);
        pending ??= this.encode(records, now);
        try {
          await this.sendPending(pending);
        } catch (err) {
          this.cluster.forgetBroker(err);
          await this.cluster.refreshMetadata().catch(() => undefined);
          throw err;
        }
      },
    };
  }

  private encode(records: readonly BridgeRecord[], now: number): Map<string, Map<number, Buffer>> {
    // Sized from the average record, so a partition's buffer rarely grows while it is written.
    let bytes = 0;
    for (const r of records) bytes += r.value.length + 32;
    const perRecord = bytes / Math.max(1, records.length);
    const writers = new Map<string, (RecordBatchWriter | undefined)[]>();
    for (const r of records) {
      let parts = writers.get(r.topic);
      if (!parts) writers.set(r.topic, (parts = new Array(this.partitionCount(r.topic))));
      const key = r.key === null ? null : this.bytesOf(this.keyBytes, r.key);
      const p = key === null ? this.roundRobin++ % parts.length : keyPartition(key, parts.length);
      const headers = r.headers ? Object.entries(r.headers).map(([k, v]): HeaderBytes => [this.bytesOf(this.headerNames, k), Buffer.from(v, 'utf8')]) : undefined;
      (parts[p] ??= new RecordBatchWriter(Math.ceil((perRecord * records.length) / parts.length) + 1024)).append(key, r.value, r.timestamp ?? now, headers);
    }
    const out = new Map<string, Map<number, Buffer>>();
    for (const [topic, parts] of writers) {
      const batches = new Map<number, Buffer>();
      parts.forEach((w, p) => w && batches.set(p, w.finish()));
      out.set(topic, batches);
    }
    return out;
  }

  private sendPending(pending: Map<string, Map<number, Buffer>>): Promise<void> {
    return produceToLeaders(this.cluster, this.settings.acks, this.settings.timeoutMs ?? 30_000, pending);
  }

  async reset(): Promise<void> {
    await this.cluster.disconnect().catch(() => undefined);
    await this.cluster.connect(this.topics);
  }

  async disconnect(): Promise<void> {
    await this.cluster.disconnect().catch(() => undefined);
  }
}
