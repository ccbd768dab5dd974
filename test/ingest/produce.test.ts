/**
 * The bridge's produce path: its own record batches (decoded back by the protocol codec, CRC
 * checked), the Java/kafkajs key partitioner, the in-place JSON check agreeing with JSON.parse,
 * and records sent through kafkajs's connection layer to the embedded broker landing in the
 * partitions kafkajs's producer would pick, with their timestamps and headers.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CompressionTypes, Partitioners } from 'kafkajs';
import { startBroker } from '../../sdk/broker';
import { createBridgeProducer } from '../../sdk/ingest/kafka-producer';
import { checkPayload, keyFor, payloadChecker, timestampFor, topicLevel } from '../../sdk/ingest/payload';
import { silentLogger } from '../../sdk/util/log';
import { connect } from './helpers';

/** The hand-encoded path, unless kafkajs's internals are switched off (test/kafka/public-api.test.ts runs this file so). */
const FAST_ENCODER = process.env.KAFKALAB_KAFKAJS_INTERNALS === 'off' ? 'kafkajs' : 'kafkalab';

test('the in-place check gives JSON.parse verdicts, reasons, keys and timestamps', () => {
  const rules = { json: true, required: ['ts', 'carId'], maxBytes: 1 << 20 };
  const check = payloadChecker(rules, 'carId', 'ts');
  const cases = [
    '{"carId":"a","ts":5}', '{"carId":"a","ts":5,}', '{"carId":"a"}', '[1]', '{"carId":null,"ts":1}',
    ' {"a":{"ts":1},"carId":"x","ts":"2024-01-01T00:00:00Z"} ', '{"carId":{"x":[1,2,{"y":"\\u0041"}]},"ts":1.5e3}',
    '{"carId":"\\"q\\"","ts":-1}', '{"carId":1,"ts":01}', '{"carId":1,"ts":1.}', '{"carId":1,"ts":tru}', '{"carId":1,"ts":true}',
    '{"a":1}{"b":2}', '{"\\u0074s":3,"carId":2}', '{"carId":1,"ts":3,"x":"a\nb"}', '"str"', '{}', '{"carId":[],"ts":{}}',
    '{"carId":1,"ts":2', 'nul', '{"carId":1 "ts":2}', '{"carId":1,"ts":2}  x', '{"ts":1,"carId":2,"ts":9}', '{"carId":"c","ts":-0.5e-3}',
    '{"carId":"c","ts":1e400}', '{"carId":"c","ts":12.9,"n":[[[]],{}]}', '{"carId":"c","ts":1,"s":"\\x"}', '\ufeff{"carId":1,"ts":1}', '',
  ];
  for (const c of cases) {
    const b = Buffer.from(c);
    const fast = check(b, 'cars/c1/sensors');
    const slow = checkPayload(b, 'cars/c1/sensors', rules);
    if (!slow.ok) {
      assert.equal(fast, { ok: false, reason: slow.reason }, c);
      continue;
    }
    assert.ok(fast.ok, c);
    if (!fast.ok) continue;
    assert.is(fast.key, keyFor('carId', 't', slow.value), c);
    assert.is(fast.timestamp === undefined ? undefined : String(fast.timestamp), timestampFor('ts', slow.value), c);
  }
  const byLevel = payloadChecker({ json: true, required: [], maxBytes: 100 }, 1, undefined);
  assert.equal(byLevel(Buffer.from('{"x":1}'), 'cars/car-0042/sensors'), { ok: true, key: 'car-0042', timestamp: undefined });
  assert.is((byLevel(Buffer.alloc(101, 0x20), 't') as { reason: string }).reason, 'payload of 101 bytes exceeds maxBytes 100');
});

test('topicLevel picks the level split() would, negative levels from the end', () => {
  const bySplit = (topic: string, n: number) => {
    const levels = topic.split('/');
    const level = levels[n < 0 ? levels.length + n : n];
    return level === undefined || level === '' ? null : level;
  };
  for (const t of ['cars/c1/sensors', 'a', '', '/x/', 'a//b', 'plant/1/2/3/4']) for (let n = -7; n < 7; n++) assert.is(topicLevel(t, n), bySplit(t, n), `${t} ${n}`);
});

test('records go through kafkajs connections to the partitions kafkajs would pick', async () => {
  const kb = await startBroker({ port: 0 });
  const kafka = await connect({ brokers: kb.bootstrap });
  try {
    await kafka.admin.createTopics({ topics: [{ topic: 'out', numPartitions: 3 }, { topic: 'out.dlq', numPartitions: 1 }], waitForLeaders: true });
    const producer = await createBridgeProducer(kafka.kafka, ['out', 'out.dlq'], { acks: -1, logger: silentLogger });
    assert.is(producer.encoder, FAST_ENCODER);
    const keys = Array.from({ length: 40 }, (_, i) => `car-${String(i).padStart(4, '0')}`);
    const records = keys.map((key, i) => ({ topic: 'out', key, value: Buffer.from(JSON.stringify({ i })), timestamp: 1_700_000_000_000 + i }));
    await producer.prepare([...records, { topic: 'out.dlq', key: null, value: Buffer.from('nope'), timestamp: undefined, headers: { 'dlq.reason': 'invalid JSON' } }]).attempt();
    await producer.disconnect();
    const partitioner = Partitioners.DefaultPartitioner();
    const meta = [0, 1, 2].map((partitionId) => ({ partitionId, leader: 0 }));
    const consumer = kafka.kafka.consumer({ groupId: 'produce-test' });
    await consumer.connect();
    await consumer.subscribe({ topics: ['out', 'out.dlq'], fromBeginning: true });
    const seen: { topic: string; partition: number; key: string | null; ts: string; value: string; headers: Record<string, string> }[] = [];
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) =>
        void seen.push({ topic, partition, key: message.key?.toString() ?? null, ts: message.timestamp, value: message.value!.toString(), headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])) }),
    });
    const end = Date.now() + 15_000;
    while (seen.length < 41 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    await consumer.disconnect();
    assert.is(seen.length, 41);
    for (const [i, key] of keys.entries()) {
      const got = seen.find((s) => s.key === key)!;
      assert.is(got.partition, partitioner({ topic: 'out', partitionMetadata: meta as never, message: { key, value: null } }), key);
      assert.is(got.ts, String(1_700_000_000_000 + i));
      assert.is(got.value, JSON.stringify({ i }));
    }
    const dead = seen.find((s) => s.topic === 'out.dlq')!;
    assert.equal([dead.value, dead.headers['dlq.reason']], ['nope', 'invalid JSON']);
    assert.ok(Math.abs(Number(dead.ts) - Date.now()) < 60_000);
  } finally {
    await kafka.close();
    await kb.stop();
  }
});

test('with compression the bridge produces through kafkajs, same records', async () => {
  const kb = await startBroker({ port: 0 });
  const kafka = await connect({ brokers: kb.bootstrap });
  try {
    await kafka.admin.createTopics({ topics: [{ topic: 'gz', numPartitions: 2 }], waitForLeaders: true });
    const producer = await createBridgeProducer(kafka.kafka, ['gz'], { acks: -1, compression: CompressionTypes.GZIP, logger: silentLogger });
    assert.is(producer.encoder, 'kafkajs');
    await producer.prepare([1, 2, 3].map((i) => ({ topic: 'gz', key: `k${i}`, value: Buffer.from(`{"i":${i}}`), timestamp: 1_700_000_000_000 + i, headers: { h: String(i) } }))).attempt();
    await producer.disconnect();
    const offsets = await kafka.admin.fetchTopicOffsets('gz');
    assert.is(offsets.reduce((n, o) => n + Number(o.high), 0), 3);
  } finally {
    await kafka.close();
    await kb.stop();
  }
});

test.run();
