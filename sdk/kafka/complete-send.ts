/**
 * A kafkajs producer whose send() and sendBatch() never resolve with records left unsent.
 *
 * kafkajs 2.2.4 keeps, within one send, the answer of every broker that already acknowledged
 * its part, and on a retry sends only to brokers without an answer. When a partition's leader
 * moves during that send to a broker that already answered (a rolling restart, a failover), the
 * partition's records go nowhere and the send still resolves (kafkajs#1303). The multi-node test
 * broker (sdk/broker/cluster.ts) showed it: 70 of 600 acknowledged records missing.
 *
 * The remedy, on kafkajs's public API only: the partitioner records the partition it picks for
 * each message and keeps it across kafkajs's retries (so a record's partition never changes
 * under it); the acknowledgements name the partitions that were written; the records of any
 * other partition are sent again, with their partition fixed, until all are acknowledged.
 * The same holds for the sends of a transaction (`producer.transaction()`), so kafkajs's
 * transactional producer, the exported app's exactly-once fallback, commits whole transactions.
 *
 * The opposite happens too: a partition acknowledged by one broker, whose leader then moves to a
 * broker whose request failed, is sent again by kafkajs's retry with the next sequence numbers,
 * which the broker's idempotence cannot recognise: the records land twice (seen on the 3-node
 * broker with leaders moving every 100 ms: 41 records twice in one committed transaction). A
 * retry can only do that when one send spans several brokers, so a transaction's sends go one
 * partition per kafkajs send (concurrently): each attempt then reaches one broker, and a retried
 * batch keeps its sequence numbers. The partitions come from the topic's metadata (the admin
 * API, cached) through the same Java-compatible partitioner. Non-transactional sends keep one
 * request per broker: a duplicate there stays within their at-least-once promise.
 */
import { Partitioners, type Admin, type Kafka, type Message, type PartitionMetadata, type Producer, type ProducerBatch, type ProducerConfig, type ProducerRecord, type RecordMetadata } from 'kafkajs';
import { KafkalabError } from '../util/errors';
import { retry } from '../util/retry';

/** Follow-up sends for records a send left out, before giving up with a retriable error. */
const RESENDS = 5;

/** `kafka.producer(config)` with the Java-compatible default partitioner, made complete (see above). */
export function completeProducer(kafka: Kafka, config: Omit<ProducerConfig, 'createPartitioner'> = {}): Producer {
  const chosen = new WeakMap<Message, number>();
  const producer = kafka.producer({
    ...config,
    createPartitioner: () => {
      const pick = Partitioners.DefaultPartitioner();
      return (args) => {
        const before = chosen.get(args.message);
        const p = before !== undefined && before < args.partitionMetadata.length ? before : pick(args);
        chosen.set(args.message, p);
        return p;
      };
    },
  });
  const complete = completeSends(producer.sendBatch.bind(producer), chosen);
  producer.sendBatch = complete;
  producer.send = (record: ProducerRecord) => complete(asBatch(record));
  // A transaction's sends go through kafkajs's message producer too, so they drop records the
  // same way (a committed transaction missing records, found on the 3-node broker): complete them.
  const transaction = producer.transaction.bind(producer);
  const partitions = new TopicPartitions(kafka);
  const pick = Partitioners.DefaultPartitioner();
  producer.transaction = async () => {
    const txn = await transaction();
    const completeTxn = completeSends(txn.sendBatch.bind(txn), chosen);
    const perPartition = async (batch: ProducerBatch): Promise<RecordMetadata[]> => {
      const parts = new Map<string, { topic: string; messages: Message[] }>();
      const whole: { topic: string; messages: Message[] }[] = [];
      for (const { topic, messages } of batch.topicMessages ?? []) {
        const meta = await partitions.of(topic);
        if (!meta) {
          // A topic the send itself creates (auto-creation): this send in one piece, as kafkajs does.
          whole.push({ topic, messages });
          continue;
        }
        for (const m of messages) {
          // Recorded, not copied onto the message: the partitioner above returns it to kafkajs.
          const p = m.partition ?? chosen.get(m) ?? pick({ topic, partitionMetadata: meta, message: m });
          chosen.set(m, p);
          const k = `${topic}\0${p}`;
          let part = parts.get(k);
          if (!part) parts.set(k, (part = { topic, messages: [] }));
          part.messages.push(m);
        }
      }
      const sends = [...parts.values()].map((tm) => [tm]);
      if (whole.length) sends.push(whole);
      const acks = await Promise.all(sends.map((topicMessages) => completeTxn({ ...batch, topicMessages })));
      return acks.flat();
    };
    txn.sendBatch = perPartition;
    txn.send = (record: ProducerRecord) => perPartition(asBatch(record));
    return txn;
  };
  const disconnect = producer.disconnect.bind(producer);
  producer.disconnect = async () => {
    await partitions.close();
    await disconnect();
  };
  return producer;
}

/** How long a topic's partition list is reused before it is read again. */
const METADATA_TTL_MS = 30_000;

/** Topics' partitions (id and leader, what the partitioner needs), read through the admin API and cached. */
class TopicPartitions {
  private admin: Promise<Admin> | undefined;
  private readonly cache = new Map<string, { at: number; meta: PartitionMetadata[] }>();

  constructor(private readonly kafka: Kafka) {}

  /** The topic's partitions; undefined while the topic does not exist (a producer that may create topics creates it on its first send). */
  async of(topic: string): Promise<PartitionMetadata[] | undefined> {
    const hit = this.cache.get(topic);
    if (hit && Date.now() - hit.at < METADATA_TTL_MS) return hit.meta;
    if (!this.admin) {
      const made = this.kafka.admin();
      this.admin = made.connect().then(() => made);
      this.admin.catch(() => (this.admin = undefined));
    }
    const admin = await this.admin;
    let meta: PartitionMetadata[];
    try {
      meta = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions ?? [];
    } catch (e) {
      if ((e as { type?: string }).type === 'UNKNOWN_TOPIC_OR_PARTITION') return undefined;
      throw e;
    }
    if (!meta.length) return undefined;
    this.cache.set(topic, { at: Date.now(), meta });
    return meta;
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await admin?.then((a) => a.disconnect()).catch(() => undefined);
  }
}

/** One send's record as the batch sendBatch takes. */
function asBatch(record: ProducerRecord): ProducerBatch {
  return { acks: record.acks, timeout: record.timeout, compression: record.compression, topicMessages: [{ topic: record.topic, messages: record.messages }] };
}

/** `sendBatch` that resends, with their partition fixed, the records whose partition got no acknowledgement. */
function completeSends(sendBatch: (batch: ProducerBatch) => Promise<RecordMetadata[]>, chosen: WeakMap<Message, number>): (batch: ProducerBatch) => Promise<RecordMetadata[]> {
  return async (batch: ProducerBatch): Promise<RecordMetadata[]> => {
    const acks: RecordMetadata[] = await sendBatch(batch);
    if (batch.acks === 0) return acks;
    let left = unsent(batch.topicMessages ?? [], acks, chosen);
    if (!left.length) return acks;
    await retry(
      async () => {
        const more = await sendBatch({ ...batch, topicMessages: left });
        acks.push(...more);
        left = unsent(left, more, chosen);
        if (left.length) throw new KafkalabError(`kafkajs left ${count(left)} record(s) unsent after a leader change`, { code: 'SEND_INCOMPLETE', retriable: true });
      },
      { attempts: RESENDS, initialMs: 100, maxMs: 1000 },
    );
    return acks;
  };
}

/** The messages whose partition has no acknowledgement, with that partition fixed on them. */
function unsent(topicMessages: { topic: string; messages: Message[] }[], acks: RecordMetadata[], chosen: WeakMap<Message, number>) {
  const written = new Set(acks.map((a) => `${a.topicName}\0${a.partition}`));
  return topicMessages
    .map(({ topic, messages }) => ({
      topic,
      messages: messages
        .filter((m) => !written.has(`${topic}\0${m.partition ?? chosen.get(m)}`))
        .map((m) => {
          const fixed = { ...m, partition: m.partition ?? chosen.get(m) };
          chosen.set(fixed, fixed.partition!);
          return fixed;
        }),
    }))
    .filter((t) => t.messages.length);
}

function count(topicMessages: { messages: Message[] }[]): number {
  return topicMessages.reduce((n, t) => n + t.messages.length, 0);
}
