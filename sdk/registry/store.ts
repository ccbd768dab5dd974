/**
 * The registry's store: a one-partition Kafka topic (`_schemas`, as Confluent's registry uses)
 * holding keyed records (./state.ts), created compacted with infinite retention so the latest
 * record per key lives forever. On start the store reads the topic to its end before the registry
 * serves anything; afterwards it keeps reading (long polls), so changes written by another
 * registry on the same topic show up here too. A write returns once it has been read back and
 * applied, so what a client registered is what the next request sees.
 *
 * Any Kafka can be the store. A broker that refuses `cleanup.policy=compact` (kafkalab's embedded
 * broker before log compaction) gets the topic without it; every record is then kept.
 */
import { setTimeout as sleep } from 'timers/promises';
import { Partitioners, type Admin, type Kafka, type Producer } from 'kafkajs';
import { openFetcher, type TopicFetcher } from '../kafka/fetcher';
import { KafkalabError } from '../util/errors';
import type { Logger } from '../util/log';
import type { RegistryState, StoreRecord } from './state';

export const DEFAULT_TOPIC = '_schemas';

export interface KafkaStoreOptions {
  topic?: string;
  /** Longest start-up may take to read the topic to its end. Default 60 s. */
  startTimeoutMs?: number;
  logger: Logger;
}

export class KafkaStore {
  readonly topic: string;
  private fetcher: TopicFetcher | undefined;
  private producer: Producer | undefined;
  /** The next offset to read: everything before it is applied. */
  private next = 0;
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly waiters: { offset: number; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private lastError: unknown;

  constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly state: RegistryState,
    private readonly opts: KafkaStoreOptions,
  ) {
    this.topic = opts.topic ?? DEFAULT_TOPIC;
  }

  async start(): Promise<void> {
    await this.ensureTopic();
    const [{ high }] = await this.admin.fetchTopicOffsets(this.topic);
    const end = Number(high);
    this.fetcher = await openFetcher(this.kafka, this.topic);
    await this.fetcher.connect();
    // The partitioner named (the topic has one partition): kafkajs warns about its default change otherwise.
    this.producer = this.kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1, retry: { retries: 5 }, createPartitioner: Partitioners.DefaultPartitioner });
    await this.producer.connect();
    this.running = true;
    this.loop = this.readLoop();
    if (end > 0) await this.until(end - 1, this.opts.startTimeoutMs ?? 60_000, 'reading the schemas topic at start-up');
    this.opts.logger.info('schema store ready', { topic: this.topic, records: end });
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const w of this.waiters.splice(0)) w.reject(new KafkalabError('The schema registry stopped', { code: 'REGISTRY_STOPPED' }));
    await this.loop?.catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
    await this.fetcher?.disconnect().catch(() => undefined);
  }

  /** Writes records in one batch; resolves when they have been read back and applied. */
  async append(records: StoreRecord[], timeoutMs = 30_000): Promise<void> {
    if (!this.producer || !this.running) throw new KafkalabError('The schema store is not running', { code: 'REGISTRY_STOPPED' });
    const [meta] = await this.producer.send({ topic: this.topic, acks: -1, messages: records.map((r) => ({ key: r.key, value: r.value })) });
    const last = Number(meta.baseOffset) + records.length - 1;
    await this.until(last, timeoutMs, 'reading back a write to the schemas topic');
  }

  private until(offset: number, timeoutMs: number, what: string): Promise<void> {
    if (this.next > offset) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new KafkalabError(`Timed out ${what} (offset ${offset} of "${this.topic}" not read after ${timeoutMs} ms)`, { code: 'REGISTRY_STORE_TIMEOUT', retriable: true, cause: this.lastError }));
      }, timeoutMs);
      const waiter = {
        offset,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e: unknown) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.waiters.push(waiter);
    });
  }

  private async readLoop(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        const [part] = await this.fetcher!.fetch(new Map([[0, this.next]]), { maxWaitMs: 500 });
        failures = 0;
        for (const m of part?.messages ?? []) {
          const offset = Number(m.offset);
          if (offset < this.next || m.isControlRecord) continue;
          if (m.key) this.state.apply({ key: m.key.toString(), value: m.value ? m.value.toString() : null }, (why) => this.opts.logger.warn('skipped a record of the schemas topic', { offset, why }));
          this.next = offset + 1;
        }
        // Past the last record read (e.g. compacted away or aborted): nothing before the high watermark is left.
        if (part && !(part.messages ?? []).length && part.highWatermark > this.next) this.next = part.highWatermark;
        for (let i = this.waiters.length - 1; i >= 0; i--) {
          if (this.waiters[i].offset < this.next) this.waiters.splice(i, 1)[0].resolve();
        }
      } catch (e) {
        if (!this.running) break;
        this.lastError = e;
        failures++;
        this.opts.logger.warn('reading the schemas topic failed; retrying', { error: String((e as Error)?.message ?? e), failures });
        await sleep(Math.min(5000, 100 * 2 ** Math.min(failures, 6)));
      }
    }
  }

  private async ensureTopic(): Promise<void> {
    const existing = await this.admin.fetchTopicMetadata({ topics: [] }).then((m) => m.topics.find((t) => t.name === this.topic));
    if (existing) {
      if (existing.partitions.length !== 1) {
        throw new KafkalabError(`The schemas topic "${this.topic}" has ${existing.partitions.length} partitions; it must have exactly 1`, {
          code: 'REGISTRY_STORE',
          hint: 'point the registry at another topic with the `topic` option, or recreate this one with one partition',
        });
      }
      return;
    }
    const cluster = await this.admin.describeCluster();
    const replicationFactor = Math.min(3, cluster.brokers.length);
    const attempt = async (configs: { name: string; value: string }[]) =>
      this.admin.createTopics({ topics: [{ topic: this.topic, numPartitions: 1, replicationFactor, configEntries: configs }], waitForLeaders: true });
    try {
      await attempt([
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'retention.ms', value: '-1' },
      ]);
    } catch (e) {
      if (!/INVALID_CONFIG|cleanup\.policy|not supported/i.test(JSON.stringify(errorInfo(e)))) throw e;
      this.opts.logger.warn('the broker refused a compacted schemas topic; created it without compaction (every record is kept)', { topic: this.topic });
      await attempt([{ name: 'retention.ms', value: '-1' }]);
    }
  }
}

function errorInfo(e: unknown): unknown {
  const err = e as { message?: string; type?: string; errors?: unknown[] };
  return { message: err?.message, type: err?.type, errors: (err?.errors ?? []).map((x) => errorInfo(x)) };
}
