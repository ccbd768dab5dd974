/**
 * The handler registry: one file per API key under `sdk/broker/handlers/`, named so they sort
 * by key (`00_produce.ts`, `12_heartbeat.ts`). The registrations ARE the ApiVersions answer, so
 * the advertised ranges can never drift from what is implemented.
 *
 * How a handler file registers itself (the server loads every `NN_name` file in handlers/):
 *
 *   registerApi({
 *     request: HeartbeatRequest, response: HeartbeatResponse,   // descriptions in sdk/protocol/messages
 *     minVersion: 0, maxVersion: 4,                             // the versions served (ApiVersions)
 *     handle: (req, ctx) => ...,   // value, Promise (long-poll / held response) or NO_RESPONSE
 *   });
 *
 * The API key, the name, the flexible versions (request header v2, response header v1) and the
 * codecs all come from the message descriptions, so a handler file holds only behaviour.
 *
 * - Kafka errors go back as error codes inside the response. A thrown error (sync or async)
 *   means "this request cannot be answered": the server logs it and closes that one connection.
 * - To hold a response (long-poll, JoinGroup waiting for members), return a Promise; responses
 *   on one connection still go out in request order. `ctx.connection.closed` / `onClose` tell
 *   a held request that nobody is waiting any more.
 * - Return NO_RESPONSE to send nothing (Produce with acks=0).
 * - Shared state lives in `ctx.broker` (BrokerState): the LogManager, the OffsetStore, config
 *   with the advertised host/port and node id, the append notifier, and named services.
 *
 * Services (how the group coordinator plugs in): a module calls
 *   registerService('groups', (broker) => new GroupCoordinator(broker));
 * at load time (e.g. from its handler files); the broker creates every registered service once
 * at start, after storage is open, and awaits `close()` on stop. Handlers reach it with
 *   ctx.broker.service<GroupCoordinator>('groups').
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Logger } from '../util/log';
import type { Reader } from '../protocol/reader';
import type { Writer } from '../protocol/writer';
import type { RequestHeader } from '../protocol/header';
import type { In, Message, Out } from '../protocol/schema';
import type { LogConfig, LogManager, OffsetStore } from './log';
import type { MemoryLimits } from './memory-budget';
import type { AppendNotifier } from './notifier';
import type { ProducerStates } from './producers';

export const NO_RESPONSE: unique symbol = Symbol('no response');
export type HandlerResult<Res> = Res | typeof NO_RESPONSE;

/** A registered API as the server runs it (built by registerApi from the definition). */
export interface ApiHandler<Req = any, Res = any> {
  key: number;
  name: string;
  minVersion: number;
  maxVersion: number;
  /** First flexible version (compact strings/arrays, tagged fields, request header v2, response header v1). */
  flexibleVersion?: number;
  decodeRequest(r: Reader, version: number): Req;
  handle(req: Req, ctx: RequestContext): HandlerResult<Res> | Promise<HandlerResult<Res>>;
  encodeResponse(w: Writer, res: Res, version: number): void;
}

/** What a handler file declares: its two message descriptions, the versions served, and behaviour. */
export interface ApiDefinition<Q extends Message<any>, S extends Message<any>> {
  request: Q;
  response: S;
  minVersion: number;
  maxVersion: number;
  handle(req: Out<Q>, ctx: RequestContext): HandlerResult<In<S>> | Promise<HandlerResult<In<S>>>;
}

export interface BrokerConfig {
  nodeId: number;
  clusterId: string;
  /** Host and port clients are told to connect to (the bound port when 0 was asked for). */
  advertisedHost: string;
  advertisedPort: number;
  autoCreateTopics: boolean;
  defaultPartitions: number;
  /** CreateTopics refuses more partitions than this per topic (each partition is a directory and open files). */
  maxPartitionsPerTopic: number;
  maxFrameBytes: number;
  /** Connections with no traffic and nothing in flight for this long are closed; 0 = never. */
  idleConnectionMs: number;
  /** Bounds on request memory (memory-budget.ts). */
  memory: MemoryLimits;
  log: Partial<LogConfig>;
  /** TLS listener, SASL users and ACLs (secure.ts); absent = plaintext, no authentication, everything allowed. */
  security?: import('./secure').SecurityConfig;
}

export interface Service {
  close?(): void | Promise<void>;
}

export interface BrokerState {
  readonly config: BrokerConfig;
  readonly logs: LogManager;
  readonly offsets: OffsetStore;
  readonly logger: Logger;
  /** Wakes long-polling fetches when a partition gets new data. */
  readonly appends: AppendNotifier;
  /** Idempotent-producer state: ids, epochs, sequences per partition. */
  readonly producers: ProducerStates;
  /** Set while stopping; held requests should finish promptly. */
  readonly stopping: boolean;
  /** The node set of a test-only multi-node broker (cluster.ts); absent for one node. */
  readonly cluster?: import('./cluster').ClusterView;
  service<T extends Service>(name: string): T;
}

export interface ConnectionInfo {
  readonly id: number;
  readonly host: string;
  readonly port: number;
  clientId: string | null;
  readonly closed: boolean;
  /** Who is on the other end ('User:ANONYMOUS' until SASL says otherwise; see security.ts). */
  principal: string;
  /** Set once SASL authentication succeeded. */
  authenticated: boolean;
  /** When the SASL session ends (Date.now() ms; re-authentication needed after), undefined = never. */
  sessionExpiresAt?: number;
  /** The SASL exchange in progress after a SaslHandshake; `raw` after a v0 handshake (unframed tokens). */
  sasl: { mechanism: string; exchange: import('./security').SaslExchange; raw: boolean } | null;
  /** Closes this client's connection (logged as a warning with the reason). */
  close(reason?: string): void;
  /** Runs fn when the connection closes; returns a function that unsubscribes it. */
  onClose(fn: () => void): () => void;
}

export interface RequestContext {
  readonly broker: BrokerState;
  readonly header: RequestHeader;
  readonly connection: ConnectionInfo;
  readonly logger: Logger;
  /**
   * May this connection's principal do `operation` (AclOperation code) on the resource
   * (AclResourceType code and name)? Asks the security service's authorizer (allow-all by
   * default); handlers answer the API's *_AUTHORIZATION_FAILED code on false.
   */
  authorize(operation: number, resourceType: number, resourceName: string): boolean;
  /** Sends this request's response, then closes the connection (Kafka's way after a failed SASL authentication). */
  closeAfterResponse(reason: string): void;
}

const handlers = new Map<number, ApiHandler>();
const services = new Map<string, (broker: BrokerState) => Service>();

export function registerApi<Q extends Message<any>, S extends Message<any>>(def: ApiDefinition<Q, S>): void {
  const { request, response, minVersion, maxVersion } = def;
  const name = request.name.replace(/Request$/, '');
  if (request.apiKey !== response.apiKey) throw new Error(`${name}: request and response describe different API keys`);
  if (minVersion > maxVersion) throw new Error(`${name}: minVersion > maxVersion`);
  for (const m of [request, response]) {
    if (minVersion < m.versions.min || maxVersion > m.versions.max) {
      throw new Error(`${name}: serves v${minVersion}-${maxVersion} but ${m.name} describes only v${m.versions.min}-${m.versions.max}`);
    }
  }
  const h: ApiHandler = {
    key: request.apiKey,
    name,
    minVersion,
    maxVersion,
    flexibleVersion: request.firstFlexibleVersion,
    decodeRequest: request.decode,
    handle: def.handle as ApiHandler['handle'],
    encodeResponse: response.encode,
  };
  const prev = handlers.get(h.key);
  if (prev) throw new Error(`API key ${h.key} registered twice (${prev.name}, ${h.name})`);
  handlers.set(h.key, h);
}

export function registerService(name: string, factory: (broker: BrokerState) => Service): void {
  services.set(name, factory);
}

export function handlerFor(key: number): ApiHandler | undefined {
  return handlers.get(key);
}

export function isFlexible(key: number, version: number): boolean {
  const h = handlers.get(key);
  return h?.flexibleVersion !== undefined && version >= h.flexibleVersion;
}

/** What ApiVersions advertises, sorted by key. */
export function supportedApis(): Array<{ apiKey: number; minVersion: number; maxVersion: number }> {
  return [...handlers.values()]
    .sort((a, b) => a.key - b.key)
    .map((h) => ({ apiKey: h.key, minVersion: h.minVersion, maxVersion: h.maxVersion }));
}

export function serviceFactories(): Array<[string, (broker: BrokerState) => Service]> {
  return [...services.entries()];
}

let loaded = false;
/** Loads every handler file (`NN_name.ts`/`.js`) once; each registers itself on import. */
export function loadHandlers(): void {
  if (loaded) return;
  loaded = true;
  const dir = path.join(__dirname, 'handlers');
  for (const file of fs.readdirSync(dir).sort()) {
    if (!/^\d+_[\w-]+\.(js|ts)$/.test(file) || file.endsWith('.d.ts')) continue;
    require(path.join(dir, file));
  }
}
