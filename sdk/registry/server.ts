/**
 * startSchemaRegistry(): an embedded Schema Registry speaking Confluent's REST API, on Node's
 * http module, storing schemas in a Kafka topic (./store.ts). Confluent's serializers and
 * registry clients use it as they would Confluent's: same paths, JSON bodies, error codes,
 * content types (`application/vnd.schemaregistry.v1+json`, `application/vnd.schemaregistry+json`,
 * `application/json`), optional HTTP basic auth.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import { Kafka, logLevel, type Admin, type KafkaConfig } from 'kafkajs';
import type { KafkaConnection } from '../kafka/connect';
import { kafkajsLogger } from '../kafka/errors';
import { KafkalabError } from '../util/errors';
import { defaultLogger, type Logger } from '../util/log';
import { checkOptions, optionKeys } from '../util/options';
import { RegistryError, httpError } from './errors';
import { findRoute } from './routes';
import { RegistryService } from './service';
import { RegistryState } from './state';
import { DEFAULT_TOPIC, KafkaStore } from './store';

export interface SchemaRegistryOptions {
  /** The Kafka to store schemas in: a connection from connect()... */
  kafka?: KafkaConnection;
  /** ...or its bootstrap servers ('host:9092' or a list), with `ssl`/`sasl` as connect() takes them. */
  brokers?: string | string[];
  ssl?: KafkaConfig['ssl'];
  sasl?: KafkaConfig['sasl'];
  /** HTTP port; 0 = a free port (in `registry.port`). Default 8081. */
  port?: number;
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** The schemas topic. Default `_schemas`. */
  topic?: string;
  /** Require HTTP basic auth with one of these user → password pairs. */
  users?: Record<string, string>;
  /** Largest request body accepted. Default 16 MiB. */
  maxBodyBytes?: number;
  logger?: Logger;
}

export const SCHEMA_REGISTRY_OPTIONS = optionKeys<SchemaRegistryOptions>()(['kafka', 'brokers', 'ssl', 'sasl', 'port', 'host', 'topic', 'users', 'maxBodyBytes', 'logger']);

export interface SchemaRegistry {
  readonly host: string;
  readonly port: number;
  /** 'http://HOST:PORT', what clients take as the registry URL. */
  readonly url: string;
  /** Stops listening and reading the store (closes its own Kafka clients, not a given connection). */
  stop(): Promise<void>;
}

export const DEFAULT_REGISTRY_PORT = 8081;

const V1 = 'application/vnd.schemaregistry.v1+json';
const ACCEPTED_REQUEST_TYPES = [V1, 'application/vnd.schemaregistry+json', 'application/json', 'application/octet-stream'];

/** The media type to answer with, from the Accept header (undefined: none we can produce). */
function answerType(accept: string | undefined): string | undefined {
  if (!accept) return V1;
  const wanted = accept.split(',').map((p) => p.split(';')[0].trim().toLowerCase());
  for (const w of wanted) {
    if (w === V1 || w === '*/*' || w === 'application/*') return V1;
    if (w === 'application/vnd.schemaregistry+json' || w === 'application/json') return w;
  }
  return undefined;
}

export async function startSchemaRegistry(opts: SchemaRegistryOptions = {}): Promise<SchemaRegistry> {
  checkOptions('startSchemaRegistry()', opts, SCHEMA_REGISTRY_OPTIONS);
  const logger = opts.logger ?? defaultLogger('schema-registry');
  const { kafka, admin, ownAdmin } = kafkaFor(opts, logger);
  const state = new RegistryState();
  const store = new KafkaStore(kafka, admin, state, { topic: opts.topic ?? DEFAULT_TOPIC, logger });
  try {
    if (ownAdmin) await admin.connect();
    await store.start();
  } catch (e) {
    await store.stop();
    if (ownAdmin) await admin.disconnect().catch(() => undefined);
    throw new KafkalabError(`The schema registry could not open its store, topic "${store.topic}": ${(e as Error).message}`, {
      code: 'REGISTRY_STORE',
      hint: 'check that Kafka is reachable and that this client may create and write the topic',
      cause: e,
    });
  }
  const service = new RegistryService(state, (records) => store.append(records));
  const maxBody = opts.maxBodyBytes ?? 16 * 1024 * 1024;
  const server = http.createServer((req, res) => {
    handle(req, res, service, opts.users, maxBody).catch((e) => {
      logger.error('request failed', { method: req.method, url: req.url, error: String(e) });
      if (!res.headersSent) send(res, 500, V1, httpError(500, 'Internal Server Error').toJSON());
      else res.destroy();
    });
  });
  // Longer than clients keep idle connections, so a client reusing one does not meet a close (Node's default is 5 s).
  server.keepAliveTimeout = 65_000;
  const host = opts.host ?? '127.0.0.1';
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? DEFAULT_REGISTRY_PORT, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    await store.stop();
    if (ownAdmin) await admin.disconnect().catch(() => undefined);
    const err = e as NodeJS.ErrnoException;
    throw new KafkalabError(`The schema registry cannot listen on ${host}:${opts.port ?? DEFAULT_REGISTRY_PORT} (${err.code ?? err.message})`, {
      code: 'REGISTRY_LISTEN',
      hint: err.code === 'EADDRINUSE' ? 'another process uses that port: pick another with port, or 0 for a free one' : undefined,
      cause: e,
    });
  }
  const port = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  logger.info('schema registry listening', { host, port, topic: store.topic });
  let stopping: Promise<void> | undefined;
  return {
    host,
    port,
    url: `http://${urlHost}:${port}`,
    stop: () =>
      (stopping ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await store.stop();
        if (ownAdmin) await admin.disconnect().catch(() => undefined);
      })()),
  };
}

function kafkaFor(opts: SchemaRegistryOptions, logger: Logger): { kafka: Kafka; admin: Admin; ownAdmin: boolean } {
  if (opts.kafka) return { kafka: opts.kafka.kafka, admin: opts.kafka.admin, ownAdmin: false };
  if (opts.brokers === undefined) {
    throw new KafkalabError('startSchemaRegistry() needs a Kafka to keep schemas in', { code: 'BAD_OPTION', hint: "pass kafka: await connect() or brokers: 'host:9092'" });
  }
  const brokers = (Array.isArray(opts.brokers) ? opts.brokers : opts.brokers.split(',')).map((b) => b.trim()).filter(Boolean);
  const kafka = new Kafka({
    brokers,
    clientId: 'kafkalab-schema-registry',
    ssl: opts.ssl,
    sasl: opts.sasl,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
    logLevel: logLevel.INFO,
    logCreator: kafkajsLogger(logger),
  });
  return { kafka, admin: kafka.admin(), ownAdmin: true };
}

function send(res: http.ServerResponse, status: number, type: string, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function authorized(req: http.IncomingMessage, users: Record<string, string>): boolean {
  const m = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!m) return false;
  const text = Buffer.from(m[1], 'base64').toString();
  const colon = text.indexOf(':');
  if (colon < 0) return false;
  const user = text.slice(0, colon);
  return Object.prototype.hasOwnProperty.call(users, user) && users[user] === text.slice(colon + 1);
}

async function readBody(req: http.IncomingMessage, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) throw httpError(413, `Request body larger than ${max} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, service: RegistryService, users: Record<string, string> | undefined, maxBody: number): Promise<void> {
  const type = answerType(req.headers.accept);
  try {
    if (!type) throw httpError(406, 'HTTP 406 Not Acceptable');
    if (users && !authorized(req, users)) {
      res.setHeader('WWW-Authenticate', 'Basic realm="SchemaRegistry"');
      throw httpError(401, 'Unauthorized');
    }
    const url = new URL(req.url ?? '/', 'http://registry');
    const { route, params } = findRoute(req.method ?? 'GET', url.pathname.replace(/\/+$/, ''));
    let body: unknown;
    if (route.method === 'POST' || route.method === 'PUT') {
      const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
      if (contentType && !ACCEPTED_REQUEST_TYPES.includes(contentType)) throw httpError(415, 'HTTP 415 Unsupported Media Type');
      const text = await readBody(req, maxBody);
      if (text.trim()) {
        try {
          body = JSON.parse(text);
        } catch (e) {
          throw httpError(400, `Unrecognized request body: ${(e as Error).message}`);
        }
      }
    }
    const result = await route.handle({ params, query: url.searchParams, body, service });
    if (result && typeof result === 'object' && 'raw' in (result as object)) send(res, 200, type, (result as { raw: string }).raw);
    else send(res, 200, type, result);
  } catch (e) {
    if (e instanceof RegistryError) send(res, e.status, type ?? V1, e.toJSON());
    else if (e instanceof KafkalabError) send(res, 500, type ?? V1, { error_code: e.code === 'REGISTRY_STORE_TIMEOUT' ? 50002 : 50001, message: e.message });
    else throw e;
  }
}
