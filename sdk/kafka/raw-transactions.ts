/**
 * Kafka transactions on the record-batch fast path (raw-produce.ts): a transactional producer
 * whose batches kafkalab's one encoder writes (RecordBatchWriter, finished with the producer id,
 * epoch, the partition's next sequence and the transactional attribute bit) and whose
 * transaction requests (InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit,
 * EndTxn) kafkalab's codec encodes, sent through kafkajs's cluster (adapter.ts). kafkajs's own
 * transactional producer encodes every record as an object through its Encoder; measured on the
 * exported app that made exactly-once cost ~65 µs of CPU per record against ~40 at-least-once.
 *
 * What it promises is Kafka's transactional producer's: InitProducerId with the transactional
 * id bumps the epoch, which aborts what an older producer with that id left open and fences it
 * (its produce, offset commit and EndTxn fail from then on); a partition is registered with the
 * transaction before its first batch; the consumer offsets join the transaction and become
 * visible when it commits; sequences continue across transactions and start over with a new
 * epoch. After any failure the producer's state is unknown: abort by initialising again
 * (`TransactionalBatches.init` again with the same id: the new epoch aborts the open transaction).
 *
 * kafkajs frames requests with header v1, so only the non-flexible versions are used (those
 * kafkajs's own producer sends): InitProducerId v0-1, the others v0-2. A broker that serves none
 * of them gets `TransactionsUnsupported`, and the caller falls back to kafkajs's producer.
 * TxnOffsetCommit v0-2 carries no group generation (KIP-447 needs v3, flexible): fencing is
 * by transactional id, so callers use one id per input partition, as Kafka Streams' first
 * exactly-once design did.
 */
import type { ClusterClient } from './adapter';
import { RecordBatchWriter } from '../protocol/batch-encoding';
import { ErrorCode, errorName, isRetriable } from '../protocol/errors';
import { AddOffsetsToTxnRequest, AddOffsetsToTxnResponse } from '../protocol/messages/add-offsets-to-txn';
import { AddPartitionsToTxnRequest, AddPartitionsToTxnResponse } from '../protocol/messages/add-partitions-to-txn';
import { EndTxnRequest, EndTxnResponse } from '../protocol/messages/end-txn';
import { COORDINATOR_GROUP, COORDINATOR_TRANSACTION } from '../protocol/messages/find-coordinator';
import { InitProducerIdRequest, InitProducerIdResponse } from '../protocol/messages/init-producer-id';
import { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from '../protocol/messages/txn-offset-commit';
import { Reader } from '../protocol/reader';
import type { Fields, InOf, Message, OutOf } from '../protocol/schema';
import { Writer } from '../protocol/writer';
import { KafkalabError } from '../util/errors';
import { retry } from '../util/retry';

/** Batch attribute bit 4: the batch belongs to a transaction. */
export const TRANSACTIONAL_BATCH = 0x10;

/** Each request and the newest version kafkajs can frame (no flexible versions). */
const APIS = {
  initProducerId: { key: 22, name: 'InitProducerId', max: 1 },
  addPartitions: { key: 24, name: 'AddPartitionsToTxn', max: 2 },
  addOffsets: { key: 25, name: 'AddOffsetsToTxn', max: 2 },
  endTxn: { key: 26, name: 'EndTxn', max: 2 },
  txnOffsetCommit: { key: 28, name: 'TxnOffsetCommit', max: 2 },
} as const;
type Api = (typeof APIS)[keyof typeof APIS];

/** Errors answered while a coordinator moves or loads: find it again and retry. */
const COORDINATOR_MOVED = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS]);
const SEQUENCE_WRAP = 0x80000000;

/** The broker serves no non-flexible version of a transaction request: use kafkajs's producer. */
export class TransactionsUnsupported extends KafkalabError {
  constructor(why: string) {
    super(`transactions on the fast path are not possible here: ${why}`, { code: 'TRANSACTIONS_UNSUPPORTED' });
  }
}

/** A Kafka error answered to a transaction request, with its name as `code` and Kafka's retriability. */
function kafkaError(api: Api, code: number, what = ''): KafkalabError {
  const name = errorName(code);
  return Object.assign(new KafkalabError(`${api.name}${what} failed: ${name}`, { code: name, retriable: isRetriable(code) }), { errorCode: code });
}

/** One input position committed with the transaction. */
export interface TxnOffset {
  topic: string;
  partition: number;
  /** The next offset to read (the last processed + 1). */
  offset: string | number;
  metadata?: string | null;
}

export class TransactionalBatches {
  private producerId = -1;
  private epoch = -1;
  private coordinator = -1;
  /** Each partition's next sequence number, `topic\0partition` → sequence. */
  private readonly sequences = new Map<string, number>();
  /** Partitions registered with the open transaction. */
  private readonly registered = new Set<string>();
  private offsetsAdded = false;

  private constructor(
    private readonly cluster: ClusterClient,
    readonly transactionalId: string,
    private readonly timeoutMs: number,
  ) {}

  /** A producer for `transactionalId` with a new epoch (fencing and aborting any older one). */
  static async init(cluster: ClusterClient, transactionalId: string, opts: { transactionTimeoutMs: number }): Promise<TransactionalBatches> {
    const t = new TransactionalBatches(cluster, transactionalId, opts.transactionTimeoutMs);
    await t.coordinated(async (node) => {
      const res = await t.request(node, APIS.initProducerId, InitProducerIdRequest, InitProducerIdResponse, { transactionalId, transactionTimeoutMs: t.timeoutMs });
      if (res.errorCode !== ErrorCode.NONE) throw kafkaError(APIS.initProducerId, res.errorCode);
      t.producerId = res.producerId;
      t.epoch = res.producerEpoch;
    });
    return t;
  }

  /**
   * Why the fast path cannot run transactions for `transactionalId` (its coordinator serves no
   * non-flexible version of some transaction request), or undefined.
   */
  static async unsupported(cluster: ClusterClient, transactionalId: string): Promise<string | undefined> {
    const node = await cluster.coordinator(transactionalId, COORDINATOR_TRANSACTION);
    for (const api of Object.values(APIS)) {
      const range = await cluster.apiVersions(node, api.key);
      if (!range || range.min > api.max) return `broker ${node} serves ${api.name} ${range ? `v${range.min}-${range.max}` : 'not at all'}, the fast path sends v0-${api.max}`;
    }
    return undefined;
  }

  /** The producer id and epoch batches are written with. */
  get producer(): { producerId: number; epoch: number } {
    return { producerId: this.producerId, epoch: this.epoch };
  }

  /** Whether the open transaction holds anything (a partition or offsets): then it needs an EndTxn. */
  get open(): boolean {
    return this.registered.size > 0 || this.offsetsAdded;
  }

  /**
   * Registers `topic`'s partitions with the open transaction (opening it) and finishes each
   * partition's batch as this producer's next one there: producer id, epoch, sequence and the
   * transactional bit. Send the result with produceToLeaders(..., this.transactionalId); a resend
   * of the same bytes is deduplicated by the broker.
   */
  async seal(topic: string, writers: Map<number, RecordBatchWriter>): Promise<Map<number, Buffer>> {
    const fresh = [...writers.keys()].filter((p) => !this.registered.has(`${topic}\0${p}`));
    if (fresh.length) await this.addPartitions(topic, fresh);
    const sealed = new Map<number, Buffer>();
    for (const [p, w] of writers) {
      if (w.count === 0) continue;
      const key = `${topic}\0${p}`;
      const baseSequence = this.sequences.get(key) ?? 0;
      this.sequences.set(key, (baseSequence + w.count) % SEQUENCE_WRAP);
      sealed.set(p, w.finish({ producerId: this.producerId, producerEpoch: this.epoch, baseSequence, attributes: TRANSACTIONAL_BATCH }));
    }
    return sealed;
  }

  /** Adds `offsets` of consumer group `groupId` to the transaction and commits it. */
  async commit(groupId: string, offsets: TxnOffset[]): Promise<void> {
    if (offsets.length) {
      if (!this.offsetsAdded) {
        await this.coordinated(async (node) => {
          const res = await this.request(node, APIS.addOffsets, AddOffsetsToTxnRequest, AddOffsetsToTxnResponse, { transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.epoch, groupId });
          if (res.errorCode !== ErrorCode.NONE) throw kafkaError(APIS.addOffsets, res.errorCode);
        });
        this.offsetsAdded = true;
      }
      await this.commitOffsets(groupId, offsets);
    }
    await this.end(true);
  }

  /** Aborts the open transaction (nothing to do when it holds nothing). */
  async abort(): Promise<void> {
    await this.end(false);
  }

  private async end(committed: boolean): Promise<void> {
    if (!this.open) return;
    await this.coordinated(async (node) => {
      const res = await this.request(node, APIS.endTxn, EndTxnRequest, EndTxnResponse, { transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.epoch, committed });
      if (res.errorCode !== ErrorCode.NONE) throw kafkaError(APIS.endTxn, res.errorCode, committed ? ' (commit)' : ' (abort)');
    });
    this.registered.clear();
    this.offsetsAdded = false;
  }

  private async addPartitions(topic: string, partitions: number[]): Promise<void> {
    await this.coordinated(async (node) => {
      const res = await this.request(node, APIS.addPartitions, AddPartitionsToTxnRequest, AddPartitionsToTxnResponse, {
        transactions: [],
        v3AndBelowTransactionalId: this.transactionalId,
        v3AndBelowProducerId: this.producerId,
        v3AndBelowProducerEpoch: this.epoch,
        v3AndBelowTopics: [{ name: topic, partitions }],
      });
      // One failed partition leaves the others OPERATION_NOT_ATTEMPTED: the cause is the other code.
      const codes = res.resultsByTopicV3AndBelow.flatMap((t) => t.resultsByPartition.map((p) => p.partitionErrorCode));
      const failed = codes.find((c) => c !== ErrorCode.NONE && c !== ErrorCode.OPERATION_NOT_ATTEMPTED) ?? codes.find((c) => c !== ErrorCode.NONE);
      if (failed !== undefined) throw kafkaError(APIS.addPartitions, failed, ` (${topic})`);
    });
    for (const p of partitions) this.registered.add(`${topic}\0${p}`);
  }

  private async commitOffsets(groupId: string, offsets: TxnOffset[]): Promise<void> {
    const topics = new Map<string, { partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; committedMetadata: string | null }[]>();
    for (const o of offsets) {
      let list = topics.get(o.topic);
      if (!list) topics.set(o.topic, (list = []));
      list.push({ partitionIndex: o.partition, committedOffset: Number(o.offset), committedLeaderEpoch: -1, committedMetadata: o.metadata ?? null });
    }
    const body = {
      transactionalId: this.transactionalId,
      groupId,
      producerId: this.producerId,
      producerEpoch: this.epoch,
      topics: [...topics].map(([name, partitions]) => ({ name, partitions })),
    };
    await this.coordinated(async (node) => {
        const res = await this.request(node, APIS.txnOffsetCommit, TxnOffsetCommitRequest, TxnOffsetCommitResponse, body);
        const failed = res.topics.flatMap((t) => t.partitions.map((p) => p.errorCode)).find((c) => c !== ErrorCode.NONE);
        if (failed !== undefined) throw kafkaError(APIS.txnOffsetCommit, failed, ` (group ${groupId})`);
      },
      { key: groupId, type: COORDINATOR_GROUP },
    );
  }

  /**
   * Runs `call` against the coordinator of the transactional id (or of `of`, a group), finding it
   * first; a moved or loading coordinator is found again, and every retriable Kafka error
   * (CONCURRENT_TRANSACTIONS while the previous transaction's markers are written, for one) is
   * retried with a backoff.
   */
  private async coordinated(call: (node: number) => Promise<void>, of: { key: string; type: 0 | 1 } = { key: this.transactionalId, type: COORDINATOR_TRANSACTION }): Promise<void> {
    const ownCoordinator = of.type === COORDINATOR_TRANSACTION;
    let node = ownCoordinator && this.coordinator >= 0 ? this.coordinator : -1;
    await retry(
      async () => {
        if (node < 0) node = await this.cluster.coordinator(of.key, of.type);
        if (ownCoordinator) this.coordinator = node;
        await call(node);
      },
      {
        attempts: 12,
        initialMs: 20,
        maxMs: 1000,
        retriable: (err) => (err as { retriable?: boolean }).retriable === true,
        onRetry: (err) => {
          const code = (err as { errorCode?: number }).errorCode;
          if (code === undefined || COORDINATOR_MOVED.has(code)) node = -1;
        },
      },
    );
  }

  /** Encodes `value` at the newest version both sides serve, sends it to `node`, decodes the answer. */
  private async request<F extends Fields, G extends Fields>(node: number, api: Api, req: Message<F>, res: Message<G>, value: InOf<F>): Promise<OutOf<G>> {
    const version = await this.version(node, api);
    const w = new Writer(128);
    req.encode(w, value, version);
    return this.cluster.request(node, { apiKey: api.key, apiVersion: version, apiName: api.name, body: w.toBuffer(), decode: (payload) => res.decode(new Reader(payload), version) });
  }

  private async version(node: number, api: Api): Promise<number> {
    const range = await this.cluster.apiVersions(node, api.key);
    const version = Math.min(api.max, range?.max ?? -1);
    if (!range || version < range.min) throw new TransactionsUnsupported(`broker ${node} serves ${api.name} ${range ? `v${range.min}-${range.max}` : 'not at all'}, kafkalab sends v0-${api.max}`);
    return version;
  }
}
