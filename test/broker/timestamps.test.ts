// Timestamps over the wire: a batch whose header claims MaxTimestamp -1 (sarama 1.22) is still
// found by time; a LogAppendTime topic (created through kafkajs) answers Produce with the
// broker's time and consumers (kafkajs, kcat) see that time on every record.
import { spawn } from 'child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type Broker } from '../../sdk/broker';
import { crc32c } from '../../sdk/protocol/crc32c';
import { ProduceRequest, ProduceResponse } from '../../sdk/protocol/messages/produce';
import { encodeRecordBatch } from '../../sdk/protocol/record-batch';
import { rawClient } from './wire';

let broker: Broker;
let kafka: Kafka;
test.before(async () => {
  broker = await startBroker({ port: 0 });
  kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'ts-test', logLevel: logLevel.NOTHING });
});
test.after(async () => {
  await broker.stop();
});

const T0 = 1_700_000_000_000;

test('a batch claiming MaxTimestamp -1 is found by time (kafkajs fetchTopicOffsetsByTimestamp)', async () => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: 'claims', numPartitions: 1 }] });
    const batch = encodeRecordBatch([0, 30, 10, 20].map((d, i) => ({ key: null, value: Buffer.from(`v${i}`), timestamp: T0 + d })));
    batch.writeBigInt64BE(-1n, 35);
    batch.writeUInt32BE(crc32c(batch, 21), 17);
    const c = await rawClient(broker.port);
    const r = await c.request(0, 7, (w) =>
      ProduceRequest.encode(w, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'claims', partitionData: [{ index: 0, records: batch }] }] }, 7));
    assert.is(ProduceResponse.decode(r, 7).responses[0].partitionResponses[0].errorCode, 0);
    c.close();
    const [at25] = await admin.fetchTopicOffsetsByTimestamp('claims', T0 + 25);
    assert.is(at25.offset, '1', 'the record at T0+30 is offset 1');
    const [at5] = await admin.fetchTopicOffsetsByTimestamp('claims', T0 + 5);
    assert.is(at5.offset, '1');
    const [late] = await admin.fetchTopicOffsetsByTimestamp('claims', T0 + 31);
    assert.is(late.offset, '4', 'none later: the log end');
  } finally {
    await admin.disconnect();
  }
});

test('LogAppendTime topic: Produce answers the broker time; kafkajs and kcat read it on every record', async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'stamped', numPartitions: 1, configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const before = Date.now();
  const [meta] = await producer.send({ topic: 'stamped', messages: [{ value: 'a', timestamp: '1000' }, { value: 'b', timestamp: '2000' }] });
  const after = Date.now();
  await producer.disconnect();
  const stamp = Number(meta.logAppendTime);
  assert.ok(stamp >= before && stamp <= after, `logAppendTime ${meta.logAppendTime} in [${before}, ${after}]`);

  const consumer = kafka.consumer({ groupId: 'ts-readers' });
  await consumer.connect();
  await consumer.subscribe({ topic: 'stamped', fromBeginning: true });
  const seen: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('kafkajs did not read 2 records in 15 s')), 15_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message.timestamp);
        if (seen.length === 2) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  assert.equal(seen, [String(stamp), String(stamp)]);

  const out = await new Promise<string | null>((resolve) => {
    const child = spawn('kcat', ['-b', `127.0.0.1:${broker.port}`, '-C', '-t', 'stamped', '-e', '-q', '-f', '%T\n']);
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.on('error', () => resolve(null));
    child.on('close', () => resolve(text));
  });
  if (out === null) console.log('  skip: kcat not installed');
  else assert.equal(out.trim().split('\n'), [String(stamp), String(stamp)]);
});

test.run();
