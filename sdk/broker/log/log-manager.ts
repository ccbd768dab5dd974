/**
 * All partition logs of one broker under a data directory, plus the topic catalog:
 *   <dataDir>/topics.json                 name, id, partition count and config overrides of every topic
 *   <dataDir>/<topic>-<partition>/        00000000000000000000.log / .index / .timeindex ...
 *   <dataDir>/.clean-shutdown             present only after close(): skip CRC checks on open
 * The catalog is replaced atomically, so a crash leaves the old or the new one, never a mix.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { closest } from '../../util/errors';
import { silentLogger, type Logger } from '../../util/log';
import { LogConfig, LogError, LogErrorCode, collisionKey, validateTopicName } from './config';
import { lockDir, writeFileAtomic } from './durable-file';
import { SegmentCache } from './segment-cache';
import { PartitionLog } from './partition-log';
import { CleanerLoop } from './cleaner-loop';
import {
  applyIncremental,
  describeTopicConfigs,
  logConfigOf,
  overridesOf,
  parseTopicConfigs,
  resolveConfig,
  validateConfig,
  type DescribedConfig,
} from './topic-configs';

export interface TopicInfo {
  name: string;
  /** 16-byte topic UUID. */
  id: Buffer;
  partitions: number;
  /** The topic's own configs by Kafka name ('retention.ms': '1000'), as set; the rest are defaults. */
  configs: Record<string, string>;
}

export interface LogManagerOptions {
  /** Broker-wide defaults under every topic's own config. */
  defaults?: Partial<LogConfig>;
  logger?: Logger;
  /** fsync dirty partitions this often, off the broker's thread; 0 = only on flush() and close(). Default 1000 ms. */
  flushIntervalMs?: number;
  /** Most read descriptors of closed segments kept open at once. Default 256. */
  maxOpenSegmentFiles?: number;
  /** Most closed segments whose indexes stay in memory (about 3 KiB per MiB of log). Default 256. */
  maxResidentIndexes?: number;
  /** How often the log cleaner looks for compacted partitions to clean (Kafka's log.cleaner.backoff.ms). Default 15 s; 0 = only cleanNow(). */
  cleanerIntervalMs?: number;
  /** Memory bound of the cleaner's key -> offset map (Kafka's log.cleaner.dedupe.buffer.size). Default 32 MiB. */
  cleanerBufferBytes?: number;
}

const CATALOG = 'topics.json';
const CLEAN_SHUTDOWN = '.clean-shutdown';
const MAX_PARTITIONS = 10000;
const PARTITION_DIR = /^(.+)-(\d+)$/;

export class LogManager {
  private readonly catalog = new Map<string, TopicInfo>();
  private readonly logs = new Map<string, PartitionLog[]>();
  private readonly defaults: Partial<LogConfig>;
  private readonly logger: Logger;
  private readonly cache: SegmentCache;
  private readonly timer: NodeJS.Timeout | null;
  private readonly cleaner: CleanerLoop;
  private readonly unlock: () => void;
  private closed = false;
  /** Only a fully loaded manager may mark a clean shutdown (a failed open proves nothing). */
  private loaded = false;

  private constructor(readonly dataDir: string, opts: LogManagerOptions) {
    this.defaults = validateConfig(opts.defaults);
    this.logger = opts.logger ?? silentLogger;
    this.cache = new SegmentCache(opts.maxOpenSegmentFiles ?? 256, opts.maxResidentIndexes ?? 256);
    fs.mkdirSync(dataDir, { recursive: true });
    this.unlock = lockDir(dataDir, 'Data directory');
    const interval = opts.flushIntervalMs ?? 1000;
    this.timer = interval > 0 ? setInterval(() => this.flushQuietly(), interval) : null;
    this.timer?.unref();
    this.cleaner = new CleanerLoop((topic) => this.compactedLogs(topic), {
      intervalMs: opts.cleanerIntervalMs,
      bufferBytes: opts.cleanerBufferBytes,
      logger: this.logger,
    });
  }

  /** Opens a data directory, recovering every partition (CRC-checked after an unclean stop). */
  static open(dataDir: string, opts: LogManagerOptions = {}): LogManager {
    const m = new LogManager(dataDir, opts);
    try {
      m.load();
      m.loaded = true;
    } catch (err) {
      m.close();
      throw err;
    }
    return m;
  }

  private load(): void {
    const marker = path.join(this.dataDir, CLEAN_SHUTDOWN);
    const clean = fs.existsSync(marker);
    fs.rmSync(marker, { force: true });
    for (const t of this.readCatalog()) this.catalog.set(t.name, t);
    for (const entry of fs.readdirSync(this.dataDir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      if (entry.name.endsWith('.deleted')) {
        fs.rmSync(path.join(this.dataDir, entry.name), { recursive: true, force: true });
        continue;
      }
      const m = PARTITION_DIR.exec(entry.name);
      const topic = m && this.catalog.get(m[1]);
      if (m && !(topic && Number(m[2]) < topic.partitions)) this.logger.warn('ignoring a directory that belongs to no known topic', { dir: entry.name });
    }
    const started = Date.now();
    for (const t of this.catalog.values()) this.openLogs(t, !clean);
    this.logger.info('opened log directory', {
      dataDir: this.dataDir,
      topics: this.catalog.size,
      cleanShutdown: clean,
      ms: Date.now() - started,
    });
  }

  private readCatalog(): TopicInfo[] {
    const file = path.join(this.dataDir, CATALOG);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return this.discoverTopics();
    }
    try {
      type Stored = { name: string; id: string; partitions: number; configs?: Record<string, string>; config?: Partial<LogConfig> };
      const parsed = JSON.parse(text) as { topics: Stored[] };
      // Version 1 catalogs kept configs by LogConfig field; they read as Kafka names now.
      return parsed.topics.map((t) => ({ name: t.name, id: Buffer.from(t.id, 'hex'), partitions: t.partitions, configs: t.configs ?? overridesOf(t.config ?? {}) }));
    } catch (err) {
      throw new LogError(
        LogErrorCode.KAFKA_STORAGE_ERROR,
        `Topic catalog ${file} is unreadable (${(err as Error).message}); restore it or delete it to rediscover topics from their directories`,
        { cause: err },
      );
    }
  }

  /** Without a catalog (older or hand-made data dirs), topics come back from partition dirs. */
  private discoverTopics(): TopicInfo[] {
    const found = new Map<string, number>();
    for (const entry of fs.readdirSync(this.dataDir, { withFileTypes: true })) {
      const m = entry.isDirectory() && !entry.name.endsWith('.deleted') ? PARTITION_DIR.exec(entry.name) : null;
      if (!m) continue;
      try {
        validateTopicName(m[1]);
      } catch {
        continue;
      }
      found.set(m[1], Math.max(found.get(m[1]) ?? 0, Number(m[2]) + 1));
    }
    const topics = [...found].map(([name, partitions]) => ({ name, id: newTopicId(), partitions, configs: {} }));
    if (topics.length) {
      this.logger.warn('no topic catalog; rediscovered topics from partition directories', { topics: topics.map((t) => t.name) });
      this.catalog.clear();
      for (const t of topics) this.catalog.set(t.name, t);
      this.writeCatalog();
    }
    return topics;
  }

  private writeCatalog(): void {
    const topics = [...this.catalog.values()].map((t) => ({ name: t.name, id: t.id.toString('hex'), partitions: t.partitions, configs: t.configs }));
    writeFileAtomic(path.join(this.dataDir, CATALOG), JSON.stringify({ version: 2, topics }, null, 1) + '\n');
  }

  private openLogs(topic: TopicInfo, verifyCrc: boolean): void {
    const logs = this.logs.get(topic.name) ?? [];
    let config: LogConfig;
    try {
      config = resolveConfig(this.defaults, logConfigOf(topic.configs));
    } catch (err) {
      // A hand-edited catalog must not keep the broker down: fall back to the broker defaults.
      this.logger.warn('ignoring the invalid config of a topic', { topic: topic.name, error: (err as Error).message });
      config = resolveConfig(this.defaults);
    }
    for (let p = logs.length; p < topic.partitions; p++) {
      const dir = path.join(this.dataDir, `${topic.name}-${p}`);
      logs.push(PartitionLog.open(dir, topic.name, p, { config, cache: this.cache, logger: this.logger, verifyCrc }));
    }
    this.logs.set(topic.name, logs);
  }

  topics(): TopicInfo[] {
    return [...this.catalog.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  topic(name: string): TopicInfo | undefined {
    return this.catalog.get(name);
  }

  /** Creates a topic; `configs` by Kafka name, checked as Kafka does (40 INVALID_CONFIG naming the key). */
  createTopic(name: string, partitions: number, configs: Record<string, string | null> = {}): TopicInfo {
    this.assertOpen();
    validateTopicName(name);
    if (this.catalog.has(name)) throw new LogError(LogErrorCode.TOPIC_ALREADY_EXISTS, `Topic "${name}" already exists`);
    const clash = [...this.catalog.keys()].find((t) => collisionKey(t) === collisionKey(name));
    if (clash) {
      throw new LogError(
        LogErrorCode.INVALID_TOPIC_EXCEPTION,
        `Topic "${name}" collides with existing topic "${clash}" ("." and "_" are interchangeable in metric names)`,
      );
    }
    checkPartitionCount(partitions);
    const topic: TopicInfo = { name, id: newTopicId(), partitions, configs: parseTopicConfigs(configs).overrides };
    this.removeStaleDirs(name);
    this.catalog.set(name, topic);
    this.writeCatalog();
    this.openLogs(topic, false);
    this.logger.info('created topic', { topic: name, partitions });
    return topic;
  }

  /** Grows a topic to `total` partitions (Kafka never shrinks one). */
  addPartitions(name: string, total: number): TopicInfo {
    const topic = this.require(name);
    checkPartitionCount(total);
    if (total <= topic.partitions) {
      throw new LogError(LogErrorCode.INVALID_PARTITIONS, `Topic "${name}" already has ${topic.partitions} partitions; the count can only grow`);
    }
    for (let p = topic.partitions; p < total; p++) fs.rmSync(path.join(this.dataDir, `${name}-${p}`), { recursive: true, force: true });
    topic.partitions = total;
    this.writeCatalog();
    this.openLogs(topic, false);
    return topic;
  }

  /** Checks configs as createTopic would, changing nothing (validate_only). */
  validateTopicConfigs(configs: Record<string, string | null>): void {
    parseTopicConfigs(configs);
  }

  /** A topic's own config overrides by Kafka name. */
  topicConfigs(name: string): Record<string, string> {
    return { ...this.require(name).configs };
  }

  /**
   * Replaces a topic's overrides (AlterConfigs: what is not named returns to its default),
   * all or nothing; it applies from the next append, retention or cleaning pass. Nulls are
   * refused with 42, as Kafka's AlterConfigs does.
   */
  setTopicConfigs(name: string, configs: Record<string, string | null>): TopicInfo {
    const topic = this.require(name);
    topic.configs = parseTopicConfigs(configs, LogErrorCode.INVALID_REQUEST).overrides;
    this.writeCatalog();
    const effective = resolveConfig(this.defaults, logConfigOf(topic.configs));
    for (const log of this.logs.get(name) ?? []) log.setConfig(effective);
    return topic;
  }

  /** IncrementalAlterConfigs: SET/DELETE/APPEND/SUBTRACT (ops 0-3) on the overrides; see topic-configs.ts. */
  incrementalAlterTopicConfigs(name: string, ops: Array<{ name: string; op: number; value: string | null }>, validateOnly = false): TopicInfo {
    const topic = this.require(name);
    const next = applyIncremental(topic.configs, ops, this.defaults);
    parseTopicConfigs(next);
    return validateOnly ? topic : this.setTopicConfigs(name, next);
  }

  /** Every topic config of `name` with value, source and synonyms (DescribeConfigs). */
  describeTopicConfigs(name: string): DescribedConfig[] {
    return describeTopicConfigs(this.require(name).configs, this.defaults);
  }

  /** The broker-wide log defaults (startBroker({ log })), as set. */
  get brokerDefaults(): Partial<LogConfig> {
    return { ...this.defaults };
  }

  deleteTopic(name: string): void {
    this.require(name);
    this.catalog.delete(name);
    this.writeCatalog();
    for (const log of this.logs.get(name) ?? []) {
      log.close();
      // Rename first: a crash mid-delete leaves a ".deleted" dir that the next open removes.
      const doomed = `${log.dir}.${randomBytes(4).toString('hex')}.deleted`;
      fs.renameSync(log.dir, doomed);
      fs.rmSync(doomed, { recursive: true, force: true });
    }
    this.logs.delete(name);
    this.logger.info('deleted topic', { topic: name });
  }

  partition(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.get(topic)?.[partition];
  }

  /** Closed-segment resources in use right now (both bounded by the open options). */
  cacheStats(): { openSegmentFiles: number; residentIndexes: number } {
    return { openSegmentFiles: this.cache.openFiles, residentIndexes: this.cache.residentIndexes };
  }

  /** Deletes expired segments in every partition; returns how many went. */
  enforceRetention(now: number = Date.now()): number {
    this.assertOpen();
    let deleted = 0;
    for (const logs of this.logs.values()) for (const log of logs) deleted += log.enforceRetention(now);
    return deleted;
  }

  flush(): void {
    for (const logs of this.logs.values()) for (const log of logs) log.flush();
  }

  /** The background cleaner's step (see CleanerLoop); resolves to the partitions cleaned. */
  cleanDirtiest(now: number = Date.now()): Promise<number> {
    return this.cleaner.cleanDirtiest(now);
  }

  /**
   * Compacts now every compacted partition (of `topic`, or all) that has dirty closed segments,
   * whatever its dirty ratio. Roll the active segment first (roll()) to include the newest records.
   */
  cleanNow(topic?: string, now: number = Date.now()): Promise<number> {
    return this.cleaner.cleanNow(topic, now);
  }

  /** Stops the cleaner and waits for a pass in progress to end (it abandons at its next step). */
  stopCleaner(): Promise<void> {
    return this.cleaner.stop();
  }

  private compactedLogs(topic?: string): PartitionLog[] {
    const out: PartitionLog[] = [];
    for (const [name, logs] of this.logs) {
      if (topic !== undefined && name !== topic) continue;
      for (const log of logs) if (!log.isClosed && log.effectiveConfig.cleanupPolicy !== 'delete') out.push(log);
    }
    return out;
  }

  private flushQuietly(): void {
    const onError = (err: Error) => this.logger.error('periodic flush failed', { error: err.message });
    for (const logs of this.logs.values()) {
      for (const log of logs) {
        try {
          log.flushInBackground(onError);
        } catch (err) {
          onError(err as Error);
        }
      }
    }
  }

  /** Flushes and closes every log, then marks the directory cleanly shut down. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.cleaner.halt();
    let ok = true;
    for (const logs of this.logs.values()) {
      for (const log of logs) {
        try {
          log.close();
        } catch (err) {
          ok = false;
          this.logger.error('closing a partition log failed', { topic: log.topic, partition: log.partition, error: (err as Error).message });
        }
      }
    }
    this.cache.closeAll();
    if (ok && this.loaded) fs.writeFileSync(path.join(this.dataDir, CLEAN_SHUTDOWN), '');
    this.unlock();
  }

  private require(name: string): TopicInfo {
    this.assertOpen();
    const topic = this.catalog.get(name);
    if (!topic) {
      const guess = closest(name, this.catalog.keys());
      throw new LogError(
        LogErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        `Topic "${name}" does not exist${guess ? ` (did you mean "${guess}"?)` : ''}`,
      );
    }
    return topic;
  }

  private removeStaleDirs(name: string): void {
    for (const entry of fs.readdirSync(this.dataDir)) {
      const m = PARTITION_DIR.exec(entry);
      if (m && m[1] === name) fs.rmSync(path.join(this.dataDir, entry), { recursive: true, force: true });
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new LogError(LogErrorCode.KAFKA_STORAGE_ERROR, `Log directory ${this.dataDir} is closed`);
  }
}

function checkPartitionCount(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_PARTITIONS) {
    throw new LogError(LogErrorCode.INVALID_PARTITIONS, `Invalid partition count ${n}: use an integer from 1 to ${MAX_PARTITIONS}`);
  }
}

function newTopicId(): Buffer {
  return randomBytes(16);
}
