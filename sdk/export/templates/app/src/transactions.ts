/**
 * PROCESSING_GUARANTEE=exactly-once: each input batch's results, dead letters and shadow
 * comparison are written in one Kafka transaction with the batch's input offset (sendOffsets),
 * so consumers reading `read_committed` see every input's outputs exactly once, whatever fails.
 *
 * One transactional producer per input partition, with the transactional id
 * `<TRANSACTIONAL_ID_PREFIX>.<INPUT_TOPIC>.<partition>` (Kafka Streams' first exactly-once
 * design): whichever instance reads a partition next (after a rebalance, a crash or a restart)
 * initialises the same id, which aborts what the previous owner left open and fences it: its
 * late writes and commits fail instead of duplicating. Results go through kafkajs's
 * transactional producer (the record-batch fast path does not write transactional batches).
 */
import { Partitioners, type Kafka, type PartitionOffset, type Producer, type Transaction } from 'kafkajs';
import type { Config } from './config';
import type { Logger } from './log';

export class PartitionTransactions {
  private readonly producers = new Map<number, Promise<Producer>>();
  /** Each partition's open transaction (one batch at a time per partition). */
  private readonly open = new Map<number, Transaction>();

  constructor(
    private readonly kafka: Kafka,
    private readonly config: Config,
    private readonly log: Logger,
  ) {}

  idFor(partition: number): string {
    return `${this.config.transactionalIdPrefix}.${this.config.inputTopic}.${partition}`;
  }

  private producer(partition: number): Promise<Producer> {
    let p = this.producers.get(partition);
    if (!p) {
      const producer = this.kafka.producer({
        transactionalId: this.idFor(partition),
        idempotent: true,
        maxInFlightRequests: 1,
        transactionTimeout: this.config.transactionTimeoutMs,
        allowAutoTopicCreation: true,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      p = producer.connect().then(() => producer);
      p.catch(() => this.producers.delete(partition));
      this.producers.set(partition, p);
    }
    return p;
  }

  /** Begins partition `partition`'s transaction for one batch. */
  async begin(partition: number): Promise<Transaction> {
    const txn = await (await this.producer(partition)).transaction();
    this.open.set(partition, txn);
    return txn;
  }

  /** Adds the input position (the offset after the batch, with its metadata) to the partition's transaction and commits it. */
  async commit(c: { topic: string; partition: number; offset: string; metadata?: string | null }): Promise<void> {
    const txn = this.open.get(c.partition);
    if (!txn) throw new Error(`no open transaction for partition ${c.partition}`);
    // kafkajs's TxnOffsetCommit encodes each partition's `metadata`, which its types leave out.
    const partition = { partition: c.partition, offset: c.offset, metadata: c.metadata ?? null } as PartitionOffset;
    await txn.sendOffsets({ consumerGroupId: this.config.groupId, topics: [{ topic: c.topic, partitions: [partition] }] });
    this.open.delete(c.partition);
    await txn.commit();
  }

  /** Aborts the partition's open transaction (its partition was revoked mid-batch). */
  async abort(partition: number): Promise<void> {
    const txn = this.open.get(partition);
    this.open.delete(partition);
    await txn?.abort();
  }

  /** After a failed batch: abort its transaction and drop the producer (it may be fenced; the next batch starts a fresh one). */
  async fail(partition: number, err: unknown): Promise<void> {
    if (!this.open.has(partition)) return;
    this.log.warn('transaction failed; aborted', { partition, error: (err as Error)?.message });
    await this.abort(partition).catch(() => undefined);
    await this.close([partition]);
  }

  /** Closes the producers of partitions this instance no longer reads (all when none are given). */
  async close(partitions: number[] = [...this.producers.keys()]): Promise<void> {
    await Promise.all(
      partitions.map(async (p) => {
        const producer = this.producers.get(p);
        this.producers.delete(p);
        await (await producer?.catch(() => undefined))?.disconnect().catch(() => undefined);
      }),
    );
  }

  /** Keeps the producers of `assigned` partitions, closes the others. */
  retain(assigned: number[]): Promise<void> {
    return this.close([...this.producers.keys()].filter((p) => !assigned.includes(p)));
  }
}
