/**
 * The one place kafkalab reaches into kafkajs's internals. kafkajs's public API has no
 * group-less fetch and no way to send bytes encoded elsewhere; kafkalab's data-plane fast paths
 * (raw fetch into columns, hand-encoded record batches for the MQTT bridge and exported apps)
 * need both. So they borrow kafkajs's cluster (metadata, leader discovery, brokers, TLS, SASL,
 * framing, reconnects) through `ClusterClient` below, and nothing else in kafkalab touches a
 * private symbol, a `kafkajs/src` module or an undocumented cluster or broker method.
 *
 * Before first use a self-check makes sure the internals exist and behave as kafkalab expects
 * (kafkajs 2.2.x): the cluster factory and the broker's private send are there, a new cluster
 * has every method used here, and kafkajs's Produce definition still encodes the request layout
 * kafkalab writes by hand. When it fails, or `KAFKALAB_KAFKAJS_INTERNALS=off` is set, `openCluster`
 * returns undefined and callers use kafkajs's public API instead (producer.send, a consumer,
 * the admin client): slower, never wrong. A mismatch found later, on a live broker, is thrown as
 * `KafkajsInternalsError`, which callers treat the same way.
 *
 * This file imports only kafkajs and Node, so exported apps can carry it as it is.
 */
import type { Kafka } from 'kafkajs';

/** Set to `off` to make every fast path use kafkajs's public API (tests force the fallback so). */
export const INTERNALS_ENV = 'KAFKALAB_KAFKAJS_INTERNALS';

/** The internals do not behave as expected: fall back to the public API. */
export class KafkajsInternalsError extends Error {
  readonly code = 'KAFKAJS_INTERNALS';
  constructor(why: string) {
    super(`kafkajs internals unusable: ${why}`);
    this.name = 'KafkajsInternalsError';
  }
}

export function isInternalsError(e: unknown): e is KafkajsInternalsError {
  return e instanceof KafkajsInternalsError;
}

/* The slice of kafkajs's internal classes used here (kafkajs ships no types for them). */
interface KProtocol {
  request: { apiKey: number; apiVersion: number; apiName?: string; encode(): Promise<{ buffer: Buffer }> };
  response: { decode(b: Buffer): Promise<unknown>; parse(d: unknown): Promise<unknown> };
}
interface KBroker {
  versions?: Record<number, { minVersion: number; maxVersion: number }>;
  lookupRequest(apiKey: number, definition: unknown): (args: object) => KProtocol;
  connectionPool: { send(p: object): Promise<unknown>; getConnectionByRequest?(p: object): Promise<unknown> };
  fetch(args: object): Promise<KafkajsFetchResponse>;
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
  findGroupCoordinatorMetadata(by: { groupId: string; coordinatorType: number }): Promise<{ coordinator: { nodeId: number } }>;
}
const CLUSTER_METHODS: (keyof KCluster)[] = [
  'connect', 'disconnect', 'isConnected', 'addMultipleTargetTopics', 'refreshMetadata', 'refreshMetadataIfNecessary',
  'findTopicPartitionMetadata', 'findLeaderForPartitions', 'findBroker', 'removeBroker', 'findGroupCoordinatorMetadata',
];

/** A fetch response as kafkajs's broker decodes it (records as objects, offsets as strings). */
export interface KafkajsFetchResponse {
  responses: {
    topicName: string;
    partitions: {
      partition: number;
      highWatermark: string;
      abortedTransactions?: { producerId: string; firstOffset: string }[];
      messages: { offset: string; timestamp: string; key: Buffer | null; value: Buffer | null; headers?: Record<string, unknown>; isControlRecord?: boolean }[];
    }[];
  }[];
}

interface Internals {
  factory: symbol;
  sendRequest: symbol;
  produce: unknown;
}

const PRODUCE = 0;
/** Produce v3 with acks -1, timeout 30000 and no topics: null transactional id, acks, timeout, count. */
const PRODUCE_V3_PROBE = Buffer.from('ffffffff0000753000000000', 'hex');

const checks = new WeakMap<object, Promise<Internals | string>>();

/** Whether the fast paths may use kafkajs's internals for this client, and if not why. */
export async function internalsStatus(kafka: Kafka): Promise<{ usable: true } | { usable: false; reason: string }> {
  const r = await selfCheck(kafka);
  return typeof r === 'string' ? { usable: false, reason: r } : { usable: true };
}

function selfCheck(kafka: Kafka): Promise<Internals | string> {
  if (process.env[INTERNALS_ENV] === 'off') return Promise.resolve(`${INTERNALS_ENV}=off`);
  // Once per kafkajs copy (an app may load another one than kafkalab's).
  let check = checks.get(kafka.constructor);
  if (!check) checks.set(kafka.constructor, (check = runCheck(kafka).catch((e: Error) => `self-check failed: ${e.message}`)));
  return check;
}

async function runCheck(kafka: Kafka): Promise<Internals | string> {
  const factory = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  if (!factory) return 'no cluster factory on the kafkajs client';
  let Broker: { prototype: object };
  let ConnectionPool: { prototype: Record<string, unknown> };
  let produce: { protocol?: (v: { version: number }) => (args: object) => KProtocol } | undefined;
  try {
    Broker = require('kafkajs/src/broker');
    ConnectionPool = require('kafkajs/src/network/connectionPool');
    produce = (require('kafkajs/src/protocol/requests') as { requests?: { Produce?: typeof produce } }).requests?.Produce;
  } catch (e) {
    return `kafkajs's modules moved (${(e as Error).message})`;
  }
  const sendRequest = Object.getOwnPropertySymbols(Broker.prototype).find((s) => s.description === 'private:Broker:sendRequest');
  if (!sendRequest) return "no private send on kafkajs's Broker";
  for (const m of ['fetch', 'connect']) if (typeof (Broker.prototype as Record<string, unknown>)[m] !== 'function') return `Broker.${m} is missing`;
  for (const m of ['send', 'getConnectionByRequest']) if (typeof ConnectionPool.prototype[m] !== 'function') return `ConnectionPool.${m} is missing`;
  if (typeof produce?.protocol !== 'function') return 'no Produce request definition';
  // Behaviour: kafkajs's own Produce v3 encoding of an empty request is the layout produceBody writes.
  const probe = produce.protocol({ version: 3 })({ acks: -1, timeout: 30_000, topicData: [] });
  const encoded = await probe.request.encode();
  if (probe.request.apiKey !== PRODUCE || !Buffer.from(encoded.buffer).equals(PRODUCE_V3_PROBE)) return 'the Produce request layout changed';
  // A cluster made by the factory (no sockets are opened until connect) has every method used here.
  const cluster = (kafka as unknown as Record<symbol, (o: object) => Record<string, unknown>>)[factory]({ allowAutoTopicCreation: false });
  const missing = CLUSTER_METHODS.filter((m) => typeof cluster[m] !== 'function');
  if (missing.length) return `the cluster lacks ${missing.join(', ')}`;
  return { factory, sendRequest, produce };
}

export interface ClusterOptions {
  /** Let metadata requests create missing topics (the broker decides whether it may). Default false. */
  allowAutoTopicCreation?: boolean;
  metadataMaxAge?: number;
}

/**
 * A kafkajs cluster for fast data-plane requests, or undefined when the internals are not usable
 * (then use kafkajs's public API). The cluster shares the client's brokers, TLS, SASL and logger.
 */
export async function openCluster(kafka: Kafka, opts: ClusterOptions = {}): Promise<ClusterClient | undefined> {
  const internals = await selfCheck(kafka);
  if (typeof internals === 'string') return undefined;
  const make = (kafka as unknown as Record<symbol, (o: object) => KCluster>)[internals.factory];
  const cluster = make.call(kafka, {
    allowAutoTopicCreation: opts.allowAutoTopicCreation ?? false,
    maxInFlightRequests: null,
    isolationLevel: 1,
    metadataMaxAge: opts.metadataMaxAge ?? 300_000,
  });
  return new ClusterClient(cluster, internals);
}

/** A request whose body kafkalab encoded and whose response kafkalab decodes. */
export interface RawRequest<T> {
  apiKey: number;
  apiVersion: number;
  apiName: string;
  body: Buffer;
  decode(payload: Buffer): T | Promise<T>;
  /** How long the broker may take (at least the client's requestTimeout). */
  timeoutMs?: number;
}

export class ClusterClient {
  private connecting: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly cluster: KCluster,
    private readonly internals: Internals,
  ) {}

  /** Connects and loads the metadata of `topics`. */
  async connect(topics: string[] = []): Promise<void> {
    await this.cluster.connect();
    if (topics.length) await this.cluster.addMultipleTargetTopics(topics);
  }

  disconnect(): Promise<void> {
    return this.cluster.disconnect();
  }

  isConnected(): boolean {
    return this.cluster.isConnected();
  }

  /** Reloads the metadata, or with `onlyIfStale` only when it is older than metadataMaxAge. */
  refreshMetadata(onlyIfStale = false): Promise<void> {
    return onlyIfStale ? this.cluster.refreshMetadataIfNecessary() : this.cluster.refreshMetadata();
  }

  /** The topic's partition ids from the loaded metadata (empty when there is none). */
  partitions(topic: string): number[] {
    try {
      return this.cluster.findTopicPartitionMetadata(topic).map((m) => m.partitionId);
    } catch {
      return [];
    }
  }

  /** Leader node id → its partitions among `partitions`; metadata is refreshed once when missing. */
  async leaders(topic: string, partitions: number[]): Promise<Map<number, number[]>> {
    let byNode: Record<string, number[]>;
    try {
      byNode = this.cluster.findLeaderForPartitions(topic, partitions);
    } catch {
      await this.cluster.refreshMetadata();
      byNode = this.cluster.findLeaderForPartitions(topic, partitions);
    }
    return new Map(Object.entries(byNode).map(([node, parts]) => [Number(node), parts]));
  }

  /**
   * The node id of the coordinator of `key`: a consumer group's (type 0) or a transactional id's
   * (type 1), found by kafkajs's FindCoordinator (it retries while the coordinator loads).
   */
  async coordinator(key: string, type: 0 | 1): Promise<number> {
    const { coordinator } = await this.cluster.findGroupCoordinatorMetadata({ groupId: key, coordinatorType: type });
    if (typeof coordinator?.nodeId !== 'number') throw new KafkajsInternalsError('FindCoordinator answered without a node id');
    return coordinator.nodeId;
  }

  /** The version range of `apiKey` the broker announced, undefined when it does not serve it. */
  async apiVersions(nodeId: number, apiKey: number): Promise<{ min: number; max: number } | undefined> {
    const broker = await this.broker(nodeId);
    if (!broker.versions) throw new KafkajsInternalsError('a connected broker has no version table');
    const range = broker.versions[apiKey];
    return range ? { min: range.minVersion, max: range.maxVersion } : undefined;
  }

  /**
   * Sends `req` on the broker's connection (a fetch on its fetch connection), framed, correlated
   * and authenticated by kafkajs; `decode` gets the response body after the header.
   */
  async request<T>(nodeId: number, req: RawRequest<T>): Promise<T> {
    const broker = await this.broker(nodeId);
    const body = req.body;
    const protocol = {
      // kafkajs frames a request from anything shaped like its Encoder (`buf` and `buffer`).
      request: { apiKey: req.apiKey, apiVersion: req.apiVersion, apiName: req.apiName, encode: async () => ({ buf: body, offset: body.length, buffer: body }) },
      response: { decode: async (payload: Buffer) => req.decode(payload), parse: async (res: T) => res },
      requestTimeout: req.timeoutMs,
    };
    // kafkajs opens a broker's fetch connection on first use without a lock: two requests at
    // once would open two sockets and leak one, so connections are opened one at a time.
    const pool = broker.connectionPool;
    if (typeof pool.getConnectionByRequest === 'function') {
      this.connecting = this.connecting.then(() => pool.getConnectionByRequest!(protocol)).catch(() => undefined);
      await this.connecting;
    }
    // The broker's private send also drops a connection the broker closed.
    const send = (broker as unknown as Record<symbol, ((p: object) => Promise<T>) | undefined>)[this.internals.sendRequest];
    return send ? send.call(broker, protocol) : (pool.send(protocol) as Promise<T>);
  }

  /** A Fetch that kafkajs encodes and decodes (records as objects): for record sets kafkalab's codec does not read. */
  async fetch(nodeId: number, args: { maxWaitTime: number; minBytes: number; maxBytes: number; isolationLevel: number; topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[] }): Promise<KafkajsFetchResponse> {
    return (await this.broker(nodeId)).fetch(args);
  }

  /** The Produce version kafkajs negotiated with `topic`'s first leader. */
  async produceVersion(topic: string): Promise<number> {
    const [node] = (await this.leaders(topic, this.partitions(topic))).keys();
    if (node === undefined) throw Object.assign(new Error(`no leader for "${topic}"`), { retriable: true });
    const broker = await this.broker(node);
    return broker.lookupRequest(PRODUCE, this.internals.produce)({ acks: -1, timeout: 30_000, topicData: [] }).request.apiVersion;
  }

  /**
   * Sends a Produce body written by kafkalab (v3-v8 layout, see produceBody) to a leader; kafkajs
   * decodes the answer and throws a partition's error as its own typed error.
   */
  async produce(nodeId: number, acks: number, timeoutMs: number, body: Buffer): Promise<void> {
    const broker = await this.broker(nodeId);
    const { request, response } = broker.lookupRequest(PRODUCE, this.internals.produce)({ acks, timeout: timeoutMs, topicData: [] });
    // The body goes out as is, without a copy through an Encoder that grows by doubling.
    await broker.connectionPool.send({ request: { ...request, encode: async () => ({ buf: body, offset: body.length, buffer: body }) }, response });
  }

  /** After kafkajs says a broker closed the connection: forget it, so the next request reconnects. */
  forgetBroker(err: unknown): void {
    const e = err as { name?: string; host?: string; port?: number };
    if (e?.name === 'KafkaJSConnectionClosedError' && e.host && e.port) this.cluster.removeBroker({ host: e.host, port: e.port });
  }

  private async broker(nodeId: number): Promise<KBroker> {
    const broker = await this.cluster.findBroker({ nodeId: String(nodeId) });
    if (typeof broker?.lookupRequest !== 'function' || !broker.connectionPool) throw new KafkajsInternalsError('a connected broker lacks lookupRequest or its connection pool');
    return broker;
  }
}
