import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel, CompressionTypes } from 'kafkajs';
import { startBroker, type Broker } from '../../sdk/broker';
import { rawClient } from './wire';
import { ProduceRequest, ProduceResponse } from '../../sdk/protocol/messages/produce';
import { FetchRequest, FetchResponse } from '../../sdk/protocol/messages/fetch';
import { encodeRecordBatch, decodeRecords, readBatchHeader } from '../../sdk/protocol/record-batch';
import { Writer } from '../../sdk/protocol/writer';

async function rejects(fn: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const e = err as { message?: string; errors?: Array<{ message?: string; type?: string }> };
    const text = [e.message, ...(e.errors ?? []).map((x) => `${x.type} ${x.message}`)].join(" ");
    assert.match(text, pattern);
    return;
  }
  assert.unreachable('expected a rejection');
}

let broker: Broker;
let kafka: Kafka;
test.before(async () => {
  broker = await startBroker({ port: 0, partitions: 1 });
  kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'kafkajs-test', logLevel: logLevel.NOTHING });
});
test.after(async () => {
  await broker.stop();
});

async function readBatchHeaders(topic: string, partition: number) {
  const c = await rawClient(broker.port);
  try {
    const r = await c.request(1, 11, (w) =>
      FetchRequest.encode(w, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '' }, 11));
    const records = FetchResponse.decode(r, 11).responses[0].partitions[0].records!;
    const out = [];
    for (let at = 0; at < records.length; at += 12 + records.readInt32BE(at + 8)) out.push(readBatchHeader(records, at));
    return out;
  } finally {
    c.close();
  }
}

/** Reads a whole partition through raw Fetch requests (no consumer group needed). */
async function readAll(topic: string, partition: number): Promise<Array<{ offset: number; key: string | null; value: string | null }>> {
  const c = await rawClient(broker.port);
  const out: Array<{ offset: number; key: string | null; value: string | null }> = [];
  try {
    for (let offset = 0, i = 0; i < 1000; i++) {
      const r = await c.request(1, 11, (w) =>
        FetchRequest.encode(w, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
          topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '' }, 11));
      const p = FetchResponse.decode(r, 11).responses[0].partitions[0];
      if (p.errorCode) throw new Error(`fetch error ${p.errorCode}`);
      const recs = decodeRecords(p.records!).filter((x) => x.offset >= offset);
      if (!recs.length) break;
      for (const x of recs) out.push({ offset: x.offset, key: x.key?.toString() ?? null, value: x.value?.toString() ?? null });
      offset = recs[recs.length - 1].offset + 1;
    }
  } finally {
    c.close();
  }
  return out;
}

test('admin: createTopics (errors per topic), listTopics, fetchTopicMetadata, deleteTopics', async () => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    assert.is(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }] }), true);
    assert.is(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }] }), false, 'already exists');
    await rejects(() => admin.createTopics({ topics: [{ topic: 'bad/name' }] }), /INVALID_TOPIC/);
    await rejects(() => admin.createTopics({ topics: [{ topic: 'rf', replicationFactor: 3 }] }), /INVALID_REPLICATION_FACTOR/);
    await rejects(() => admin.createTopics({ topics: [{ topic: 'shredded', configEntries: [{ name: 'cleanup.policy', value: 'shred' }] }] }), /INVALID_CONFIG/);
    assert.is(await admin.createTopics({ validateOnly: true, waitForLeaders: false, topics: [{ topic: 'dry-run' }] }), true);
    assert.is(await admin.createTopics({ topics: [{ topic: 'scratch', configEntries: [{ name: 'retention.ms', value: '60000' }] }] }), true);
    const topics = await admin.listTopics();
    assert.ok(topics.includes('orders') && topics.includes('scratch'));
    assert.not.ok(topics.includes('dry-run'));
    const md = await admin.fetchTopicMetadata({ topics: ['orders'] });
    assert.is(md.topics[0].partitions.length, 3);
    assert.equal(md.topics[0].partitions[0].replicas, [0]);
    await admin.deleteTopics({ topics: ['scratch'] });
    assert.not.ok((await admin.listTopics()).includes('scratch'));
  } finally {
    await admin.disconnect();
  }
});

test('producer: keyed messages across partitions, gzip batches stored as received, offsets by time', async () => {
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true });
  await Promise.all([admin.connect(), producer.connect()]);
  try {
    await admin.createTopics({ topics: [{ topic: 'events', numPartitions: 2 }] });
    const before = Date.now();
    const messages = Array.from({ length: 200 }, (_, i) => ({ key: `k${i % 10}`, value: JSON.stringify({ i }), timestamp: String(before - 1000 + i) }));
    await producer.send({ topic: 'events', messages: messages.slice(0, 100) });
    await producer.send({ topic: 'events', messages: messages.slice(100), compression: CompressionTypes.GZIP });
    const offsets = await admin.fetchTopicOffsets('events');
    assert.is(offsets.reduce((n, o) => n + Number(o.high), 0), 200);
    assert.ok(offsets.every((o) => o.low === '0'));
    // Records from timestamp before-1000+150 on: exactly the last 50 sent (per partition, the first offset at or after).
    const byTime = await admin.fetchTopicOffsetsByTimestamp('events', before - 1000 + 150);
    let later = 0;
    for (const o of byTime) later += Number(offsets.find((x) => x.partition === o.partition)!.high) - Number(o.offset);
    assert.is(later, 50);
    // The gzip batches are stored as the producer sent them: compression attribute intact.
    const codecs = new Set<number>();
    for (const p of [0, 1]) for (const h of await readBatchHeaders('events', p)) codecs.add(h.attributes & 7);
    assert.equal([...codecs].sort(), [0, 1]);
  } finally {
    await Promise.all([admin.disconnect(), producer.disconnect()]);
  }
});

test('idempotent retries: the same batch sent twice is stored once and answered with the first offset', async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'dedupe' }] });
  await admin.disconnect();
  const c = await rawClient(broker.port);
  const send = async (batch: Buffer) => {
    const r = await c.request(0, 8, (w: Writer) => ProduceRequest.encode(w, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'dedupe', partitionData: [{ index: 0, records: batch }] }] }, 8));
    const p = ProduceResponse.decode(r, 8).responses[0].partitionResponses[0];
    return [p.errorCode, p.baseOffset];
  };
  const pid = 123456;
  const b0 = encodeRecordBatch([{ key: null, value: Buffer.from('a') }, { key: null, value: Buffer.from('b') }], { producerId: pid, producerEpoch: 0, baseSequence: 0 });
  const b1 = encodeRecordBatch([{ key: null, value: Buffer.from('c') }], { producerId: pid, producerEpoch: 0, baseSequence: 2 });
  assert.equal(await send(b0), [0, 0]);
  assert.equal(await send(Buffer.from(b0)), [0, 0], 'retry of the first batch');
  assert.equal(await send(b1), [0, 2]);
  assert.equal(await send(Buffer.from(b0)), [0, 0], 'an older retry still maps to its offset');
  const gap = encodeRecordBatch([{ key: null, value: Buffer.from('x') }], { producerId: pid, producerEpoch: 0, baseSequence: 9 });
  assert.equal((await send(gap))[0], 45);
  c.close();
  assert.equal((await readAll('dedupe', 0)).map((r) => r.value), ['a', 'b', 'c']);
});

test('a batch retried across a broker restart is recognised from the log tail and not stored twice', async () => {
  const fs = await import('fs');
  const os = await import('os');
  const path = await import('path');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-idem-'));
  const batch = (seq: number, value: string) => encodeRecordBatch([{ key: null, value: Buffer.from(value) }], { producerId: 777, producerEpoch: 0, baseSequence: seq });
  const send = async (port: number, b: Buffer) => {
    const c = await rawClient(port);
    try {
      await c.request(3, 8, (w: Writer) => w.int32(1).string('idem').boolean(true).boolean(false).boolean(false));
      const r = await c.request(0, 8, (w: Writer) => ProduceRequest.encode(w, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'idem', partitionData: [{ index: 0, records: b }] }] }, 8));
      const p = ProduceResponse.decode(r, 8).responses[0].partitionResponses[0];
      return [p.errorCode, p.baseOffset];
    } finally {
      c.close();
    }
  };
  const prev = broker;
  try {
    let b = await startBroker({ port: 0, dataDir: dir });
    assert.equal(await send(b.port, batch(0, 'a')), [0, 0]);
    assert.equal(await send(b.port, batch(1, 'b')), [0, 1]);
    await b.stop();
    b = await startBroker({ port: 0, dataDir: dir });
    broker = b;
    assert.equal(await send(b.port, batch(1, 'b')), [0, 1], 'the retry maps to the stored batch');
    assert.equal(await send(b.port, batch(2, 'c')), [0, 2]);
    assert.equal((await readAll('idem', 0)).map((r) => r.value), ['a', 'b', 'c']);
    await b.stop();
  } finally {
    broker = prev;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('restart on the same data dir keeps every acknowledged record', async () => {
  const fs = await import('fs');
  const os = await import('os');
  const path = await import('path');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-restart-'));
  try {
    let b = await startBroker({ port: 0, dataDir: dir, partitions: 3 });
    let k = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
    const producer = k.producer();
    await producer.connect();
    const sent = new Set<string>();
    for (let round = 0; round < 5; round++) {
      const messages = Array.from({ length: 100 }, (_, i) => ({ key: String(i % 7), value: `r${round}-${i}` }));
      await producer.send({ topic: 'durable', messages, acks: -1 });
      for (const m of messages) sent.add(m.value);
    }
    await producer.disconnect();
    await b.stop();
    b = await startBroker({ port: 0, dataDir: dir });
    const prev = broker;
    broker = b; // readAll talks to `broker`
    try {
      const seen = new Set<string>();
      for (let p = 0; p < 3; p++) for (const r of await readAll('durable', p)) seen.add(r.value!);
      assert.is(seen.size, sent.size);
      for (const v of sent) assert.ok(seen.has(v), `lost ${v}`);
      k = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
      const admin = k.admin();
      await admin.connect();
      const offs = await admin.fetchTopicOffsets('durable');
      assert.is(offs.reduce((n, o) => n + Number(o.high), 0), 500);
      await admin.disconnect();
    } finally {
      broker = prev;
      await b.stop();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
