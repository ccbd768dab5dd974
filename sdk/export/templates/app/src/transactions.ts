/**
 * PROCESSING_GUARANTEE=exactly-once: each input batch's results, dead letters and shadow
 * comparison are written in one Kafka transaction with the batch's input offset (and window
 * checkpoint), so consumers reading `read_committed` see every input's outputs exactly once,
 * whatever fails.
 *
 * One transactional producer per input partition, with the transactional id
 * `<TRANSACTIONAL_ID_PREFIX>.<INPUT_TOPIC>.<partition>` (Kafka Streams' first exactly-once
 * design): whichever instance reads a partition next (after a rebalance, a crash or a restart)
 * initialises the same id, which aborts what the previous owner left open and fences it: its
 * late writes and commits fail instead of duplicating. (One id per instance would need the
 * group generation in TxnOffsetCommit, KIP-447, whose versions kafkajs cannot frame.)
 *
 * Two ways to write them, the same guarantee:
 * - the fast path (encoder 'kafkalab'): the results' record batches are encoded by the runtime's
 *   one encoder, as at-least-once, and finished as transactional batches of the partition's
 *   producer (TransactionalBatches: its id, epoch and sequences), and the transaction requests
 *   go through kafkalab's adapter to kafkajs's cluster;
 * - kafkajs's transactional producer (encoder 'kafkajs'), when the results go through
 *   producer.send (PRODUCE_ENCODER=kafkajs, or the adapter's self-check failed) or the broker
 *   serves none of the transaction request versions the fast path sends.
 */
import { completeProducer, TransactionalBatches, type TxnOffset } from '@kafkalab/runtime';
import { type Kafka, type Message, type PartitionOffset, type Producer, type Transaction } from 'kafkajs';
import type { Config } from './config';
import type { Logger } from './log';
import { BatchProducer, messageBatch, sendChunks, sendMessages, type BatchTarget, type ResultProducer } from './producer';

/** One input batch's transaction: its outputs go through `batch` and `send`. */
export interface PartitionTxn extends BatchTarget {
  /** Dead letters or comparison records (kafkajs messages, headers kept) into the transaction. */
  send(topic: string, messages: Message[]): Promise<void>;
}

export interface Transactions {
  readonly encoder: 'kafkalab' | 'kafkajs';
  idFor(partition: number): string;
  /** Whether the partition's producer exists (initialised, or being initialised). */
  has(partition: number): boolean;
  /** Initialises the partition's producer when needed: from then on an older producer with its id is fenced. */
  ready(partition: number): Promise<void>;
  /** Begins partition `partition`'s transaction for one batch. */
  begin(partition: number): Promise<PartitionTxn>;
  /** Adds the input position (the offset after the batch, with its metadata) to the partition's transaction and commits it. */
  commit(c: { topic: string; partition: number; offset: string; metadata?: string | null }): Promise<void>;
  /** Aborts the partition's open transaction (its partition was revoked mid-batch). */
  abort(partition: number): Promise<void>;
  /** After a failed batch: abort its transaction and drop the producer (it may be fenced; the next batch initialises a fresh epoch). */
  fail(partition: number, err: unknown): Promise<void>;
  /** Closes the producers of partitions this instance no longer reads (all when none are given). */
  close(partitions?: number[]): Promise<void>;
  /** Keeps the producers of `assigned` partitions, closes the others. */
  retain(assigned: number[]): Promise<void>;
}

/** The fast path when the results are encoded by kafkalab and the broker serves its transaction requests, else kafkajs's producer. */
export async function createTransactions(kafka: Kafka, output: ResultProducer, config: Config, log: Logger): Promise<Transactions> {
  if (output instanceof BatchProducer) {
    const fast = new FastTransactions(output, config, log);
    const why = await TransactionalBatches.unsupported(output.cluster, fast.idFor(0));
    if (!why) return fast;
    log.warn("exactly-once through kafkajs's transactional producer", { reason: why });
  }
  return new KafkajsTransactions(kafka, config, log);
}

/** Per-partition state shared by both ways: one producer per input partition, one open transaction at a time. */
abstract class PartitionProducers<P, T> implements Transactions {
  abstract readonly encoder: 'kafkalab' | 'kafkajs';
  protected readonly producers = new Map<number, Promise<P>>();
  protected readonly open = new Map<number, T>();

  constructor(
    protected readonly config: Config,
    protected readonly log: Logger,
  ) {}

  idFor(partition: number): string {
    return `${this.config.transactionalIdPrefix}.${this.config.inputTopic}.${partition}`;
  }

  protected abstract create(partition: number): Promise<P>;
  protected abstract start(producer: P): Promise<{ txn: T; target: PartitionTxn }>;
  protected abstract commitTxn(txn: T, offset: TxnOffset): Promise<void>;
  protected abstract abortTxn(txn: T): Promise<void>;
  protected abstract shut(producer: P): Promise<void>;

  protected producer(partition: number): Promise<P> {
    let p = this.producers.get(partition);
    if (!p) {
      p = this.create(partition);
      p.catch(() => this.producers.delete(partition));
      this.producers.set(partition, p);
    }
    return p;
  }

  has(partition: number): boolean {
    return this.producers.has(partition);
  }

  async ready(partition: number): Promise<void> {
    await this.producer(partition);
  }

  async begin(partition: number): Promise<PartitionTxn> {
    const { txn, target } = await this.start(await this.producer(partition));
    this.open.set(partition, txn);
    return target;
  }

  async commit(c: { topic: string; partition: number; offset: string; metadata?: string | null }): Promise<void> {
    const txn = this.open.get(c.partition);
    if (!txn) throw new Error(`no open transaction for partition ${c.partition}`);
    // Still open until committed: a failed commit is aborted by `fail`.
    await this.commitTxn(txn, c);
    this.open.delete(c.partition);
  }

  async abort(partition: number): Promise<void> {
    const txn = this.open.get(partition);
    this.open.delete(partition);
    if (txn) await this.abortTxn(txn);
  }

  async fail(partition: number, err: unknown): Promise<void> {
    if (this.open.has(partition)) {
      this.log.warn('transaction failed; aborted', { partition, error: (err as Error)?.message });
      await this.abort(partition).catch(() => undefined);
    }
    await this.close([partition]);
  }

  async close(partitions: number[] = [...this.producers.keys()]): Promise<void> {
    await Promise.all(
      partitions.map(async (p) => {
        const producer = this.producers.get(p);
        this.producers.delete(p);
        const ready = await producer?.catch(() => undefined);
        if (ready) await this.shut(ready).catch(() => undefined);
      }),
    );
  }

  retain(assigned: number[]): Promise<void> {
    return this.close([...this.producers.keys()].filter((p) => !assigned.includes(p)));
  }
}

/** Transactional record batches on the app's fast path. */
class FastTransactions extends PartitionProducers<TransactionalBatches, TransactionalBatches> {
  readonly encoder = 'kafkalab' as const;

  constructor(
    private readonly output: BatchProducer,
    config: Config,
    log: Logger,
  ) {
    super(config, log);
  }

  protected create(partition: number): Promise<TransactionalBatches> {
    return TransactionalBatches.init(this.output.cluster, this.idFor(partition), { transactionTimeoutMs: this.config.transactionTimeoutMs });
  }

  protected async start(t: TransactionalBatches): Promise<{ txn: TransactionalBatches; target: PartitionTxn }> {
    const target: PartitionTxn = {
      batch: (topic, records) => this.output.partitioned(topic, records, async (writers) => this.output.send(topic, await t.seal(topic, writers), t.transactionalId)),
      send: async (topic, messages) => {
        if (!messages.length) return;
        await this.output.ensure(topic);
        await sendMessages(target, topic, messages);
      },
    };
    return { txn: t, target };
  }

  protected commitTxn(t: TransactionalBatches, offset: TxnOffset): Promise<void> {
    return t.commit(this.config.groupId, [offset]);
  }

  protected abortTxn(t: TransactionalBatches): Promise<void> {
    return t.abort();
  }

  /** Nothing to close: the producers share the results' connection; a later InitProducerId with the id fences the old epoch. */
  protected async shut(): Promise<void> {}
}

/** kafkajs's transactional producer, one per input partition. */
class KafkajsTransactions extends PartitionProducers<Producer, Transaction> {
  readonly encoder = 'kafkajs' as const;

  constructor(
    private readonly kafka: Kafka,
    config: Config,
    log: Logger,
  ) {
    super(config, log);
  }

  protected async create(partition: number): Promise<Producer> {
    // completeProducer: kafkajs alone can leave a transaction's records unsent when a leader
    // moves mid-send and still commit it (kafkajs#1303); the Java-compatible partitioner as before.
    const producer = completeProducer(this.kafka, {
      transactionalId: this.idFor(partition),
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: this.config.transactionTimeoutMs,
      allowAutoTopicCreation: true,
    });
    await producer.connect();
    return producer;
  }

  protected async start(producer: Producer): Promise<{ txn: Transaction; target: PartitionTxn }> {
    const txn = await producer.transaction();
    // One transaction's sends one after another (kafkajs registers partitions per send).
    return { txn, target: { batch: (topic) => messageBatch(txn, topic), send: (topic, messages) => sendChunks(txn, topic, messages) } };
  }

  protected async commitTxn(txn: Transaction, c: TxnOffset): Promise<void> {
    // kafkajs's TxnOffsetCommit encodes each partition's `metadata`, which its types leave out.
    const partition = { partition: c.partition, offset: String(c.offset), metadata: c.metadata ?? null } as PartitionOffset;
    await txn.sendOffsets({ consumerGroupId: this.config.groupId, topics: [{ topic: c.topic, partitions: [partition] }] });
    await txn.commit();
  }

  protected abortTxn(txn: Transaction): Promise<void> {
    return txn.abort();
  }

  protected shut(producer: Producer): Promise<void> {
    return producer.disconnect();
  }
}
