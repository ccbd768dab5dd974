/**
 * connect(): a Kafka connection for notebooks and apps. Brokers come from the `brokers` option,
 * else KAFKA_BROKERS, else the embedded broker on localhost:9092 (reused when something listens
 * there, started in-process otherwise and shared by this process's connections until the last
 * one closes). Everything client-side goes through kafkajs; its errors reach users explained
 * (./errors.ts).
 */
import * as net from 'net';
import * as path from 'path';
import { Kafka, logLevel as kafkajsLevel, type Admin, type KafkaConfig, type Producer, Partitioners, type ITopicMetadata } from 'kafkajs';
import type { Broker } from '../broker';
import { KafkalabError, closest } from '../util/errors';
import { badOption, checkOptions, optionKeys } from '../util/options';
import { defaultLogger, type Logger } from '../util/log';
import type { DataFrame } from '../frame/dataframe';
import { SchemaRegistryClient, type SchemaRegistryTarget } from '../registry/client';
import type { SchemaRegistry } from '../registry/server';
import { Topic } from './topic';
import { partitionsFrame, topicsFrame } from './catalog';
import { checkTopicName, explainKafkaError, kafkajsLogger, unreachable } from './errors';

export interface ConnectOptions {
  /** 'host1:9092,host2:9092' or a list; default KAFKA_BROKERS, else the embedded broker. */
  brokers?: string | string[];
  clientId?: string;
  /** kafkajs's `ssl` option (true or tls.ConnectionOptions). */
  ssl?: KafkaConfig['ssl'];
  /** kafkajs's `sasl` option ({ mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512', username, password }). */
  sasl?: KafkaConfig['sasl'];
  /** Where the embedded broker keeps its data when this call starts one (default ./.kafkalab/data). */
  dataDir?: string;
  connectionTimeout?: number;
  requestTimeout?: number;
  /**
   * A Schema Registry for Avro / Protobuf / JSON Schema records: its URL, or { url, auth: { username, password } }
   * (Confluent Cloud's API key and secret). Default SCHEMA_REGISTRY_URL (with SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO
   * as user:password), else the embedded registry on localhost:8081 when the embedded broker is used.
   */
  schemaRegistry?: SchemaRegistryTarget;
  logger?: Logger;
}

export const EMBEDDED_PORT = 9092;

export type ClientConfig = Pick<KafkaConfig, 'brokers' | 'clientId' | 'ssl' | 'sasl' | 'connectionTimeout' | 'requestTimeout'> & { brokers: string[] };

/** Whether something accepts TCP connections on host:port. */
export function isListening(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

function splitBrokers(b: string | string[]): string[] {
  const list = (Array.isArray(b) ? b : b.split(',')).map((s) => s.trim()).filter(Boolean);
  if (!list.length) throw new KafkalabError('No Kafka brokers given', { code: 'BAD_OPTION', hint: "pass brokers: 'host:9092' or omit it to use the embedded broker" });
  for (const b of list) {
    const port = Number(/:(\d+)$/.exec(b)?.[1]);
    if (!(port > 0 && port < 65536)) {
      throw new KafkalabError(`Broker address "${b}" has no port`, { code: 'BAD_OPTION', hint: `write it as host:port, e.g. '${b.replace(/:.*$/, '')}:9092'` });
    }
  }
  return list;
}

/**
 * The embedded broker this process started, shared by every connect() that uses it and
 * stopped by the last close(). Deciding whether to start one and releasing it run one at a
 * time, so concurrent connect() calls never race to bind :9092.
 */
let inProcess: { broker: Broker; users: number; registry?: SchemaRegistry } | undefined;
let embeddedLock: Promise<unknown> = Promise.resolve();

function serialized<T>(fn: () => Promise<T>): Promise<T> {
  const run = embeddedLock.then(fn);
  embeddedLock = run.catch(() => undefined);
  return run;
}

/** The in-process embedded broker with one more user, or undefined when another process serves :9092. */
function acquireEmbedded(dataDir: string, logger: Logger): Promise<Broker | undefined> {
  return serialized(async () => {
    // Someone may have stopped it directly (conn.embedded.stop()): then start a new one.
    if (inProcess && !(await isListening('127.0.0.1', EMBEDDED_PORT))) inProcess = undefined;
    if (inProcess) {
      inProcess.users++;
      logger.info('using the embedded broker this process started', { bootstrap: inProcess.broker.bootstrap, users: inProcess.users });
      return inProcess.broker;
    }
    if (await isListening('127.0.0.1', EMBEDDED_PORT)) {
      logger.info('using the broker already listening on localhost:9092');
      return undefined;
    }
    const { startBroker } = require('../broker') as typeof import('../broker');
    const broker = await startBroker({ port: EMBEDDED_PORT, dataDir, logger: logger.child('broker') });
    const { startEmbeddedRegistry } = require('../registry/embedded') as typeof import('../registry/embedded');
    inProcess = { broker, users: 1, registry: await startEmbeddedRegistry(broker.bootstrap, logger.child('schema-registry')) };
    logger.info('started the embedded broker', { bootstrap: broker.bootstrap, dataDir });
    return broker;
  });
}

function releaseEmbedded(broker: Broker): Promise<void> {
  return serialized(async () => {
    if (!inProcess || inProcess.broker !== broker) return;
    if (--inProcess.users > 0) return;
    const { registry } = inProcess;
    inProcess = undefined;
    await registry?.stop().catch(() => undefined);
    await broker.stop();
  });
}

export async function connect(opts: ConnectOptions = {}): Promise<KafkaConnection> {
  checkOptions('connect()', opts, CONNECT_OPTIONS);
  const logger = opts.logger ?? defaultLogger('kafka');
  let brokers: string[];
  let embedded: Broker | undefined;
  let source: 'option' | 'env' | 'embedded';
  if (opts.brokers !== undefined) {
    brokers = splitBrokers(opts.brokers);
    source = 'option';
  } else if (process.env.KAFKA_BROKERS) {
    brokers = splitBrokers(process.env.KAFKA_BROKERS);
    source = 'env';
  } else {
    source = 'embedded';
    embedded = await acquireEmbedded(opts.dataDir ?? path.resolve('.kafkalab', 'data'), logger);
    brokers = [embedded ? embedded.bootstrap : `localhost:${EMBEDDED_PORT}`];
  }
  const clientConfig: ClientConfig = {
    brokers,
    clientId: opts.clientId ?? 'kafkalab',
    ssl: opts.ssl,
    sasl: opts.sasl,
    connectionTimeout: opts.connectionTimeout ?? 3000,
    requestTimeout: opts.requestTimeout ?? 30_000,
  };
  const kafka = new Kafka({
    ...clientConfig,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 2000 },
    logLevel: kafkajsLevel.INFO,
    logCreator: kafkajsLogger(logger),
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.listTopics();
  } catch (err) {
    await admin.disconnect().catch(() => undefined);
    if (embedded) await releaseEmbedded(embedded);
    throw unreachable(brokers, source, err);
  }
  const registry = await registryFor(opts.schemaRegistry, source, logger);
  return new KafkaConnection(kafka, admin, brokers, logger, embedded, clientConfig, registry);
}

/** The Schema Registry client of a connection: the option, else SCHEMA_REGISTRY_URL, else the embedded one when it runs. */
async function registryFor(target: SchemaRegistryTarget | undefined, source: 'option' | 'env' | 'embedded', logger: Logger): Promise<SchemaRegistryClient | undefined> {
  const { DEFAULT_REGISTRY_PORT } = require('../registry/server') as typeof import('../registry/server');
  const userInfo = process.env.SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO;
  const colon = userInfo ? userInfo.indexOf(':') : -1;
  const fromEnv = process.env.SCHEMA_REGISTRY_URL
    ? { url: process.env.SCHEMA_REGISTRY_URL, auth: userInfo && colon > 0 ? { username: userInfo.slice(0, colon), password: userInfo.slice(colon + 1) } : undefined }
    : undefined;
  let chosen = target ?? fromEnv;
  if (!chosen && source === 'embedded' && (inProcess?.registry || (await isListening('127.0.0.1', DEFAULT_REGISTRY_PORT)))) chosen = `http://127.0.0.1:${DEFAULT_REGISTRY_PORT}`;
  return chosen ? new SchemaRegistryClient(chosen, { logger: logger.child('schema-registry') }) : undefined;
}

export interface CreateTopicOptions {
  /** Partitions (default 1). */
  partitions?: number;
  /** Copies of each partition (default 1; at most the number of brokers). */
  replicationFactor?: number;
  /** Topic configs, e.g. { 'retention.ms': '86400000' } (numbers and booleans are sent as text). */
  config?: Record<string, string | number | boolean>;
}

export const CONNECT_OPTIONS = optionKeys<ConnectOptions>()(['brokers', 'clientId', 'ssl', 'sasl', 'dataDir', 'connectionTimeout', 'requestTimeout', 'schemaRegistry', 'logger']);
export const CREATE_TOPIC_OPTIONS = optionKeys<CreateTopicOptions>()(['partitions', 'replicationFactor', 'config']);

/**
 * A bounded retry for the idempotent producer (kafkajs's default is to retry forever, which
 * hangs produce() when the broker is gone). After a send fails the connection drops that
 * producer, so the next send starts with a new producer id instead of reusing sequence numbers
 * a lost batch may already have taken.
 */
const PRODUCER_RETRY = { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 };

export class KafkaConnection {
  private producerPromise: Promise<Producer> | undefined;
  private closed = false;
  private readonly closers = new Set<() => Promise<void>>();

  constructor(
    readonly kafka: Kafka,
    readonly admin: Admin,
    readonly brokers: string[],
    readonly logger: Logger,
    /** The in-process embedded broker this connection uses (shared; the last close() stops it). */
    readonly embedded?: Broker,
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
   * Every topic with partitions, message counts, offsets and first/last record times. For a
   * topic of several partitions the counts and offsets are sums over its partitions (see
   * partitions() for each one).
   */
  topics(): Promise<DataFrame> {
    return this.call('topics()', undefined, () => topicsFrame(this));
  }

  /** One row per partition: partition, messages, earliestOffset, latestOffset, firstTimestamp, lastTimestamp. */
  partitions(topic: string): Promise<DataFrame> {
    return this.call('partitions()', topic, () => partitionsFrame(this, topic));
  }

  /**
   * Creates a topic; an existing topic with the same partition count is returned as it is
   * (re-running a notebook cell works), one with another count is an error.
   */
  async createTopic(name: string, opts: CreateTopicOptions = {}): Promise<Topic> {
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
      const meta = await this.call('createTopic()', name, () => this.admin.fetchTopicMetadata({ topics: [name] }));
      const have = meta.topics[0]?.partitions.length;
      if (opts.partitions !== undefined && have !== opts.partitions) {
        throw new KafkalabError(`Topic "${name}" already exists with ${have} partitions, not ${opts.partitions}`, {
          code: 'TOPIC_EXISTS',
          hint: `use it as it is, or delete it first with kafka.deleteTopic('${name}')`,
        });
      }
    }
    return this.topic(name);
  }

  async deleteTopic(name: string): Promise<void> {
    await this.requireTopic(name);
    await this.call('deleteTopic()', name, () => this.admin.deleteTopics({ topics: [name] }));
  }

  topic(name: string): Topic {
    return new Topic(this, name);
  }

  /** Partition metadata; unknown topics fail with a "did you mean". */
  async requireTopic(name: string): Promise<ITopicMetadata> {
    const names = await this.call('listing topics', name, () => this.admin.listTopics());
    if (!names.includes(name)) {
      const near = closest(name, names.filter((n) => !n.startsWith('__')));
      throw new KafkalabError(`Topic "${name}" does not exist${near ? ` (did you mean "${near}"?)` : ''}`, {
        code: 'UNKNOWN_TOPIC',
        hint: `create it with kafka.createTopic('${name}', { partitions: N }) or list them with kafka.topics()`,
      });
    }
    const meta = await this.call('reading topic metadata', name, () => this.admin.fetchTopicMetadata({ topics: [name] }));
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
      const p = this.kafka.producer({
        createPartitioner: Partitioners.DefaultPartitioner,
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
    if (this.embedded) await releaseEmbedded(this.embedded);
  }
}
