/**
 * connect(): a Kafka connection for notebooks and apps. Brokers come from the `brokers` option,
 * else KAFKA_BROKERS, else the embedded broker on localhost:9092 (a kafkalab broker already there
 * with the same data dir is reused; otherwise it starts in-process, on a free port when something
 * else holds :9092, and is shared by this process's connections until the last one closes). Everything client-side goes through kafkajs; its errors reach users explained
 * (./errors.ts).
 */
import * as net from 'net';
import * as path from 'path';
import { ConfigResourceTypes, Kafka, logLevel as kafkajsLevel, type Admin, type KafkaConfig } from 'kafkajs';
import type { Broker } from '../broker';
import { KafkalabError } from '../util/errors';
import { rememberSecret } from '../util/redact';
import { securityFromEnv } from './env-security';
import { checkOptions, optionKeys } from '../util/options';
import { defaultLogger, type Logger } from '../util/log';
import type { DataFrame } from '../frame/dataframe';
import { SchemaRegistryClient, type SchemaRegistryTarget } from '../registry/client';
import type { SchemaRegistry } from '../registry/server';
import { Topic } from './topic';
import { partitionsFrame, topicsFrame } from './catalog';
import { kafkajsLogger, unreachable } from './errors';
import { KafkaClient, type ClientConfig, type CreateTopicOptions } from './client';

export type { ClientConfig, CreateTopicOptions } from './client';
export { CREATE_TOPIC_OPTIONS } from './client';

export interface ConnectOptions {
  /** 'host1:9092,host2:9092' or a list; default KAFKA_BROKERS, else the embedded broker. */
  brokers?: string | string[];
  clientId?: string;
  /** kafkajs's `ssl` option (true or tls.ConnectionOptions); default from KAFKA_SSL* (env-security.ts) unless the embedded broker is used. */
  ssl?: KafkaConfig['ssl'];
  /** kafkajs's `sasl` option ({ mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512', username, password }); default from KAFKA_SASL_*. */
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

/** What listens on a port connect() would use for the embedded broker (see probeListener). */
export type ListenerIdentity =
  | { kind: 'kafkalab'; pid: number; dataDir: string; clusterId?: string }
  | { kind: 'kafka'; clusterId?: string }
  | { kind: 'other'; reason: string };

/**
 * Who serves `host:port`: a kafkalab broker answers DescribeConfigs on itself with
 * `kafkalab.pid` and `kafkalab.data.dir` (sdk/broker/broker-configs.ts); another Kafka answers
 * without them; anything else fails the Kafka handshake. Short timeouts, no retries.
 */
export async function probeListener(host: string, port: number, timeoutMs = 2000): Promise<ListenerIdentity> {
  const kafka = new Kafka({
    brokers: [`${host}:${port}`],
    clientId: 'kafkalab-probe',
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
    logLevel: kafkajsLevel.NOTHING,
  });
  const admin = kafka.admin();
  let clusterId: string | undefined;
  try {
    const work = (async () => {
      await admin.connect();
      const cluster = await admin.describeCluster();
      clusterId = cluster.clusterId;
      const node = cluster.brokers[0]?.nodeId ?? cluster.controller ?? 0;
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.BROKER, name: String(node), configNames: ['kafkalab.pid', 'kafkalab.data.dir'] }],
      });
      const entries = described.resources[0]?.configEntries ?? [];
      const get = (n: string) => entries.find((e) => e.configName === n)?.configValue;
      const pid = Number(get('kafkalab.pid'));
      const dataDir = get('kafkalab.data.dir');
      if (Number.isInteger(pid) && pid > 0 && dataDir) return { kind: 'kafkalab', pid, dataDir, clusterId } as ListenerIdentity;
      return { kind: 'kafka', clusterId } as ListenerIdentity;
    })();
    work.catch(() => undefined);
    const timer = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no Kafka answer within ${timeoutMs * 2} ms`)), timeoutMs * 2).unref());
    return await Promise.race([work, timer]);
  } catch (err) {
    // A Kafka that answered metadata but refused DescribeConfigs on itself is still a Kafka.
    if (clusterId !== undefined) return { kind: 'kafka', clusterId };
    return { kind: 'other', reason: (err as Error).message || String(err) };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** One line saying what a listener is, for logs and errors. */
export function describeListener(id: ListenerIdentity, where: string): string {
  if (id.kind === 'kafkalab') return `the kafkalab broker of process ${id.pid} (data dir ${id.dataDir}) on ${where}`;
  if (id.kind === 'kafka') return `a Kafka broker that is not kafkalab's${id.clusterId ? ` (cluster ${id.clusterId})` : ''} on ${where}`;
  return `something that is not a Kafka broker on ${where} (${id.reason})`;
}

/** How a connection reached its brokers: what connect() decided, shown by `kafka.origin` and the kernel. */
export interface ConnectionOrigin {
  /** 'option' / 'env': brokers given; 'in-process': the embedded broker in this process; 'reused': another process's kafkalab broker. */
  kind: 'option' | 'env' | 'in-process' | 'reused';
  /** One line for people, e.g. "the kafkalab broker of process 4242 (data dir /home/me/.kafkalab/data) on localhost:9092". */
  description: string;
  pid?: number;
  dataDir?: string;
}

interface Acquired {
  broker?: Broker;
  origin: ConnectionOrigin;
}

/**
 * The broker connect() uses by default. A kafkalab broker already on :9092 with this
 * connection's data dir is reused (it holds the same topics; its pid and data dir are logged and
 * kept in `origin`). Anything else there (another kafkalab broker's data, a foreign Kafka, a
 * non-Kafka listener) is not what the user meant: the in-process broker starts on a free port
 * instead, with a warning naming what holds :9092. Otherwise the in-process broker takes :9092.
 */
function acquireEmbedded(dataDir: string, logger: Logger): Promise<Acquired> {
  return serialized(async () => {
    // Someone may have stopped it directly (conn.embedded.stop()): then start a new one.
    if (inProcess && !(await isListening('127.0.0.1', inProcess.broker.port))) inProcess = undefined;
    if (inProcess) {
      inProcess.users++;
      logger.info('using the embedded broker this process started', { bootstrap: inProcess.broker.bootstrap, users: inProcess.users });
      return { broker: inProcess.broker, origin: inProcessOrigin(inProcess.broker) };
    }
    let port = EMBEDDED_PORT;
    if (await isListening('127.0.0.1', EMBEDDED_PORT)) {
      const where = `localhost:${EMBEDDED_PORT}`;
      const id = await probeListener('127.0.0.1', EMBEDDED_PORT);
      const what = describeListener(id, where);
      if (id.kind === 'kafkalab' && path.resolve(id.dataDir) === dataDir) {
        logger.info(`using ${what}`, { pid: id.pid, dataDir: id.dataDir });
        return { origin: { kind: 'reused', description: what, pid: id.pid, dataDir: id.dataDir } };
      }
      port = 0;
      const why = id.kind === 'kafkalab' ? `it keeps its data in ${id.dataDir}, not in ${dataDir}` : 'it is not a kafkalab broker';
      logger.warn(`not using ${what}: ${why}; starting an in-process broker on a free port instead (pass brokers: '${where}' or set KAFKA_BROKERS to use that one)`);
    }
    const { startBroker } = require('../broker') as typeof import('../broker');
    const broker = await startBroker({ port, dataDir, logger: logger.child('broker') });
    const { startEmbeddedRegistry } = require('../registry/embedded') as typeof import('../registry/embedded');
    inProcess = { broker, users: 1, registry: await startEmbeddedRegistry(broker.bootstrap, logger.child('schema-registry'), port === 0 ? 0 : undefined) };
    logger.info('started the embedded broker', { bootstrap: broker.bootstrap, dataDir });
    return { broker, origin: inProcessOrigin(broker) };
  });
}

function inProcessOrigin(broker: Broker): ConnectionOrigin {
  return { kind: 'in-process', description: `the embedded broker in this process (data dir ${broker.dataDir}) on ${broker.bootstrap}`, pid: process.pid, dataDir: broker.dataDir };
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
  let origin: ConnectionOrigin;
  if (opts.brokers !== undefined) {
    brokers = splitBrokers(opts.brokers);
    source = 'option';
    origin = { kind: 'option', description: `${brokers.join(',')} (the brokers option)` };
  } else if (process.env.KAFKA_BROKERS) {
    brokers = splitBrokers(process.env.KAFKA_BROKERS);
    source = 'env';
    origin = { kind: 'env', description: `${brokers.join(',')} (KAFKA_BROKERS)` };
  } else {
    source = 'embedded';
    const acquired = await acquireEmbedded(path.resolve(opts.dataDir ?? path.join('.kafkalab', 'data')), logger);
    embedded = acquired.broker;
    origin = acquired.origin;
    brokers = [embedded ? embedded.bootstrap : `localhost:${EMBEDDED_PORT}`];
  }
  // TLS/SASL: the options, else the app's KAFKA_SSL_* / KAFKA_SASL_* variables (not for the embedded broker, which is plaintext).
  const fromEnv = source === 'embedded' ? {} : securityFromEnv();
  const ssl = opts.ssl ?? fromEnv.ssl;
  const sasl = opts.sasl ?? fromEnv.sasl;
  // Masked wherever they might be echoed later (util/redact.ts).
  rememberSecret((sasl as { password?: string } | undefined)?.password);
  rememberSecret(typeof ssl === 'object' ? (ssl.passphrase as string | undefined) : undefined);
  const clientConfig: ClientConfig = {
    brokers,
    clientId: opts.clientId ?? 'kafkalab',
    ssl,
    sasl,
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
  const conn = new KafkaConnection(kafka, admin, brokers, logger, embedded, clientConfig, registry);
  conn.origin = origin;
  return conn;
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
  if (!chosen && source === 'embedded') {
    if (inProcess?.registry) chosen = inProcess.registry.url;
    else if (!(inProcess && inProcess.broker.port !== EMBEDDED_PORT) && (await isListening('127.0.0.1', DEFAULT_REGISTRY_PORT))) chosen = `http://127.0.0.1:${DEFAULT_REGISTRY_PORT}`;
  }
  return chosen ? new SchemaRegistryClient(chosen, { logger: logger.child('schema-registry') }) : undefined;
}

export const CONNECT_OPTIONS = optionKeys<ConnectOptions>()(['brokers', 'clientId', 'ssl', 'sasl', 'dataDir', 'connectionTimeout', 'requestTimeout', 'schemaRegistry', 'logger']);

/**
 * A connection as notebooks use it: the low-level client (client.ts) plus the topic catalog,
 * `topic(name)` and, when this connection started or joined the in-process embedded broker,
 * releasing it on close.
 */
export class KafkaConnection extends KafkaClient {
  /** Which brokers connect() chose and why (given, in-process, or another process's kafkalab broker: pid and data dir). */
  origin?: ConnectionOrigin;

  constructor(
    kafka: Kafka,
    admin: Admin,
    brokers: string[],
    logger: Logger,
    /** The in-process embedded broker this connection uses (shared; the last close() stops it). */
    readonly embedded?: Broker,
    clientConfig: ClientConfig = { brokers },
    schemaRegistry?: SchemaRegistryClient,
  ) {
    super(kafka, admin, brokers, logger, clientConfig, schemaRegistry);
  }

  /**
   * Every topic with partitions, message counts, offsets and first/last record times. For a
   * topic of several partitions the counts and offsets are sums over its partitions (see
   * partitions() for each one).
   */
  topics(): Promise<DataFrame> {
    return this.lookup('topics()', undefined, () => topicsFrame(this));
  }

  /** One row per partition: partition, messages, earliestOffset, latestOffset, firstTimestamp, lastTimestamp. */
  partitions(topic: string): Promise<DataFrame> {
    return this.lookup('partitions()', topic, () => partitionsFrame(this, topic));
  }

  /**
   * Creates a topic; an existing topic with the same partition count is returned as it is
   * (re-running a notebook cell works), one with another count is an error.
   */
  async createTopic(name: string, opts: CreateTopicOptions = {}): Promise<Topic> {
    await this.ensureTopic(name, opts);
    return this.topic(name);
  }

  topic(name: string): Topic {
    return new Topic(this, name);
  }

  override async close(): Promise<void> {
    const first = !this.isClosed;
    await super.close();
    if (first && this.embedded) await releaseEmbedded(this.embedded);
  }
}
