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
 */
import { Partitioners, type Kafka, type Message, type Producer, type ProducerBatch, type ProducerConfig, type ProducerRecord, type RecordMetadata } from 'kafkajs';
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
  producer.transaction = async () => {
    const txn = await transaction();
    const completeTxn = completeSends(txn.sendBatch.bind(txn), chosen);
    txn.sendBatch = completeTxn;
    txn.send = (record: ProducerRecord) => completeTxn(asBatch(record));
    return txn;
  };
  return producer;
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
