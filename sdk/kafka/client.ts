/**
 * The low-level Kafka client every part of sdk/kafka builds on: kafkajs's client and admin, the
 * connection's one producer, explained errors, topic metadata and creation, and what to release
 * on close. `KafkaConnection` (connect.ts) adds the notebook-facing catalog and `topic()` on top,
 * so reads, streams, replays and the catalog import this module, never connect.ts: the arrows
 * point one way.
 */
import { type Admin, type Kafka, type KafkaConfig, type Producer, type ITopicMetadata } from 'kafkajs';
import { KafkalabError, closest } from '../util/errors';
import { badOption, checkOptions, optionKeys } from '../util/options';
import type { Logger } from '../util/log';
import type { SchemaRegistryClient } from '../registry/client';
import { checkTopicName, explainKafkaError } from './errors';
import { completeProducer } from './complete-send';
import { retry } from '../util/retry';

/** What it takes to open another client to the same cluster (worker threads). */
export type ClientConfig = Pick<KafkaConfig, 'brokers' | 'clientId' | 'ssl' | 'sasl' | 'connectionTimeout' | 'requestTimeout'> & { brokers: string[] };

export interface CreateTopicOptions {
  /** Partitions (default 1). */
  partitions?: number;
  /** Copies of each partition (default 1; at most the number of brokers). */
  replicationFactor?: number;
  /** Topic configs, e.g. { 'retention.ms': '86400000' } (numbers and booleans are sent as text). */
  config?: Record<string, string | number | boolean>;
}

export const CREATE_TOPIC_OPTIONS = optionKeys<CreateTopicOptions>()(['partitions', 'replicationFactor', 'config']);

/**
 * A bounded retry for the idempotent producer (kafkajs's default is to retry forever, which
 * hangs produce() when the broker is gone). After a send fails the connection drops that
 * producer, so the next send starts with a new producer id instead of reusing sequence numbers
 * a lost batch may already have taken.
 */
/** Tries of a repeatable lookup (see lookup()). */
const LOOKUP_ATTEMPTS = 5;
const PRODUCER_RETRY = { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 };

export class KafkaClient {
  private producerPromise: Promise<Producer> | undefined;
  private closed = false;

  /** Whether close() was called. */
  get isClosed(): boolean {
    return this.closed;
  }
  private readonly closers = new Set<() => Promise<void>>();

  constructor(
    readonly kafka: Kafka,
    readonly admin: Admin,
    readonly brokers: string[],
    readonly logger: Logger,
    /** What it takes to open another client to the same cluster (worker threads). */
    readonly clientConfig: ClientConfig = { brokers },
    /** The Schema Registry for Avro / Protobuf / JSON Schema records, when there is one. */
    readonly schemaRegistry?: SchemaRegistryClient,
  ) {}

  /** The Schema Registry, or an error saying how to give one. */
  requireSchemaRegistry(what: string): SchemaRegistryClient {
    if (this.schemaRegistry) return this.schemaRegistry;
    throw new KafkalabError(`${what} needs a Schema Registry and this connection has none`, {
      code: 'NO_SCHEMA_REGISTRY',
      hint: "connect({ schemaRegistry: 'http://host:8081' }) or set SCHEMA_REGISTRY_URL",
    });
  }

  get bootstrap(): string {
    return this.brokers.join(',');
  }

  /** A kafkajs error as a KafkalabError that says what happened and what to do (others unchanged). */
  explain(err: unknown, ctx: { topic?: string; op?: string } = {}): unknown {
    return explainKafkaError(err, { brokers: this.brokers, ...ctx });
  }

  /** Runs a Kafka call, explaining what it throws. */
  async call<T>(op: string, topic: string | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw this.explain(e, { op, topic });
    }
  }

  /**
   * A call that is safe to repeat (listing topics, reading metadata or offsets): when the node it
   * went to goes away or a leader moves under it, it is tried again, on whichever node kafkajs
   * reaches next, a few times before the error is explained.
   */
  lookup<T>(op: string, topic: string | undefined, fn: () => Promise<T>): Promise<T> {
    return this.call(op, topic, () => retry(fn, { attempts: LOOKUP_ATTEMPTS, initialMs: 100, maxMs: 1000, retriable: (e) => this.isRetriable(e) }));
  }

  /** Whether Kafka's error table (through `explain`) calls `err` worth trying again: a moved leader, a lost connection, ... */
  isRetriable(err: unknown): boolean {
    return (this.explain(err) as { retriable?: boolean }).retriable === true;
  }

  /**
   * Creates a topic unless it exists; an existing topic with another partition count than the
   * one asked for is an error. True when this call created it.
   */
  async ensureTopic(name: string, opts: CreateTopicOptions = {}): Promise<boolean> {
    checkOptions('createTopic()', opts, CREATE_TOPIC_OPTIONS);
    checkTopicName(name);
    const partitions = opts.partitions ?? 1;
    const replicationFactor = opts.replicationFactor ?? 1;
    if (!Number.isInteger(partitions) || partitions < 1) throw badOption('createTopic()', 'partitions', opts.partitions, 'a whole number of at least 1', 'partitions: 4');
    if (!Number.isInteger(replicationFactor) || replicationFactor < 1) {
      throw badOption('createTopic()', 'replicationFactor', opts.replicationFactor, 'a whole number of at least 1 (at most the number of brokers)', 'replicationFactor: 3');
    }
    const configEntries = Object.entries(opts.config ?? {}).map(([n, value]) => {
      if (!['string', 'number', 'boolean'].includes(typeof value)) throw badOption('createTopic()', `config['${n}']`, value, 'a string, number or boolean', "config: { 'retention.ms': '86400000' }");
      return { name: n, value: String(value) };
    });
    const created = await this.call('createTopic()', name, () =>
      this.admin.createTopics({ topics: [{ topic: name, numPartitions: partitions, replicationFactor, configEntries }], waitForLeaders: true }),
    );
    if (!created) {
      const meta = await this.lookup('createTopic()', name, () => this.admin.fetchTopicMetadata({ topics: [name] }));
      const have = meta.topics[0]?.partitions.length;
      if (opts.partitions !== undefined && have !== opts.partitions) {
        throw new KafkalabError(`Topic "${name}" already exists with ${have} partitions, not ${opts.partitions}`, {
          code: 'TOPIC_EXISTS',
          hint: `use it as it is, or delete it first with kafka.deleteTopic('${name}')`,
        });
      }
    }
    return created;
  }

  async deleteTopic(name: string): Promise<void> {
    await this.requireTopic(name);
    await this.call('deleteTopic()', name, () => this.admin.deleteTopics({ topics: [name] }));
  }

  /** Partition metadata; unknown topics fail with a "did you mean". */
  async requireTopic(name: string): Promise<ITopicMetadata> {
    const names = await this.lookup('listing topics', name, () => this.admin.listTopics());
    if (!names.includes(name)) {
      const near = closest(name, names.filter((n) => !n.startsWith('__')));
      throw new KafkalabError(`Topic "${name}" does not exist${near ? ` (did you mean "${near}"?)` : ''}`, {
        code: 'UNKNOWN_TOPIC',
        hint: `create it with kafka.createTopic('${name}', { partitions: N }) or list them with kafka.topics()`,
      });
    }
    const meta = await this.lookup('reading topic metadata', name, () => this.admin.fetchTopicMetadata({ topics: [name] }));
    return meta.topics[0];
  }

  /**
   * The connection's one idempotent producer (kafkajs's default, Java-compatible partitioner):
   * the broker drops a batch kafkajs retries after it already landed, so retries make no
   * duplicates. kafkajs sends one request per broker at a time for it; measured with 200k rows
   * in 5000-row sends, throughput is the same as without idempotence.
   */
  producer(): Promise<Producer> {
    if (this.producerPromise) return this.producerPromise;
    // Assigned before the async body first uses it (after an await).
    let made!: Promise<Producer>;
    made = (async (): Promise<Producer> => {
      // completeProducer: kafkajs's partitioner, and no record left unsent across a leader move.
      const p = completeProducer(this.kafka, {
        allowAutoTopicCreation: false,
        idempotent: true,
        maxInFlightRequests: 1,
        retry: PRODUCER_RETRY,
      });
      // Every user of this producer (produce, stream sinks, replay) gets the reset on failure.
      const send = p.send.bind(p);
      const sendBatch = p.sendBatch.bind(p);
      p.send = (record) => send(record).catch((e) => this.dropProducer(made, e));
      p.sendBatch = (batch) => sendBatch(batch).catch((e) => this.dropProducer(made, e));
      try {
        await p.connect();
      } catch (e) {
        return this.dropProducer(made, e);
      }
      return p;
    })();
    this.producerPromise = made;
    return made;
  }

  private dropProducer(which: Promise<Producer>, err: unknown): never {
    if (this.producerPromise === which) {
      this.producerPromise = undefined;
      which.then((p) => p.disconnect()).catch(() => undefined);
    }
    throw err;
  }

  /** Registers something (a stream, a job) to release on close. */
  track(close: () => Promise<void>): () => void {
    this.closers.add(close);
    return () => this.closers.delete(close);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of [...this.closers]) await c().catch((e) => this.logger.warn('close failed', { error: String(e) }));
    if (this.producerPromise) await (await this.producerPromise.catch(() => undefined))?.disconnect().catch(() => undefined);
    await this.admin.disconnect().catch(() => undefined);
  }
}
