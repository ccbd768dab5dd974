/**
 * Publishing results. The fast path encodes each partition's record batch itself
 * (recordbatch.ts) and sends one Produce request per leader through kafkajs's own cluster and
 * connection layer, so metadata, TLS, SASL, reconnects and the wire stay kafkajs's; only the
 * per-record encoding, which profiling showed to be ~40% of the app's CPU, is replaced. It
 * relies on kafkajs internals (the exact version is pinned in package.json); when they are not
 * there, or PRODUCE_ENCODER=kafkajs, results go through `producer.send` as ordinary messages.
 *
 * Both paths wait for acks=all before `send()` resolves, and retry retriable errors the way
 * kafkajs's producer does (refresh metadata, back off); a partition already acknowledged is not
 * sent again, so a retry adds no duplicates of its own.
 */
import { produceToLeaders, produceVersion, rawProduceSupport, type KCluster } from '@kafkalab/runtime';
import type { Kafka, Message, Producer } from 'kafkajs';
import type { Logger } from './log';
import { RecordBatchWriter, keyPartition } from './recordbatch';

export interface OutputBatch {
  add(key: Buffer | null, value: string, timestamp: number): void;
  readonly count: number;
  /** Resolves once the broker acknowledged every record added (acks=all). */
  send(): Promise<void>;
}

export interface ResultProducer {
  readonly encoder: 'kafkalab' | 'kafkajs';
  /** An empty batch for `topic`, sized for about `records` records. */
  batch(topic: string, records: number): OutputBatch;
  disconnect(): Promise<void>;
}

/** Past this many records per send kafkajs's per-partition grouping turns quadratic (see sendChunks). */
const SEND_CHUNK = 256;
const RETRIES = 6;
const TIMEOUT_MS = 30_000;

export function sendChunks(producer: Producer, topic: string, messages: Message[]): Promise<unknown>[] {
  const sends: Promise<unknown>[] = [];
  for (let at = 0; at < messages.length; at += SEND_CHUNK) sends.push(producer.send({ topic, messages: messages.slice(at, at + SEND_CHUNK), acks: -1, timeout: TIMEOUT_MS }));
  return sends;
}

export async function createResultProducer(kafka: Kafka, producer: Producer, topic: string, prefer: 'kafkalab' | 'kafkajs', log: Logger): Promise<ResultProducer> {
  if (prefer === 'kafkalab') {
    const fast = await BatchProducer.create(kafka, topic, log);
    if (fast) return fast;
  }
  return {
    encoder: 'kafkajs',
    batch: (t) => {
      const messages: Message[] = [];
      return {
        add: (key, value, timestamp) => void messages.push({ key, value, timestamp: String(timestamp) }),
        get count() {
          return messages.length;
        },
        send: async () => void (await Promise.all(sendChunks(producer, t, messages))),
      };
    },
    disconnect: async () => undefined,
  };
}

const STALE = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_FOR_PARTITION']);

class BatchProducer implements ResultProducer {
  readonly encoder = 'kafkalab' as const;
  private roundRobin = 0;

  private constructor(
    private readonly cluster: KCluster,
    private readonly produceDefinition: unknown,
    private readonly log: Logger,
  ) {}

  static async create(kafka: Kafka, topic: string, log: Logger): Promise<BatchProducer | undefined> {
    const support = rawProduceSupport(kafka);
    if (typeof support === 'string') {
      log.warn(`${support}; publishing through producer.send`);
      return undefined;
    }
    const cluster = support.createCluster({ metadataMaxAge: 300_000, allowAutoTopicCreation: true });
    await cluster.connect();
    try {
      await cluster.addTargetTopic(topic);
    } catch (err) {
      await cluster.disconnect();
      throw new Error(`cannot publish to OUTPUT_TOPIC "${topic}" (${(err as Error).message}); create the topic, or enable auto-creation on the cluster`);
    }
    // Produce v3 introduced record batches; v3 to v8 share one request layout.
    const version = await produceVersion(cluster, topic, support.definition);
    if (version < 3 || version > 8) {
      log.warn('the broker does not accept Produce v3-v8 record batches; publishing through producer.send', { produceVersion: version });
      await cluster.disconnect();
      return undefined;
    }
    return new BatchProducer(cluster, support.definition, log);
  }

  private partitionIds(topic: string): number[] {
    return this.cluster.findTopicPartitionMetadata(topic).map((m) => m.partitionId);
  }

  batch(topic: string, records: number): OutputBatch {
    const partitions = this.partitionIds(topic).length;
    if (partitions === 0) throw new Error(`no metadata for topic "${topic}"`);
    const writers: (RecordBatchWriter | undefined)[] = new Array(partitions);
    const expected = Math.ceil((records * 400) / partitions) + 1024;
    let count = 0;
    return {
      add: (key, value, timestamp) => {
        const p = key === null ? this.roundRobin++ % partitions : keyPartition(key, partitions);
        (writers[p] ??= new RecordBatchWriter(expected)).append(key, value, timestamp);
        count++;
      },
      get count() {
        return count;
      },
      send: () => {
        const pending = new Map<number, Buffer>();
        writers.forEach((w, p) => w && pending.set(p, w.finish()));
        return this.send(topic, pending);
      },
    };
  }

  private async send(topic: string, batches: Map<number, Buffer>): Promise<void> {
    const pending = new Map([[topic, batches]]);
    for (let attempt = 0; batches.size > 0; attempt++) {
      try {
        await this.cluster.refreshMetadataIfNecessary();
        await produceToLeaders(this.cluster, this.produceDefinition, -1, TIMEOUT_MS, pending);
      } catch (err) {
        const e = err as Error & { type?: string; retriable?: boolean; host?: string; port?: number };
        const retriable = e.retriable || STALE.has(e.type ?? '') || /Connection|MetadataNotLoaded|NumberOfRetriesExceeded/.test(e.name);
        if (!retriable || attempt >= RETRIES) throw err;
        this.log.warn('producing results failed; retrying', { error: e.message, type: e.type, attempt: attempt + 1, partitions: [...batches.keys()] });
        if (e.name === 'KafkaJSConnectionClosedError' && e.host && e.port) this.cluster.removeBroker({ host: e.host, port: e.port });
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** attempt)));
        try {
          if (!this.cluster.isConnected()) await this.cluster.connect();
          await this.cluster.refreshMetadata();
        } catch (again) {
          this.log.warn('metadata refresh failed', { error: (again as Error).message });
        }
      }
    }
  }

  async disconnect(): Promise<void> {
    await this.cluster.disconnect();
  }
}
