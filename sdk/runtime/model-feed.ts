/**
 * Follows a models topic (score/versions.ts): reads it to its end at start, hands back the latest
 * `live` and `candidate` version of one model name, then long-polls and reports each later change
 * in topic order. The exported app swaps models from it (MODEL_TOPIC); the topic has one
 * partition, so changes arrive in the order they were published.
 *
 * A record that is not a model version (or not for this name) is skipped and reported through
 * `onError`; the model in use stays. Fetching errors are retried with backoff.
 */
import type { Admin, Kafka } from 'kafkajs';
import { openFetcher, type TopicFetcher } from '../kafka/fetcher';
import { backoff, sleep } from '../util/retry';
import { decodeModelVersion, DEFAULT_MODEL_NAME, parseModelKey, type ModelRole, type ModelVersion } from './score/versions';

export interface ModelFeedOptions {
  topic: string;
  /** Which model's records to follow (the key prefix); default 'model'. */
  name?: string;
  /** Each change after start, in topic order, awaited before the next: a new version, or undefined when the role was cleared. */
  onChange(role: ModelRole, version: ModelVersion | undefined, offset: number): Promise<void>;
  /** A record that could not be used, or a fetch that failed (retried). */
  onError?(err: unknown, offset?: number): void;
  /** Long-poll wait per fetch. Default 500 ms. */
  pollMs?: number;
}

export type ModelState = Partial<Record<ModelRole, ModelVersion>>;

/** Creates a one-partition compacted models topic unless it exists; true when created. */
export async function ensureModelTopic(admin: Admin, topic: string): Promise<boolean> {
  return admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }], waitForLeaders: true });
}

export class ModelFeed {
  private fetcher: TopicFetcher | undefined;
  private next = 0;
  private running = false;
  private loop: Promise<void> | undefined;
  readonly name: string;

  constructor(
    private readonly kafka: Kafka,
    private readonly opts: ModelFeedOptions,
  ) {
    this.name = opts.name ?? DEFAULT_MODEL_NAME;
  }

  /** Offset of the next record to read. */
  get position(): number {
    return this.next;
  }

  /** Reads the topic to its end (creating it when missing) and returns the latest version per role. */
  async start(): Promise<ModelState> {
    const admin = this.kafka.admin();
    await admin.connect();
    let end: number;
    try {
      await ensureModelTopic(admin, this.opts.topic).catch(() => false);
      const [mark] = await admin.fetchTopicOffsets(this.opts.topic);
      this.next = Number(mark.low);
      end = Number(mark.high);
    } finally {
      await admin.disconnect();
    }
    this.fetcher = await openFetcher(this.kafka, this.opts.topic);
    await this.fetcher.connect();
    const state: ModelState = {};
    while (this.next < end) {
      for (const [role, v] of await this.round(0)) state[role] = v;
    }
    this.running = true;
    this.loop = this.follow();
    return state;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.fetcher?.disconnect();
    this.fetcher = undefined;
  }

  private async follow(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        for (const [role, v, offset] of await this.round(this.opts.pollMs ?? 500)) {
          if (!this.running) return;
          await this.opts.onChange(role, v, offset);
        }
        failures = 0;
      } catch (err) {
        if (!this.running) return;
        this.opts.onError?.(err);
        await sleep(backoff(failures++, { initialMs: 200, maxMs: 5000 }));
      }
    }
  }

  /** One fetch: the changes it holds for this name, in order; advances past every record read. */
  private async round(waitMs: number): Promise<[ModelRole, ModelVersion | undefined, number][]> {
    const [part] = await this.fetcher!.fetch(new Map([[0, this.next]]), { maxWaitMs: waitMs });
    const out: [ModelRole, ModelVersion | undefined, number][] = [];
    for (const m of part?.messages ?? []) {
      const offset = Number(m.offset);
      if (offset < this.next || m.isControlRecord) continue;
      this.next = offset + 1;
      const key = m.key ? parseModelKey(m.key.toString('utf8')) : undefined;
      if (!key || key.name !== this.name) continue;
      if (m.value === null || m.value.length === 0) {
        out.push([key.role, undefined, offset]);
        continue;
      }
      try {
        out.push([key.role, decodeModelVersion(m.value), offset]);
      } catch (err) {
        this.opts.onError?.(err, offset);
      }
    }
    // Past the end of what was fetched (a compacted gap, or records skipped above).
    if (part && !part.messages.length && part.highWatermark > this.next && waitMs === 0) this.next = Math.min(part.highWatermark, this.next + 1);
    return out;
  }
}
