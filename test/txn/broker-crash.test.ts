// The transaction log survives kill -9 of the broker: committed transactions (records and the
// offsets committed with them) stay committed, an open one is aborted at restart and its
// producer fenced, and read_committed readers move past it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Kafka, logLevel } from 'kafkajs';
import { readValues, startChildBroker } from './child-broker';



test('kill -9 mid-transaction: committed survives, the open transaction aborts at restart', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-txn-crash-'));
  let b = await startChildBroker(dir);
  const port = b.port;
  try {
    const kafka = new Kafka({ brokers: [`localhost:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 200 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'out', numPartitions: 2 }, { topic: 'in', numPartitions: 1 }] });
    await admin.disconnect();
    const a = kafka.producer({ transactionalId: 'crash-a', idempotent: true, maxInFlightRequests: 1 });
    const o = kafka.producer({ transactionalId: 'crash-b', idempotent: true, maxInFlightRequests: 1 });
    await a.connect();
    await o.connect();
    const ta = await a.transaction();
    await ta.send({ topic: 'out', messages: Array.from({ length: 10 }, (_, i) => ({ key: `a${i}`, value: `committed-${i}` })) });
    await ta.sendOffsets({ consumerGroupId: 'g', topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '10' }] }] });
    await ta.commit();
    const tb = await o.transaction();
    await tb.send({ topic: 'out', messages: Array.from({ length: 7 }, (_, i) => ({ key: `b${i}`, value: `open-${i}` })) });
    await tb.sendOffsets({ consumerGroupId: 'g', topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '99' }] }] });

    await b.kill9();
    b = await startChildBroker(dir, { port });

    const admin2 = kafka.admin();
    await admin2.connect();
    const off = (await admin2.fetchOffsets({ groupId: 'g', topics: ['in'] }))[0].partitions[0].offset;
    assert.is(off, '10', 'the committed transaction\'s offset survives; the open one\'s is dropped');
    await admin2.disconnect();

    let fenced = false;
    await tb.commit().catch(() => (fenced = true));
    assert.ok(fenced, 'the producer of the aborted transaction cannot commit it');

    const c = kafka.producer({ transactionalId: 'crash-c', idempotent: true, maxInFlightRequests: 1 });
    await c.connect();
    const tc = await c.transaction();
    await tc.send({ topic: 'out', messages: [{ key: 'c', value: 'after-restart' }] });
    await tc.commit();

    const committed = (await readValues(kafka, 'out', false, 11, { quietMs: 2500, settleMs: 300 })).sort();
    assert.equal(committed, [...Array.from({ length: 10 }, (_, i) => `committed-${i}`), 'after-restart'].sort());
    const all = (await readValues(kafka, 'out', true, 18, { quietMs: 2500, settleMs: 300 })).sort();
    assert.is(all.length, 18, 'the aborted records are in the log, skipped by read_committed');
    for (const p of [a, o, c]) await p.disconnect().catch(() => {});
  } finally {
    await b.kill9();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
