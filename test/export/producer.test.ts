/**
 * The exported app's result publishing: record batches encoded by the app (batch-encoding.ts) and
 * sent through kafkajs's connection layer must read back, through an unrelated consumer, exactly
 * as kafkajs's own producer would have written them: same bytes, timestamps and partitions.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { startBroker, type Broker } from '../../sdk/broker';
import { keyPartition } from '../../sdk/protocol/batch-encoding';
import { createResultProducer } from '../../sdk/export/templates/app/src/producer';
import { topFeatures, topFeaturesInto } from '../../sdk/runtime';

/** The hand-encoded path, unless kafkajs's internals are switched off (test/kafka/public-api.test.ts runs this file so). */
const FAST_ENCODER = process.env.KAFKALAB_KAFKAJS_INTERNALS === 'off' ? 'kafkajs' : 'kafkalab';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
let broker: Broker;
let kafka: Kafka;

test.before(async () => {
  broker = await startBroker({ port: 0, partitions: 4 });
  kafka = new Kafka({ clientId: 'producer-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
});
test.after(async () => {
  await broker.stop();
});

interface Sent {
  key: Buffer | null;
  value: string;
  timestamp: number;
}

function records(n: number): Sent[] {
  const out: Sent[] = [];
  const t0 = 1_700_000_000_000;
  for (let i = 0; i < n; i++) {
    const key = i % 97 === 5 ? null : Buffer.from(i % 13 === 0 ? `wagen-ü-${i % 50}` : `car-${String(i % 200).padStart(4, '0')}`);
    let value = `{"i":${i},"score":${Math.sqrt(i) / 7}}`;
    if (i % 101 === 0) value = `{"i":${i},"text":"é € 😀 ${'x'.repeat(i % 300)}"}`;
    if (i === 1234) value = `{"i":${i},"long":"${'y'.repeat(20_000)}"}`; // 3-byte length varints
    if (i === 77) value = `{"i":${i},"s":"${'ß'.repeat(70)}"}`; // ASCII length guess 1 byte short
    // Out of order timestamps: negative deltas from the batch's first one.
    out.push({ key, value, timestamp: t0 + ((i * 7919) % 5000) - 2500 });
  }
  return out;
}

async function readAll(topic: string, expected: number) {
  const consumer = kafka.consumer({ groupId: `check-${topic}`, maxWaitTimeInMs: 100 });
  const got: (Sent & { partition: number })[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      got.push({ key: message.key, value: message.value!.toString('utf8'), timestamp: Number(message.timestamp), partition });
      if (got.length >= expected) done();
    },
  });
  const timer = setTimeout(done, 15_000);
  await finished;
  clearTimeout(timer);
  await consumer.disconnect();
  return got;
}

test('record batches written by the app read back byte for byte, in kafkajs DefaultPartitioner partitions', async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'results', numPartitions: 4 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const out = await createResultProducer(kafka, producer, 'results', 'kafkalab', silent);
  assert.is(out.encoder, FAST_ENCODER);
  const sent = records(3000);
  // Two batches, as two consumed input batches would make.
  for (const part of [sent.slice(0, 1800), sent.slice(1800)]) {
    const batch = out.batch('results', part.length);
    for (const r of part) batch.add(r.key, r.value, r.timestamp);
    assert.is(batch.count, part.length);
    await batch.send();
  }
  const got = await readAll('results', sent.length);
  assert.is(got.length, sent.length);
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = [0, 1, 2, 3].map((p) => ({ partitionId: p, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
  const byValue = new Map(got.map((g) => [g.value, g]));
  for (const s of sent) {
    const g = byValue.get(s.value);
    assert.ok(g, `record ${s.value.slice(0, 20)} read back`);
    assert.is(g!.timestamp, s.timestamp);
    assert.equal(g!.key, s.key);
    if (s.key !== null) assert.is(g!.partition, partitioner({ topic: 'results', partitionMetadata, message: { key: s.key, value: s.value } }), 'same partition as kafkajs would choose');
  }
  // Per partition, records keep the order they were added in.
  for (let p = 0; p < 4; p++) {
    const order = got.filter((g) => g.partition === p).map((g) => Number(/"i":(\d+)/.exec(g.value)![1]));
    assert.equal(order, [...order].sort((a, b) => a - b));
  }
  await out.disconnect();
  await producer.disconnect();
});

test('PRODUCE_ENCODER=kafkajs sends the same records through producer.send', async () => {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const out = await createResultProducer(kafka, producer, 'results-kafkajs', 'kafkajs', silent);
  assert.is(out.encoder, 'kafkajs');
  const sent = records(600).filter((r) => r.key !== null);
  const batch = out.batch('results-kafkajs', sent.length);
  for (const r of sent) batch.add(r.key, r.value, r.timestamp);
  await batch.send();
  const got = await readAll('results-kafkajs', sent.length);
  assert.is(got.length, sent.length);
  const byValue = new Map(got.map((g) => [g.value, g]));
  for (const s of sent) assert.is(byValue.get(s.value)!.partition, keyPartition(s.key!, 4));
  await producer.disconnect();
});

test('topFeaturesInto picks the features pipeline.topFeatures picks, ties included', () => {
  const width = 16;
  const rows = 300;
  const errors = new Float32Array(rows * width);
  let seed = 1;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  for (let i = 0; i < errors.length; i++) errors[i] = i % 7 === 0 ? 0.5 : Math.round(rnd() * 20) / 10; // many ties
  errors[5 * width + 3] = Infinity;
  errors[5 * width + 9] = Infinity;
  for (const n of [1, 3, 5, 16, 20]) {
    const out = new Int32Array(Math.min(n, width));
    for (let r = 0; r < rows; r++) {
      const got = topFeaturesInto(errors, width, r, out);
      assert.equal([...out.subarray(0, got)], topFeatures(errors, width, r, n), `row ${r}, n ${n}`);
    }
  }
});

test.run();
