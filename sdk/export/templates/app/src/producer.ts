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

/* The slice of kafkajs's internal classes used here (kafkajs ships no types for them). */
interface KBroker {
  lookupRequest(apiKey: number, definition: unknown): (args: object) => { request: KRequest; response: unknown };
  connectionPool: { send(req: { request: KRequest; response: unknown }): Promise<unknown> };
}
interface KRequest {
  apiVersion: number;
  encode(): Promise<unknown>;
}
interface KCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  isConnected(): boolean;
  addTargetTopic(topic: string): Promise<void>;
  refreshMetadata(): Promise<void>;
  refreshMetadataIfNecessary(): Promise<void>;
  findTopicPartitionMetadata(topic: string): { partitionId: number }[];
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(by: { nodeId: string }): Promise<KBroker>;
  removeBroker(by: { host: string; port: number }): void;
}

const PRODUCE = 0;
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
    let requests: { Produce?: unknown };
    try {
      requests = require('kafkajs/src/protocol/requests').requests;
    } catch {
      requests = {};
    }
    const createCluster = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
    if (!createCluster || !requests.Produce) {
      log.warn('this kafkajs version lacks the internals the fast result encoder uses; publishing through producer.send');
      return undefined;
    }
    const cluster = (kafka as unknown as Record<symbol, (o: object) => KCluster>)[createCluster]({ metadataMaxAge: 300_000, allowAutoTopicCreation: true });
    await cluster.connect();
    try {
      await cluster.addTargetTopic(topic);
    } catch (err) {
      await cluster.disconnect();
      throw new Error(`cannot publish to OUTPUT_TOPIC "${topic}" (${(err as Error).message}); create the topic, or enable auto-creation on the cluster`);
    }
    const p = new BatchProducer(cluster, requests.Produce, log);
    const leaders = cluster.findLeaderForPartitions(topic, p.partitionIds(topic));
    const broker = await cluster.findBroker({ nodeId: Object.keys(leaders)[0] });
    // Produce v3 introduced record batches; v3 to v8 share one request layout.
    const version = broker.lookupRequest(PRODUCE, requests.Produce)({ acks: -1, timeout: TIMEOUT_MS, topicData: [] }).request.apiVersion;
    if (version < 3 || version > 8) {
      log.warn('the broker does not accept Produce v3-v8 record batches; publishing through producer.send', { produceVersion: version });
      await cluster.disconnect();
      return undefined;
    }
    return p;
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

  private async send(topic: string, pending: Map<number, Buffer>): Promise<void> {
    for (let attempt = 0; pending.size > 0; attempt++) {
      try {
        await this.cluster.refreshMetadataIfNecessary();
        const perLeader = this.cluster.findLeaderForPartitions(topic, [...pending.keys()]);
        await Promise.all(
          Object.entries(perLeader).map(async ([nodeId, partitions]) => {
            const broker = await this.cluster.findBroker({ nodeId });
            const body = produceBody(topic, partitions, pending);
            const { request, response } = broker.lookupRequest(PRODUCE, this.produceDefinition)({ acks: -1, timeout: TIMEOUT_MS, topicData: [] });
            // kafkajs takes any object with its Encoder's `buf`/`buffer` shape: this skips copying
            // the body through an Encoder that grows by doubling.
            await broker.connectionPool.send({ request: { ...request, encode: async () => ({ buf: body, offset: body.length, buffer: body }) }, response });
            for (const p of partitions) pending.delete(p);
          }),
        );
      } catch (err) {
        const e = err as Error & { type?: string; retriable?: boolean; host?: string; port?: number };
        const retriable = e.retriable || STALE.has(e.type ?? '') || /Connection|MetadataNotLoaded|NumberOfRetriesExceeded/.test(e.name);
        if (!retriable || attempt >= RETRIES) throw err;
        this.log.warn('producing results failed; retrying', { error: e.message, type: e.type, attempt: attempt + 1, partitions: [...pending.keys()] });
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

/**
 * Produce request body, v3 to v8: transactional_id (null) | acks int16 (-1) | timeout int32 |
 * [topic_data] int32 count: name string | [partition_data] int32 count: index int32 | records bytes.
 */
function produceBody(topic: string, partitions: number[], batches: Map<number, Buffer>): Buffer {
  const name = Buffer.from(topic, 'utf8');
  let size = 2 + 2 + 4 + 4 + 2 + name.length + 4;
  for (const p of partitions) size += 4 + 4 + batches.get(p)!.length;
  const b = Buffer.allocUnsafe(size);
  let at = b.writeInt16BE(-1, 0);
  at = b.writeInt16BE(-1, at);
  at = b.writeInt32BE(TIMEOUT_MS, at);
  at = b.writeInt32BE(1, at);
  at = b.writeInt16BE(name.length, at);
  at += name.copy(b, at);
  at = b.writeInt32BE(partitions.length, at);
  for (const p of partitions) {
    const batch = batches.get(p)!;
    at = b.writeInt32BE(p, at);
    at = b.writeInt32BE(batch.length, at);
    at += batch.copy(b, at);
  }
  return b;
}
