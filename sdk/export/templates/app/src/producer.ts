/**
 * Publishing results. The fast path encodes each partition's record batch itself
 * (RecordBatchWriter, kafkalab's one encoder) and sends one Produce request per leader through
 * kafkajs's own cluster and connection layer (kafkalab's adapter): both come from the runtime
 * package, so metadata, TLS, SASL, reconnects and the wire stay kafkajs's;
 * only the per-record encoding, which profiling showed to be ~40% of the app's CPU, is replaced.
 * When the adapter's self-check of kafkajs's internals fails, or PRODUCE_ENCODER=kafkajs,
 * results go through `producer.send` as ordinary messages.
 *
 * Both paths wait for acks=all before `send()` resolves, and retry retriable errors the way
 * kafkajs's producer does (refresh metadata, back off); a partition already acknowledged is not
 * sent again, so a retry adds no duplicates of its own.
 */
import { isRetriable, keyPartition, LEADER_MOVED, openCluster, PRODUCE_VERSIONS, produceToLeaders, RecordBatchWriter, retry, type ClusterClient, type RetryOptions, type HeaderBytes } from '@kafkalab/runtime';
import type { IHeaders, Kafka, Message, Producer } from 'kafkajs';
import type { Logger } from './log';

/** A record value being written in place into its partition's batch (RecordBatchWriter). */
export type ValueWriter = Pick<RecordBatchWriter, 'ascii' | 'bytes' | 'text' | 'endValue'>;

export interface OutputBatch {
  add(key: Buffer | null, value: string | Buffer | null, timestamp: number, headers?: readonly HeaderBytes[]): void;
  /** Fast path only: starts a record whose value the caller writes in place, then closes with endValue(). */
  begin?(key: Buffer | null, timestamp: number): ValueWriter;
  readonly count: number;
  /** Resolves once the broker acknowledged every record added (acks=all). */
  send(): Promise<void>;
}

/** Where a batch's records go: a producer's results, or a transaction's outputs (transactions.ts). */
export interface BatchTarget {
  /** An empty batch for `topic`, sized for about `records` records. */
  batch(topic: string, records: number): OutputBatch;
}

export interface ResultProducer extends BatchTarget {
  readonly encoder: 'kafkalab' | 'kafkajs';
  disconnect(): Promise<void>;
}

/** Sends kafkajs messages (dead letters, comparison records: headers kept) as one batch of `target`. */
export async function sendMessages(target: BatchTarget, topic: string, messages: Message[]): Promise<void> {
  if (!messages.length) return;
  const batch = target.batch(topic, messages.length);
  for (const m of messages) {
    const key = m.key === null || m.key === undefined ? null : Buffer.isBuffer(m.key) ? m.key : Buffer.from(m.key);
    batch.add(key, m.value ?? null, m.timestamp === undefined ? Date.now() : Number(m.timestamp), headerBytes(m.headers));
  }
  await batch.send();
}

function headerBytes(headers: IHeaders | undefined): HeaderBytes[] | undefined {
  if (!headers) return undefined;
  const out: HeaderBytes[] = [];
  const bytes = (v: Buffer | string) => (Buffer.isBuffer(v) ? v : Buffer.from(v));
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) out.push([Buffer.from(k), bytes(one)]);
  }
  return out;
}

/** Past this many records per send kafkajs's per-partition grouping turns quadratic (see sendChunks). */
const SEND_CHUNK = 256;
const RETRIES = 6;
/** Writers kept for reuse: enough for every output partition of a few batches in flight. */
const POOLED_WRITERS = 64;
const TIMEOUT_MS = 30_000;

/**
 * Sends `messages` in chunks, one after another: chunks sent at once may land out of order
 * within a partition (found by running the fast path's tests through this fallback).
 */
export async function sendChunks(producer: Pick<Producer, 'send'>, topic: string, messages: Message[]): Promise<void> {
  for (let at = 0; at < messages.length; at += SEND_CHUNK) await producer.send({ topic, messages: messages.slice(at, at + SEND_CHUNK), acks: -1, timeout: TIMEOUT_MS });
}

export async function createResultProducer(kafka: Kafka, producer: Producer, topic: string, prefer: 'kafkalab' | 'kafkajs', log: Logger): Promise<ResultProducer> {
  if (prefer === 'kafkalab') {
    const fast = await BatchProducer.create(kafka, topic, log);
    if (fast) return fast;
  }
  // Each chunk retried as the fast path retries a send: kafkajs's own schedule is the client's
  // (a short one gave up during a leader move on the 3-node broker). A chunk kafkajs failed after
  // writing part of it is sent whole again: duplicates, never loss (at-least-once).
  const retrying: Pick<Producer, 'send'> = { send: (record) => retry(() => producer.send(record), sendRetry(log, [])) };
  return {
    encoder: 'kafkajs',
    batch: (t) => messageBatch(retrying, t),
    disconnect: async () => undefined,
  };
}

/** Whether a failed send is worth another try: a retriable Kafka error, here or as the cause kafkajs gave up on. */
export function retriableSend(err: unknown): boolean {
  for (let e = err as (Error & { code?: unknown; retriable?: boolean; cause?: unknown }) | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (e.retriable === true || (typeof e.code === 'number' && (LEADER_MOVED.has(e.code) || isRetriable(e.code))) || /Connection|MetadataNotLoaded|NumberOfRetriesExceeded/.test(e.name ?? '')) return true;
  }
  return false;
}

/** The retry schedule of result sends, both paths. */
function sendRetry(log: Logger, partitions: number[], onRetry?: (err: unknown) => void): RetryOptions<unknown> {
  return {
    attempts: RETRIES + 1,
    initialMs: 100,
    maxMs: 5000,
    retriable: retriableSend,
    onRetry: (err, attempt) => {
      const e = err as Error & { type?: string };
      log.warn('producing results failed; retrying', { error: e.message, type: e.type, attempt: attempt + 1, partitions });
      onRetry?.(err);
    },
  };
}

/** Results as kafkajs messages, sent through `sender` (a producer, or a transaction). */
export function messageBatch(sender: Pick<Producer, 'send'>, topic: string): OutputBatch {
  const messages: Message[] = [];
  return {
    add: (key, value, timestamp, headers) =>
      void messages.push({ key, value, timestamp: String(timestamp), ...(headers?.length ? { headers: Object.fromEntries(headers.map(([k, v]) => [Buffer.from(k).toString(), v === null ? undefined : Buffer.from(v)])) } : {}) }),
    get count() {
      return messages.length;
    },
    send: () => sendChunks(sender, topic, messages),
  };
}


export class BatchProducer implements ResultProducer {
  readonly encoder = 'kafkalab' as const;
  private roundRobin = 0;
  private readonly pool: RecordBatchWriter[] = [];

  private constructor(
    /** kafkajs's cluster through kafkalab's adapter (transactions.ts sends its transaction requests on it too). */
    readonly cluster: ClusterClient,
    private readonly log: Logger,
  ) {}

  static async create(kafka: Kafka, topic: string, log: Logger): Promise<BatchProducer | undefined> {
    const cluster = await openCluster(kafka, { allowAutoTopicCreation: true });
    if (!cluster) {
      log.warn("kafkajs's internals are unusable here; publishing through producer.send");
      return undefined;
    }
    try {
      await cluster.connect([topic]);
    } catch (err) {
      await cluster.disconnect();
      throw new Error(`cannot publish to OUTPUT_TOPIC "${topic}" (${(err as Error).message}); create the topic, or enable auto-creation on the cluster`);
    }
    // Produce v3 introduced record batches; v3 to v8 share one request layout.
    const version = await cluster.produceVersion(topic);
    if (version < PRODUCE_VERSIONS.min || version > PRODUCE_VERSIONS.max) {
      log.warn('the broker does not accept Produce v3-v8 record batches; publishing through producer.send', { produceVersion: version });
      await cluster.disconnect();
      return undefined;
    }
    return new BatchProducer(cluster, log);
  }

  /** Loads `topic`'s metadata when it is not known yet (dead letters and comparisons in a transaction), creating it where the cluster allows. */
  async ensure(topic: string): Promise<void> {
    if (!this.partitionIds(topic).length) await this.cluster.connect([topic]);
  }

  private partitionIds(topic: string): number[] {
    return this.cluster.partitions(topic);
  }

  batch(topic: string, records: number): OutputBatch {
    return this.partitioned(topic, records, (writers) => {
      const pending = new Map<number, Buffer>();
      writers.forEach((w, p) => pending.set(p, w.finish()));
      return this.send(topic, pending);
    });
  }

  /**
   * A batch whose records are partitioned as a Java producer would (murmur2 of the key, round
   * robin without one), one RecordBatchWriter per partition; `send` gets the writers to finish
   * (plainly, or as a transaction's batches) and send.
   */
  partitioned(topic: string, records: number, send: (writers: Map<number, RecordBatchWriter>) => Promise<void>): OutputBatch {
    const partitions = this.partitionIds(topic).length;
    if (partitions === 0) throw new Error(`no metadata for topic "${topic}"`);
    const writers: (RecordBatchWriter | undefined)[] = new Array(partitions);
    const expected = Math.ceil((records * 400) / partitions) + 1024;
    let count = 0;
    const writer = (key: Buffer | null): RecordBatchWriter => {
      const p = key === null ? this.roundRobin++ % partitions : keyPartition(key, partitions);
      return (writers[p] ??= this.take(expected));
    };
    return {
      add: (key, value, timestamp, headers) => {
        writer(key).append(key, value, timestamp, headers);
        count++;
      },
      begin: (key, timestamp) => {
        const w = writer(key);
        w.beginValue(key, timestamp);
        count++;
        return w;
      },
      get count() {
        return count;
      },
      send: async () => {
        const used = new Map<number, RecordBatchWriter>();
        writers.forEach((w, p) => w && used.set(p, w));
        try {
          if (used.size) await send(used);
        } finally {
          // The finished batches are views of the writers' buffers: reused only once the send is over.
          for (const w of used.values()) if (this.pool.length < POOLED_WRITERS) this.pool.push(w);
          writers.fill(undefined);
        }
      },
    };
  }

  /**
   * A writer from the pool: buffers of finished sends are reused rather than allocated for every
   * batch (fresh memory is what costs: each new page faults on first touch).
   */
  private take(expected: number): RecordBatchWriter {
    const w = this.pool.pop();
    if (!w) return new RecordBatchWriter(expected);
    w.reset();
    return w;
  }

  /**
   * Sends finished batches of `topic` (partition → batch) with acks=all, retrying what was not
   * acknowledged; `transactionalId` when they are a transaction's batches.
   */
  async send(topic: string, batches: Map<number, Buffer>, transactionalId: string | null = null): Promise<void> {
    const pending = new Map([[topic, batches]]);
    await retry(
      async (attempt) => {
        if (attempt > 0) await this.recover();
        await this.cluster.refreshMetadata(true);
        await produceToLeaders(this.cluster, -1, TIMEOUT_MS, pending, transactionalId);
      },
      sendRetry(this.log, [...batches.keys()], (err) => this.cluster.forgetBroker(err)),
    );
  }

  /** After a failure and its backoff: reconnect when needed and reload the metadata. */
  private async recover(): Promise<void> {
    try {
      if (!this.cluster.isConnected()) await this.cluster.connect();
      await this.cluster.refreshMetadata();
    } catch (again) {
      this.log.warn('metadata refresh failed', { error: (again as Error).message });
    }
  }

  async disconnect(): Promise<void> {
    await this.cluster.disconnect();
  }
}
