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
  /** kafkajs frames kafkalab's pooled request buffers in place (installFraming passed its check). */
  framed: boolean;
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
  return { factory, sendRequest, produce, framed: await installFraming() };
}

/*
 * kafkajs 2.2.4's request queue re-arms a timer after every answer, and again each time it
 * fires, even with nothing pending: `setTimeout(check, throttledUntil - Date.now())` with
 * throttledUntil = -1 fires after 1 ms. Every connection that ever got an answer wakes the
 * process ~1,000 times a second for as long as it stays open (measured: 5,377 wake-ups and
 * 139-160 ms of CPU in 3 idle seconds with one producer connection; 2 wake-ups and 11 ms with
 * this patch; Node 24 also prints a TimeoutNegativeWarning). Idle notebooks, the broker's
 * schema store and idle apps paid it per connection. The patch skips the timer when nothing is
 * pending and no throttle is in force: a request queued later is checked when it is pushed and
 * when an answer arrives, as before. A kafkajs without these fields keeps its own behaviour.
 */
const QUIET = Symbol('kafkalab:quiet-idle');

/** Installs the idle-timer fix on kafkajs's request queue (once; not with the internals off). */
export function quietIdleTimers(): boolean {
  if (process.env[INTERNALS_ENV] === 'off') return false;
  try {
    const RequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: Record<string | symbol, unknown> };
    const original = RequestQueue.prototype.scheduleCheckPendingRequests as ((this: unknown) => void) & { [QUIET]?: true };
    if (typeof original !== 'function') return false;
    if (original[QUIET]) return true;
    const patched = function (this: { pending?: unknown; throttledUntil?: unknown }): void {
      if (Array.isArray(this.pending) && this.pending.length === 0 && typeof this.throttledUntil === 'number' && this.throttledUntil <= Date.now()) return;
      original.call(this);
    };
    RequestQueue.prototype.scheduleCheckPendingRequests = Object.assign(patched, { [QUIET]: true as const });
    return true;
  } catch {
    return false;
  }
}
quietIdleTimers();

/*
 * In-place framing. kafkajs frames every request by copying its body into an Encoder that
 * grows by doubling (a zero-filled buffer of the next power of two), then copying that into
 * another for the size prefix: for a Produce of result batches, two fresh multi-megabyte
 * buffers per request, and fresh memory is what costs here (every page faults on first touch:
 * 4 MB copied into fresh memory took 15 ms on the 2-core machine, into reused memory 0.9 ms).
 * kafkalab writes a Produce body into a pooled buffer with room in front (FramePool); the
 * patched `Encoder.prototype.writeEncoder` below writes kafkajs's header and size prefix into that
 * room instead of copying the body, and kafkajs sends a view of the pooled buffer. Only values
 * carrying the FRAME mark take this path; every other request is framed by kafkajs's own code.
 * A check frames a probe both ways and compares the bytes; when it differs, pooled bodies are
 * framed by copying as before.
 */
const FRAME = Symbol('kafkalab:frame');
/** Room in front of a pooled body: size, api key and version, correlation id, client id. */
const FRAME_ROOM = 4 + 2 + 2 + 4 + 2 + 1024;
interface Frame {
  buf: Buffer;
  /** Where the bytes of the marked value start and end in `buf`. */
  start: number;
  end: number;
}
interface KEncoder {
  buf: Buffer;
  offset: number;
  [FRAME]?: Frame;
}
let framing: Promise<boolean> | undefined;

function installFraming(): Promise<boolean> {
  return (framing ??= (async () => {
    try {
      const Encoder = require('kafkajs/src/protocol/encoder') as { prototype: { writeEncoder(this: KEncoder, v: KEncoder): KEncoder } };
      const createRequest = require('kafkajs/src/protocol/request') as (r: object) => Promise<{ buffer: Buffer }>;
      const original = Encoder.prototype.writeEncoder;
      if (typeof original !== 'function') return false;
      if (!(original as { [FRAME]?: true })[FRAME]) {
        const patched = function (this: KEncoder, value: KEncoder): KEncoder {
          const f = value?.[FRAME];
          const head = this.offset;
          if (!f || f.start < head) return original.call(this, value);
          // This encoder's bytes (kafkajs's header, or the size prefix) go in front of the value.
          const at = f.start - head;
          this.buf.copy(f.buf, at, 0, head);
          this.buf = f.buf.subarray(at, f.end);
          this.offset = f.end - at;
          this[FRAME] = { buf: f.buf, start: at, end: f.end };
          return this;
        };
        Encoder.prototype.writeEncoder = Object.assign(patched, { [FRAME]: true as const });
      }
      // The check: a probe body framed in place and by kafkajs's own copying are the same bytes.
      const body = Buffer.from('kafkalab framing probe');
      const pool = new FramePool();
      const view = pool.body(body.length);
      body.copy(view);
      const request = (encode: () => Promise<unknown>) => ({ correlationId: 0x1234567, clientId: 'kafkalab-probe', request: { apiKey: 0, apiVersion: 3, encode } });
      const inPlace = (await createRequest(request(async () => pool.payload(view)))).buffer;
      const copied = (await createRequest(request(async () => ({ buf: body, offset: body.length, buffer: body })))).buffer;
      return Buffer.from(inPlace).equals(copied) && inPlace.buffer === view.buffer;
    } catch {
      return false;
    }
  })());
}

/**
 * Request buffers reused from one Produce to the next: a body is written at FRAME_ROOM into a
 * pooled buffer and goes back to the pool once the broker answered it (then the socket has
 * written all of it); a body whose request failed is dropped, never reused, since a timed-out
 * request may still sit in the socket's queue.
 */
class FramePool {
  private readonly free: Buffer[] = [];
  private readonly owner = new WeakMap<Buffer, Buffer>();
  /** Bodies given out in a new buffer, and in a reused one. */
  allocated = 0;
  reused = 0;

  /** A view of `size` bytes for a body, with room in front for framing. */
  body(size: number): Buffer {
    let i = this.free.findIndex((b) => b.length >= size + FRAME_ROOM);
    if (i < 0 && this.free.length >= MAX_FREE_FRAMES) i = 0; // too small: drop the oldest
    const found = i >= 0 ? this.free.splice(i, 1)[0] : undefined;
    const fits = found !== undefined && found.length >= size + FRAME_ROOM;
    const buf = fits ? found : Buffer.allocUnsafe(Math.max(64 * 1024, Math.ceil((size + FRAME_ROOM) * 1.25)));
    if (fits) this.reused++;
    else this.allocated++;
    const view = buf.subarray(FRAME_ROOM, FRAME_ROOM + size);
    this.owner.set(view, buf);
    return view;
  }

  /** What a request's encode() returns for a pooled body: an Encoder-shaped value marked for in-place framing. */
  payload(view: Buffer): object {
    const buf = this.owner.get(view);
    const shaped = { buf: view, offset: view.length, buffer: view };
    return buf ? Object.assign(shaped, { [FRAME]: { buf, start: view.byteOffset - buf.byteOffset, end: view.byteOffset - buf.byteOffset + view.length } }) : shaped;
  }

  pooled(view: Buffer): boolean {
    return this.owner.has(view);
  }

  /** The broker answered the request: its buffer serves the next body. */
  release(view: Buffer): void {
    const buf = this.owner.get(view);
    this.owner.delete(view);
    if (buf && this.free.length < MAX_FREE_FRAMES && buf.length <= MAX_POOLED_BYTES) this.free.push(buf);
  }

  drop(view: Buffer): void {
    this.owner.delete(view);
  }
}
const MAX_FREE_FRAMES = 4;
const MAX_POOLED_BYTES = 64 * 1024 * 1024;

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
  private readonly frames = new FramePool();

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
    const pooled = this.frames.pooled(body);
    try {
      const broker = await this.broker(nodeId);
      const { request, response } = broker.lookupRequest(PRODUCE, this.internals.produce)({ acks, timeout: timeoutMs, topicData: [] });
      // A pooled body is framed in place (see installFraming); any other is copied by kafkajs.
      const payload = pooled && this.internals.framed ? this.frames.payload(body) : { buf: body, offset: body.length, buffer: body };
      await broker.connectionPool.send({ request: { ...request, encode: async () => payload }, response });
    } catch (err) {
      if (pooled) this.frames.drop(body);
      throw err;
    }
    if (pooled) this.frames.release(body);
  }

  /**
   * A buffer of `size` bytes for a Produce body (produceBody's `alloc`), reused from an earlier
   * request that was answered; give it to `produce` once, then do not touch it again.
   */
  produceBuffer(size: number): Buffer {
    return this.frames.body(size);
  }

  /** Produce bodies written into new and into reused buffers, and whether kafkajs frames them in place. */
  produceBuffers(): { allocated: number; reused: number; inPlace: boolean } {
    return { allocated: this.frames.allocated, reused: this.frames.reused, inPlace: this.internals.framed };
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
