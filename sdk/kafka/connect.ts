/**
 * connect(): a Kafka connection for notebooks and apps. Brokers come from the `brokers` option,
 * else KAFKA_BROKERS, else the embedded broker on localhost:9092 (reused when something listens
 * there, started in-process otherwise). Everything client-side goes through kafkajs.
 */
import * as net from 'net';
import * as path from 'path';
import { Kafka, logLevel as kafkajsLevel, type Admin, type KafkaConfig, type Producer, Partitioners, type ITopicMetadata } from 'kafkajs';
import type { Broker } from '../broker';
import { KafkalabError, closest } from '../util/errors';
import { defaultLogger, type Logger } from '../util/log';
import type { DataFrame } from '../frame/dataframe';
import { buildFrame } from '../frame/dataframe';
import { Topic } from './topic';
import { createCluster, Fetcher } from './fetcher';
import { withFreshMetadata } from './read';

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
  return list;
}

function kafkajsLogger(logger: Logger): KafkaConfig['logCreator'] {
  return () =>
    ({ namespace, level, log }) => {
      const { message, ...fields } = log;
      const l = logger.child(`kafkajs:${namespace}`);
      if (level === kafkajsLevel.ERROR) l.warn(message, fields); // kafkajs logs retried failures as errors
      else if (level === kafkajsLevel.WARN) l.warn(message, fields);
      else l.debug(message, fields);
    };
}

export async function connect(opts: ConnectOptions = {}): Promise<KafkaConnection> {
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
    brokers = [`localhost:${EMBEDDED_PORT}`];
    if (!(await isListening('127.0.0.1', EMBEDDED_PORT))) {
      const { startBroker } = require('../broker') as typeof import('../broker');
      const dataDir = opts.dataDir ?? path.resolve('.kafkalab', 'data');
      embedded = await startBroker({ port: EMBEDDED_PORT, dataDir, logger: logger.child('broker') });
      brokers = [embedded.bootstrap];
      logger.info('started the embedded broker', { bootstrap: embedded.bootstrap, dataDir });
    } else {
      logger.info('using the broker already listening on localhost:9092');
    }
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
    await embedded?.stop();
    throw unreachable(brokers, source, err);
  }
  return new KafkaConnection(kafka, admin, brokers, logger, embedded, clientConfig);
}

function unreachable(brokers: string[], source: string, err: unknown): KafkalabError {
  const cause = findCode(err);
  const where = brokers.join(',');
  const hint =
    source === 'embedded'
      ? 'something on localhost:9092 is not a working Kafka broker; stop it or set KAFKA_BROKERS'
      : source === 'env'
        ? 'check KAFKA_BROKERS, or unset it to use the embedded broker'
        : 'set KAFKA_BROKERS or omit it to use the embedded broker';
  return new KafkalabError(`Cannot reach Kafka at ${where} (${cause})`, { code: 'KAFKA_UNREACHABLE', hint, retriable: true, cause: err });
}

function findCode(err: unknown): string {
  for (let e: any = err, i = 0; e && i < 6; e = e.cause ?? e.originalError, i++) {
    if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) return e.code;
    const m = /(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|EAI_AGAIN)/.exec(String(e.message ?? ''));
    if (m) return m[1];
    if (e.name === 'KafkaJSConnectionError' && /timeout/i.test(e.message)) return 'connection timeout';
  }
  return (err as Error)?.message ?? String(err);
}

export interface CreateTopicOptions {
  partitions?: number;
  replicationFactor?: number;
  /** Topic configs, e.g. { 'retention.ms': '86400000' }. */
  config?: Record<string, string>;
}

export class KafkaConnection {
  private producerPromise: Promise<Producer> | undefined;
  private closed = false;
  private readonly closers = new Set<() => Promise<void>>();

  constructor(
    readonly kafka: Kafka,
    readonly admin: Admin,
    readonly brokers: string[],
    readonly logger: Logger,
    /** The embedded broker this connection started, if it started one. */
    readonly embedded?: Broker,
    /** What it takes to open another client to the same cluster (worker threads). */
    readonly clientConfig: ClientConfig = { brokers },
  ) {}

  get bootstrap(): string {
    return this.brokers.join(',');
  }

  /** Every topic with partitions, message counts, offsets and first/last record times. */
  async topics(): Promise<DataFrame> {
    const names = (await this.admin.listTopics()).filter((t) => !t.startsWith('__')).sort();
    const rows = [];
    for (const topic of names) {
      const offsets = await withFreshMetadata(this, topic, () => this.admin.fetchTopicOffsets(topic));
      const low = offsets.map((o) => Number(o.low));
      const high = offsets.map((o) => Number(o.high));
      const { first, last } = await this.edgeTimestamps(topic, offsets.map((o) => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) })));
      rows.push({
        topic,
        partitions: offsets.length,
        messages: high.reduce((s, h, i) => s + h - low[i], 0),
        earliestOffset: Math.min(...low),
        latestOffset: Math.max(...high),
        firstTimestamp: first === undefined ? null : new Date(first).toISOString(),
        lastTimestamp: last === undefined ? null : new Date(last).toISOString(),
      });
    }
    const columns = ['topic', 'partitions', 'messages', 'earliestOffset', 'latestOffset', 'firstTimestamp', 'lastTimestamp'];
    return buildFrame(rows, columns.map((name) => ({ name, type: 'null' as const }))).df;
  }

  /** Timestamps of the first and last record of a topic: one small fetch per end, no scan. */
  private async edgeTimestamps(topic: string, parts: { partition: number; low: number; high: number }[]) {
    const nonEmpty = parts.filter((p) => p.high > p.low);
    if (!nonEmpty.length) return { first: undefined, last: undefined };
    const fetcher = new Fetcher(createCluster(this.kafka), topic);
    try {
      await fetcher.connect();
      let first: number | undefined;
      let last: number | undefined;
      const heads = await fetcher.fetch(new Map(nonEmpty.map((p) => [p.partition, p.low])), { partitionBytes: 64 * 1024 });
      for (const h of heads) {
        const m = h.messages.find((x) => !x.isControlRecord);
        if (m) first = Math.min(first ?? Infinity, Number(m.timestamp));
      }
      const tails = await fetcher.fetch(new Map(nonEmpty.map((p) => [p.partition, p.high - 1])), { partitionBytes: 1024 * 1024 });
      for (const t of tails) {
        const want = (nonEmpty.find((p) => p.partition === t.partition) as { high: number }).high - 1;
        for (const m of t.messages) if (Number(m.offset) === want) last = Math.max(last ?? -Infinity, Number(m.timestamp));
      }
      return { first, last };
    } finally {
      await fetcher.disconnect();
    }
  }

  async createTopic(name: string, opts: CreateTopicOptions = {}): Promise<Topic> {
    const created = await this.admin.createTopics({
      topics: [
        {
          topic: name,
          numPartitions: opts.partitions ?? 1,
          replicationFactor: opts.replicationFactor ?? 1,
          configEntries: Object.entries(opts.config ?? {}).map(([n, value]) => ({ name: n, value })),
        },
      ],
      waitForLeaders: true,
    });
    if (!created) {
      const meta = await this.admin.fetchTopicMetadata({ topics: [name] });
      const have = meta.topics[0]?.partitions.length;
      if (opts.partitions !== undefined && have !== opts.partitions) {
        throw new KafkalabError(`Topic "${name}" already exists with ${have} partitions`, { code: 'TOPIC_EXISTS', hint: 'delete it first or use it as it is' });
      }
    }
    return this.topic(name);
  }

  async deleteTopic(name: string): Promise<void> {
    await this.requireTopic(name);
    await this.admin.deleteTopics({ topics: [name] });
  }

  topic(name: string): Topic {
    return new Topic(this, name);
  }

  /** Partition metadata; unknown topics fail with a "did you mean". */
  async requireTopic(name: string): Promise<ITopicMetadata> {
    const names = await this.admin.listTopics();
    if (!names.includes(name)) {
      const near = closest(name, names.filter((n) => !n.startsWith('__')));
      throw new KafkalabError(`Topic "${name}" does not exist${near ? ` (did you mean "${near}"?)` : ''}`, {
        code: 'UNKNOWN_TOPIC',
        hint: `create it with kafka.createTopic('${name}', { partitions: N }) or list them with kafka.topics()`,
      });
    }
    const meta = await this.admin.fetchTopicMetadata({ topics: [name] });
    return meta.topics[0];
  }

  /** The connection's one idempotent producer (kafkajs's default, Java-compatible partitioner). */
  producer(): Promise<Producer> {
    this.producerPromise ??= (async () => {
      const p = this.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
      await p.connect();
      return p;
    })();
    return this.producerPromise;
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
    if (this.producerPromise) await (await this.producerPromise.catch(() => undefined))?.disconnect();
    await this.admin.disconnect();
    await this.embedded?.stop();
  }
}
