/**
 * startBroker(): the embedded Kafka-compatible broker. One process, one node, real TCP, real
 * log segments on disk; any Kafka client (kafkajs, librdkafka, kafka-python) talks to it.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { KafkalabError } from '../util/errors';
import { defaultLogger, type Logger } from '../util/log';
import { LogManager, OffsetStore, type LogConfig } from './log';
import { lockDir } from './log/durable-file';
import { AppendNotifier } from './notifier';
import { ProducerStates } from './producers';
import { loadHandlers, serviceFactories, type BrokerConfig, type BrokerState, type Service } from './registry';
import { BrokerServer } from './server';
import { BrokerCluster, type ClusterControl } from './cluster';
import { aclFileIn, checkSecurityOptions, type SaslOptions, type TlsOptions } from './secure';
import type { AclOptions } from './acls';
import { defaultMemoryLimits, memoryLimitsProblem, type MemoryLimits } from './memory-budget';
import type { GroupCoordinator } from './groups/coordinator';
import type { GroupSettings } from './groups/service';
import type { TransactionCoordinator, TransactionSettings } from './txn/coordinator';

export interface BrokerOptions {
  /** TCP port; 0 = ephemeral (the bound port is in `broker.port`). Default 9092. */
  port?: number;
  /** Interface to listen on. Default 127.0.0.1 (loopback only). */
  host?: string;
  /** Host name clients are told to connect to. Default: `host`, or `localhost` for a wildcard host. */
  advertisedHost?: string;
  /** Where log segments and committed offsets live; omitted = a temp dir removed on stop. */
  dataDir?: string;
  /** Default partition count of auto-created topics and of CreateTopics with -1. Default 1. */
  partitions?: number;
  /** Create unknown topics when a client asks for their metadata. Default true. */
  autoCreateTopics?: boolean;
  /** CreateTopics refuses more partitions than this for one topic. Default 1000. */
  maxPartitionsPerTopic?: number;
  /** Largest request frame accepted; bigger ones close the connection. Default 100 MiB (Kafka's socket.request.max.bytes). */
  maxFrameBytes?: number;
  /** Close connections idle this long (Kafka's connections.max.idle.ms). Default 10 minutes; 0 = never. */
  idleConnectionMs?: number;
  /**
   * Request memory bounds (see memory-budget.ts): `queuedMaxRequestBytes` (Kafka's
   * queued.max.request.bytes; default 2 x maxFrameBytes = 200 MiB) for all connections together,
   * `connectionMaxRequestBytes` (default maxFrameBytes) for one, `frameTimeoutMs` (default 60 s)
   * for a frame to arrive whole once its reading started.
   */
  memory?: Partial<MemoryLimits>;
  /** Defaults for every topic's log (segment size, retention...). */
  log?: Partial<LogConfig>;
  /** How often retention runs. Default 5 minutes (Kafka's log.retention.check.interval.ms). */
  retentionCheckMs?: number;
  /** How often the log cleaner looks for compacted partitions to clean (Kafka's log.cleaner.backoff.ms). Default 15 s; 0 = never. */
  cleanerIntervalMs?: number;
  nodeId?: number;
  /**
   * Test-only: run this many broker nodes in this process, on their own ports over one shared
   * storage, with partitions led by different nodes (cluster.ts; no replication). Default 1.
   * `broker.cluster` then moves leaders and stops and restarts nodes.
   */
  nodes?: number;
  /** Consumer-group settings (Kafka's group.initial.rebalance.delay.ms, group.min/max.session.timeout.ms). */
  groups?: GroupSettings;
  /** Transactions: `maxTimeoutMs` (Kafka's transaction.max.timeout.ms, default 15 min), `timeoutCheckMs` (default 1 s), `idExpirationMs` (transactional.id.expiration.ms, default 7 days). */
  transactions?: TransactionSettings;
  /** TLS listener (SSL / SASL_SSL): PEM `key` and `cert`; `ca` + `requestCert` for client certificates. */
  tls?: TlsOptions;
  /**
   * SASL authentication (SASL_PLAINTEXT, or SASL_SSL with `tls`): `{ mechanisms: ['PLAIN',
   * 'SCRAM-SHA-256', 'SCRAM-SHA-512'], users: { alice: 'secret' } }`. Users are kept as SCRAM
   * credentials; every connection must authenticate before anything else.
   */
  sasl?: SaslOptions;
  /**
   * ACL authorizer (on by default with `sasl`; `false` turns it off): `superUsers`,
   * `allowIfNoAclFound` (default true), initial `bindings`. ACLs persist in the data dir.
   */
  acls?: AclOptions | boolean;
  logger?: Logger;
}

export interface Broker {
  readonly host: string;
  readonly port: number;
  /** What clients pass as brokers, e.g. 'localhost:9092'. */
  readonly bootstrap: string;
  readonly dataDir: string;
  readonly clusterId: string;
  /** Open client connections, for tests and diagnostics. */
  readonly connections: number;
  /** Request memory right now (see the `memory` option): bytes held, the peak, connections waiting for room. */
  readonly requestMemory: { usedBytes: number; peakBytes: number; waitingConnections: number; limits: MemoryLimits };
  /** The group coordinator, read-only introspection: `describe(groupId)`, `groups()`. */
  readonly groups: GroupCoordinator;
  /** The transaction coordinator, read-only introspection: `describe(transactionalId)`, `lastStableOffset(...)`. */
  readonly transactions: TransactionCoordinator;
  /** The multi-node test controls when started with `nodes` > 1 (cluster.ts). */
  readonly cluster?: ClusterControl;
  /** Closes listeners and connections, closes services, flushes and closes the logs. */
  stop(): Promise<void>;
}

const DEFAULT_MAX_FRAME = 100 * 1024 * 1024;

function readClusterMeta(dir: string, nodeId: number): { clusterId: string } {
  const file = path.join(dir, 'meta.json');
  try {
    const meta = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (typeof meta.clusterId === 'string') return meta;
  } catch {
    // first start on this directory
  }
  const meta = { clusterId: crypto.randomBytes(16).toString('base64url'), nodeId };
  fs.writeFileSync(file, JSON.stringify(meta) + '\n');
  return meta;
}

/** One broker per data dir: a second one would interleave writes into the same segments. */
function lockDataDir(dir: string): () => void {
  return lockDir(dir, 'Data directory', 'broker.lock', (resolvedDir, holder) =>
    holder.sameProcess
      ? new KafkalabError(`Data directory ${resolvedDir} is in use by another broker in this process`, {
          code: 'DATA_DIR_LOCKED',
          hint: 'stop that broker first or pass another dataDir',
        })
      : new KafkalabError(`Data directory ${resolvedDir} is in use by another kafkalab broker (pid ${holder.pid})`, {
          code: 'DATA_DIR_LOCKED',
          hint: 'stop that broker or pass another dataDir / --data-dir',
        }),
  );
}

export async function startBroker(opts: BrokerOptions = {}): Promise<Broker> {
  const logger = opts.logger ?? defaultLogger('broker');
  const host = opts.host ?? '127.0.0.1';
  const requestedPort = opts.port ?? 9092;
  const nodeId = opts.nodeId ?? 0;
  const partitions = opts.partitions ?? 1;
  checkSecurityOptions(opts);
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new KafkalabError(`partitions must be a positive integer, got ${partitions}`, { code: 'BAD_OPTION' });
  }
  const temporary = opts.dataDir === undefined;
  const dataDir = path.resolve(opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-broker-')));
  fs.mkdirSync(dataDir, { recursive: true });
  const unlock = lockDataDir(dataDir);

  let logs: LogManager | undefined;
  let offsets: OffsetStore | undefined;
  const services = new Map<string, Service>();
  let server: BrokerServer | undefined;
  let stopping = false;
  const cleanup = () => {
    for (const s of services.values()) void s.close?.();
    offsets?.close();
    logs?.close();
    unlock();
    if (temporary) fs.rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    const { clusterId } = readClusterMeta(dataDir, nodeId);
    const maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME;
    const memory: MemoryLimits = { ...defaultMemoryLimits(maxFrameBytes), ...definedOnly(opts.memory ?? {}) };
    const memoryProblem = memoryLimitsProblem(memory, maxFrameBytes);
    if (memoryProblem) throw new KafkalabError(`Invalid memory option: ${memoryProblem}`, { code: 'BAD_OPTION' });
    loadHandlers();
    logs = LogManager.open(path.join(dataDir, 'topics'), { defaults: opts.log, logger: logger.child('log'), cleanerIntervalMs: opts.cleanerIntervalMs });
    offsets = OffsetStore.open(path.join(dataDir, 'groups'), { logger: logger.child('offsets') });
    const config: BrokerConfig & { groups?: GroupSettings; transactions?: TransactionSettings } = {
      nodeId,
      clusterId,
      advertisedHost: opts.advertisedHost ?? (host === '0.0.0.0' || host === '::' ? 'localhost' : host),
      advertisedPort: requestedPort,
      autoCreateTopics: opts.autoCreateTopics ?? true,
      defaultPartitions: partitions,
      maxPartitionsPerTopic: opts.maxPartitionsPerTopic ?? 1000,
      maxFrameBytes,
      idleConnectionMs: opts.idleConnectionMs ?? 600_000,
      memory,
      log: opts.log ?? {},
      groups: opts.groups,
      transactions: opts.transactions,
      security:
        opts.tls || opts.sasl || opts.acls
          ? { tls: opts.tls, sasl: opts.sasl, acls: opts.acls === true ? {} : opts.acls, aclFile: aclFileIn(dataDir) }
          : undefined,
    };
    const state: BrokerState = {
      config,
      logs,
      offsets,
      logger,
      appends: new AppendNotifier(),
      producers: new ProducerStates(),
      get stopping() {
        return stopping;
      },
      service<T extends Service>(name: string): T {
        const s = services.get(name);
        if (!s) throw new Error(`broker service "${name}" is not registered`);
        return s as T;
      },
    };
    for (const [name, factory] of serviceFactories()) services.set(name, factory(state));
    server = new BrokerServer(state);
    const bound = await server.listen(requestedPort, host).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        throw new KafkalabError(`Port ${requestedPort} on ${host} is already in use`, {
          code: 'PORT_IN_USE',
          hint: 'another broker may be running there (connect to it), or pass port 0 / --port 0 for a free port',
          cause: err,
        });
      }
      throw err;
    });
    config.advertisedPort = bound.port;
    const cluster = (opts.nodes ?? 1) > 1 ? await BrokerCluster.start(state, server, opts.nodes!, host) : undefined;
    const retention = setInterval(() => {
      try {
        state.logs.enforceRetention(Date.now());
      } catch (err) {
        logger.error('retention failed', { err: (err as Error).message });
      }
    }, opts.retentionCheckMs ?? 5 * 60_000);
    retention.unref();
    logger.info('broker started', { host, port: bound.port, dataDir, clusterId, tls: Boolean(opts.tls), sasl: opts.sasl ? opts.sasl.mechanisms ?? 'all' : 'off' });

    const displayHost = host === '127.0.0.1' || host === '0.0.0.0' || host === '::' || host === '::1' ? 'localhost' : host;
    let stopped: Promise<void> | undefined;
    const srv = server;
    return {
      host,
      port: bound.port,
      bootstrap: `${displayHost}:${bound.port}`,
      dataDir,
      clusterId,
      get connections() {
        return srv.connectionCount;
      },
      get requestMemory() {
        return { usedBytes: srv.budget.usedBytes, peakBytes: srv.budget.peak, waitingConnections: srv.budget.waitingReaders, limits: { ...memory } };
      },
      cluster,
      get groups() {
        return state.service<GroupCoordinator>('groups');
      },
      get transactions() {
        return state.service<TransactionCoordinator>('transactions');
      },
      stop() {
        stopped ??= (async () => {
          stopping = true;
          clearInterval(retention);
          state.appends.cancelAll();
          await cluster?.close();
          await srv.close();
          await logs!.stopCleaner();
          for (const s of services.values()) await s.close?.();
          services.clear();
          logs!.flush();
          offsets!.flush();
          cleanup();
          logger.info('broker stopped', { port: bound.port });
        })();
        return stopped;
      },
    };
  } catch (err) {
    await server?.close().catch(() => {});
    cleanup();
    // Storage refusals (locked or unreadable directories) are things the user can fix.
    if (err instanceof Error && err.name === 'LogError') throw new KafkalabError(err.message, { code: 'BROKER_STORAGE', cause: err });
    throw err;
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export { scramCredential, type ScramCredential, type SaslMechanism, type SaslUser } from './sasl';
export type { SaslOptions, TlsOptions } from './secure';
export type { AclOptions, AclSpec } from './acls';
