/**
 * The TCP side of the broker: size-prefixed frames in, handler dispatch, responses out in
 * request order. One connection's bad input (truncated or oversized frames, unknown API keys,
 * unsupported versions, undecodable bodies, a handler that throws) closes that connection only.
 */
import * as net from 'net';
import * as tls from 'tls';
import { Reader, ProtocolError } from '../protocol/reader';
import { Writer } from '../protocol/writer';
import { decodeRequestHeader, encodeResponseHeader, responseHeaderVersion, API_VERSIONS_KEY, type RequestHeader } from '../protocol/header';
import { ApiVersionsResponse } from '../protocol/messages/api-versions';
import { ErrorCode } from '../protocol/errors';
import type { Logger } from '../util/log';
import { handlerFor, isFlexible, supportedApis, NO_RESPONSE, type ApiHandler, type BrokerState, type ConnectionInfo, type RequestContext } from './registry';
import { ANONYMOUS, securityOf, type SaslExchange, type Security } from './security';
import { FrameReader, MemoryBudget } from './memory-budget';
import { tlsPrincipal, tlsServerOptions } from './secure';

/** Requests read ahead of their responses on one connection before reading pauses. */
const MAX_IN_FLIGHT = 64;
/** Bytes queued in the socket before reading pauses (backpressure from slow readers). */
const WRITE_HIGH_WATER = 8 * 1024 * 1024;
/** What a connection may ask before it has authenticated, when the broker requires it. */
const PRE_AUTHENTICATION_APIS = new Set([API_VERSIONS_KEY, 17 /* SaslHandshake */, 36 /* SaslAuthenticate */]);

interface Pending {
  correlationId: number;
  handler?: ApiHandler;
  version: number;
  done: boolean;
  /** Encoded response chunks (size prefix included), or null for no response. */
  out: Buffer[] | null;
  /** Close the connection once this response is written. */
  closeAfter?: string;
  /** Request bytes held in the memory budget until the response is done. */
  bytes: number;
}

export class Connection implements ConnectionInfo {
  readonly host: string;
  readonly port: number;
  clientId: string | null = null;
  closed = false;
  principal = ANONYMOUS;
  authenticated = false;
  sessionExpiresAt: number | undefined;
  sasl: { mechanism: string; exchange: SaslExchange; raw: boolean } | null = null;
  private readonly security: Security;
  /** Frames in, within the broker's memory budget (memory-budget.ts). */
  private readonly reader: FrameReader;
  private budgetPaused = false;
  private queue: Pending[] = [];
  private closeListeners: Array<() => void> = [];
  private readPaused = false;
  private readonly logger: Logger;
  /** Last time bytes came in or a response went out (Date.now()). */
  lastActive = Date.now();

  constructor(readonly id: number, private readonly socket: net.Socket, private readonly state: BrokerState, budget: MemoryBudget) {
    this.host = socket.remoteAddress ?? '?';
    this.port = socket.remotePort ?? 0;
    this.logger = state.logger.child(`conn${id}`);
    this.security = securityOf(state);
    if (socket instanceof tls.TLSSocket) this.principal = tlsPrincipal(socket);
    this.reader = new FrameReader(budget, state.config.maxFrameBytes, {
      frame: (frame, bytes) => (this.sasl?.raw ? this.onRawSaslToken(frame, this.sasl.exchange, bytes) : this.onFrame(frame, bytes)),
      flow: (reading) => this.setBudgetPaused(!reading),
      fail: (reason) => this.close(reason),
      rawFrames: () => this.sasl?.raw === true,
    });
    socket.setNoDelay(true);
    socket.on('data', (d) => this.onData(d));
    socket.on('drain', () => this.maybeResume());
    socket.on('error', (err) => this.logger.debug('socket error', { err: err.message }));
    socket.on('close', () => this.onClosed());
  }

  onClose(fn: () => void): () => void {
    if (this.closed) {
      fn();
      return () => {};
    }
    this.closeListeners.push(fn);
    return () => {
      const i = this.closeListeners.indexOf(fn);
      if (i >= 0) this.closeListeners.splice(i, 1);
    };
  }

  close(reason?: string, fields?: Record<string, unknown>): void {
    if (reason) this.logger.warn(`closing connection: ${reason}`, { client: this.clientId, peer: `${this.host}:${this.port}`, ...fields });
    this.socket.destroy();
    this.onClosed();
  }

  private onClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.reader.close();
    this.queue = [];
    const fns = this.closeListeners;
    this.closeListeners = [];
    for (const fn of fns) fn();
  }

  private onData(data: Buffer): void {
    if (this.closed) return;
    this.lastActive = Date.now();
    this.reader.push(data);
  }

  /** The memory budget has no room for the next frame (or room again): stop or restart reading. */
  private setBudgetPaused(paused: boolean): void {
    if (this.budgetPaused === paused || this.closed) return;
    this.budgetPaused = paused;
    if (paused) this.socket.pause();
    else if (!this.readPaused) this.socket.resume();
  }

  private onFrame(frame: Buffer, bytes: number): void {
    const r = new Reader(frame);
    let header: RequestHeader;
    try {
      header = decodeRequestHeader(r, headerIsFlexible);
    } catch (err) {
      return this.close(`malformed request header (${(err as Error).message})`);
    }
    if (this.clientId === null) this.clientId = header.clientId;
    if (this.security.requireAuthentication && !this.authenticated && !PRE_AUTHENTICATION_APIS.has(header.apiKey)) {
      return this.close(`API key ${header.apiKey} before SASL authentication`, { correlationId: header.correlationId });
    }
    if (this.sessionExpiresAt !== undefined && Date.now() > this.sessionExpiresAt && !PRE_AUTHENTICATION_APIS.has(header.apiKey)) {
      return this.close(`API key ${header.apiKey} after the SASL session expired (no re-authentication)`, { correlationId: header.correlationId });
    }
    const handler = handlerFor(header.apiKey);
    if (!handler) return this.close(`unknown API key ${header.apiKey}`, { correlationId: header.correlationId });
    const { apiVersion: version } = header;
    if (version < handler.minVersion || version > handler.maxVersion) {
      if (header.apiKey === API_VERSIONS_KEY) return this.answerUnsupportedApiVersions(header.correlationId, bytes);
      return this.close(`${handler.name} v${version} is not supported (supported: ${handler.minVersion}-${handler.maxVersion})`);
    }
    let request: unknown;
    try {
      request = handler.decodeRequest(r, version);
    } catch (err) {
      const why = err instanceof ProtocolError ? err.message : String(err);
      return this.close(`malformed ${handler.name} v${version} request (${why})`, { correlationId: header.correlationId });
    }
    const slot: Pending = { correlationId: header.correlationId, handler, version, done: false, out: null, bytes };
    this.queue.push(slot);
    const ctx: RequestContext = {
      broker: this.state,
      header,
      connection: this,
      logger: this.logger,
      authorize: (operation, resourceType, name) => this.security.authorizer.authorize(this.principal, this.host, operation, { type: resourceType, name }),
      closeAfterResponse: (reason) => void (slot.closeAfter = reason),
    };
    let result: unknown;
    try {
      result = handler.handle(request, ctx);
    } catch (err) {
      return this.failed(handler, err);
    }
    if (result instanceof Promise) {
      result.then(
        (res) => this.complete(slot, res),
        (err) => this.failed(handler, err),
      );
    } else this.complete(slot, result);
    if (this.queue.length >= MAX_IN_FLIGHT) this.pauseReading();
  }

  private failed(handler: ApiHandler, err: unknown): void {
    if (this.closed) return;
    this.logger.error(`${handler.name} handler failed`, { err: err instanceof Error ? err.stack ?? err.message : String(err) });
    this.close();
  }

  private complete(slot: Pending, res: unknown): void {
    if (this.closed) return;
    try {
      slot.out = res === NO_RESPONSE ? null : this.encode(slot, res);
    } catch (err) {
      return this.failed(slot.handler!, err);
    }
    slot.done = true;
    this.reader.done(slot.bytes);
    this.flush();
  }

  private encode(slot: Pending, res: unknown): Buffer[] {
    const h = slot.handler!;
    const w = new Writer(512);
    w.int32(0);
    encodeResponseHeader(w, slot.correlationId, responseHeaderVersion(h.key, isFlexible(h.key, slot.version)));
    h.encodeResponse(w, res, slot.version);
    return sizePrefixed(w);
  }

  /** Kafka's rule: an ApiVersions request at a version we do not know gets a v0 answer with error 35. */
  private answerUnsupportedApiVersions(correlationId: number, bytes: number): void {
    const w = new Writer(512).int32(0);
    encodeResponseHeader(w, correlationId, 0);
    ApiVersionsResponse.encode(w, { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: supportedApis(), throttleTimeMs: 0 }, 0);
    this.queue.push({ correlationId, version: 0, done: true, out: sizePrefixed(w), bytes });
    this.reader.done(bytes);
    this.flush();
  }

  private flush(): void {
    let wrote = false;
    while (this.queue.length && this.queue[0].done) {
      const slot = this.queue.shift()!;
      if (slot.out) {
        if (!wrote) this.socket.cork();
        wrote = true;
        for (const chunk of slot.out) this.socket.write(chunk);
      }
      if (slot.closeAfter) return this.endAfterWrites(slot.closeAfter, wrote);
    }
    if (wrote) {
      this.socket.uncork();
      this.lastActive = Date.now();
    }
    if (this.socket.writableLength > WRITE_HIGH_WATER) this.pauseReading();
    else this.maybeResume();
  }

  /** Lets what is written reach the client, then closes (requests still queued are dropped). */
  private endAfterWrites(reason: string, corked: boolean): void {
    this.logger.info(`closing connection: ${reason}`, { client: this.clientId, peer: `${this.host}:${this.port}` });
    if (corked) this.socket.uncork();
    this.socket.end();
    this.onClosed();
  }

  /** After a SaslHandshake v0, SASL tokens come as bare size-prefixed frames, answered the same way. */
  private onRawSaslToken(token: Buffer, exchange: SaslExchange, bytes: number): void {
    this.reader.done(bytes);
    let step: ReturnType<SaslExchange['step']>;
    try {
      step = exchange.step(token);
    } catch (err) {
      return this.close(`SASL authentication failed (${(err as Error).message})`);
    }
    if (step.principal !== undefined) {
      this.principal = step.principal;
      this.authenticated = true;
      this.sessionExpiresAt = step.sessionLifetimeMs ? Date.now() + step.sessionLifetimeMs : undefined;
      this.sasl = null;
    }
    const prefix = Buffer.allocUnsafe(4);
    prefix.writeInt32BE(step.response.length, 0);
    this.socket.write(Buffer.concat([prefix, step.response]));
  }

  /** Nothing in flight and no traffic for `ms`. */
  idleFor(ms: number, now: number): boolean {
    return this.queue.length === 0 && this.socket.writableLength === 0 && now - this.lastActive >= ms;
  }

  private pauseReading(): void {
    if (this.readPaused) return;
    this.readPaused = true;
    this.reader.setBlocked(true);
    this.socket.pause();
  }

  private maybeResume(): void {
    if (!this.readPaused || this.closed) return;
    if (this.queue.length < MAX_IN_FLIGHT / 2 && this.socket.writableLength <= WRITE_HIGH_WATER) {
      this.readPaused = false;
      if (!this.budgetPaused) this.socket.resume();
      // Frames that arrived in the same chunk as the ones before the pause are still buffered.
      setImmediate(() => this.reader.setBlocked(this.readPaused));
    }
  }
}

/** An ApiVersions request at a version we do not know is answered from its fixed header alone; its tags and body are ignored. */
function headerIsFlexible(apiKey: number, version: number): boolean {
  if (apiKey === API_VERSIONS_KEY && version > (handlerFor(apiKey)?.maxVersion ?? 0)) return false;
  return isFlexible(apiKey, version);
}

function sizePrefixed(w: Writer): Buffer[] {
  const size = w.length - 4;
  const chunks = w.chunks();
  chunks[0].writeInt32BE(size, 0);
  return chunks;
}

export class BrokerServer {
  private server: net.Server | tls.Server;
  private connections = new Set<Connection>();
  private nextId = 1;
  /** Shared by every connection: the broker-wide bound on request memory. */
  readonly budget: MemoryBudget;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly state: BrokerState) {
    this.budget = new MemoryBudget(state.config.memory);
    const accept = (socket: net.Socket) => {
      const conn = new Connection(this.nextId++, socket, state, this.budget);
      this.connections.add(conn);
      conn.onClose(() => this.connections.delete(conn));
      state.logger.debug('connection accepted', { id: conn.id, peer: `${conn.host}:${conn.port}` });
    };
    const tlsOptions = state.config.security?.tls;
    this.server = tlsOptions ? tls.createServer({ ...tlsServerOptions(tlsOptions), noDelay: true }, accept) : net.createServer({ noDelay: true }, accept);
    // A failed TLS handshake (wrong CA, plaintext client on a TLS port) closes that socket only.
    this.server.on('tlsClientError', (err: Error, socket: tls.TLSSocket) =>
      state.logger.info('TLS handshake failed', { peer: `${socket.remoteAddress}:${socket.remotePort}`, err: err.message }),
    );
    this.server.on('error', (err) => state.logger.error('listener error', { err: err.message }));
    const idleMs = state.config.idleConnectionMs;
    if (idleMs > 0) {
      this.idleTimer = setInterval(() => this.closeIdle(idleMs), Math.max(10, Math.min(idleMs / 2, 30_000)));
      this.idleTimer.unref();
    }
  }

  /** Like Kafka's connections.max.idle.ms: clients reconnect when they need to, leaked sockets go. */
  private closeIdle(idleMs: number): void {
    const now = Date.now();
    for (const c of this.connections) {
      if (c.idleFor(idleMs, now)) {
        this.state.logger.debug('closing idle connection', { id: c.id, client: c.clientId, idleMs });
        c.close();
      }
    }
  }

  listen(port: number, host: string): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        const addr = this.server.address() as net.AddressInfo;
        resolve({ host: addr.address, port: addr.port });
      });
    });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  async close(): Promise<void> {
    if (this.idleTimer) clearInterval(this.idleTimer);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of [...this.connections]) c.close();
    await closed;
  }
}
