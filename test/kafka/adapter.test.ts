/** The kafkajs adapter's self-check and its switch, on the kafkajs this project pins. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker } from '../../sdk/broker';
import { INTERNALS_ENV, internalsStatus, openCluster, quietIdleTimers } from '../../sdk/kafka/adapter';
import { produceToLeaders } from '../../sdk/kafka/raw-produce';
import { RecordBatchWriter } from '../../sdk/protocol/batch-encoding';

test('the pinned kafkajs passes the self-check; a cluster connects, finds leaders and the Produce version', async () => {
  const broker = await startBroker({ port: 0, partitions: 2 });
  const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  try {
    assert.equal(await internalsStatus(kafka), { usable: true });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'adapter', numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();
    const cluster = (await openCluster(kafka))!;
    await cluster.connect(['adapter']);
    assert.equal(cluster.partitions('adapter').sort(), [0, 1]);
    const leaders = await cluster.leaders('adapter', [0, 1]);
    assert.equal([...leaders.values()].flat().sort(), [0, 1]);
    const version = await cluster.produceVersion('adapter');
    assert.ok(version >= 3, `Produce v${version}`);
    const fetchRange = await cluster.apiVersions([...leaders.keys()][0], 1);
    assert.ok(fetchRange && fetchRange.max >= 4);
    await cluster.disconnect();
  } finally {
    await broker.stop();
  }
});

test('Produce bodies in pooled buffers, framed in place: buffers reused across requests of changing sizes, every record read back in order', async () => {
  const broker = await startBroker({ port: 0, partitions: 2 });
  const kafka = new Kafka({ clientId: 'a-client-id-of-some-length-ü', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  try {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'framed', numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();
    const cluster = (await openCluster(kafka))!;
    await cluster.connect(['framed']);
    const sent: string[][] = [[], []];
    for (let request = 0; request < 40; request++) {
      // sizes go up and down: small, up to ~600 KB, small again
      const records = [3, 50, 2000, 400, 1, 2500, 10][request % 7];
      const batches = new Map<number, Buffer>();
      for (const p of [0, 1]) {
        const w = new RecordBatchWriter(256);
        for (let i = 0; i < records; i++) {
          const value = `{"request":${request},"p":${p},"i":${i},"pad":"${'x'.repeat((request * 7 + i) % 200)}"}`;
          w.append(null, value, 1_700_000_000_000 + i);
          sent[p].push(value);
        }
        batches.set(p, Buffer.from(w.finish()));
      }
      await produceToLeaders(cluster, -1, 30_000, new Map([['framed', batches]]));
    }
    const { allocated, reused, inPlace } = cluster.produceBuffers();
    assert.ok(inPlace, 'kafkajs frames pooled bodies in place');
    assert.is(allocated + reused, 40);
    assert.ok(reused >= 30, `pooled buffers were reused ${reused} times of 40 (${allocated} allocated)`);
    await cluster.disconnect();
    const consumer = kafka.consumer({ groupId: 'framed-check' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'framed', fromBeginning: true });
    const got: string[][] = [[], []];
    const total = sent[0].length + sent[1].length;
    await new Promise<void>((resolve) => {
      let n = 0;
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          got[partition].push(message.value!.toString());
          if (++n === total) resolve();
        },
      });
    });
    await consumer.disconnect();
    assert.equal(got[0], sent[0]);
    assert.equal(got[1], sent[1]);
  } finally {
    await broker.stop();
  }
});

test("an idle kafkajs connection does not wake the process every millisecond (kafkajs's request-queue timer)", async () => {
  assert.is(quietIdleTimers(), true, 'the fix is installed on the pinned kafkajs');
  const broker = await startBroker({ port: 0, partitions: 1 });
  const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  const real = globalThis.setTimeout;
  let armed = 0;
  try {
    await producer.connect();
    await producer.send({ topic: 'idle', messages: [{ value: 'one' }] });
    // Count the timers kafkajs's request queue arms over 500 idle milliseconds.
    (globalThis as { setTimeout: unknown }).setTimeout = ((fn: () => void, ms?: number) => {
      if (new Error().stack?.includes('requestQueue')) armed++;
      return real(fn, ms);
    }) as typeof setTimeout;
    await new Promise((r) => real(r, 500));
    (globalThis as { setTimeout: unknown }).setTimeout = real;
    assert.ok(armed < 20, `${armed} request-queue timers in 500 idle ms (unpatched kafkajs 2.2.4: ~900)`);
    // And the connection still works.
    await producer.send({ topic: 'idle', messages: [{ value: 'two' }] });
  } finally {
    globalThis.setTimeout = real;
    await producer.disconnect();
    await broker.stop();
  }
});

test(`${INTERNALS_ENV}=off makes the adapter decline, with the reason`, async () => {
  const kafka = new Kafka({ brokers: ['127.0.0.1:1'], logLevel: logLevel.NOTHING });
  process.env[INTERNALS_ENV] = 'off';
  try {
    assert.equal(await internalsStatus(kafka), { usable: false, reason: `${INTERNALS_ENV}=off` });
    assert.is(await openCluster(kafka), undefined);
  } finally {
    delete process.env[INTERNALS_ENV];
  }
  assert.equal(await internalsStatus(kafka), { usable: true });
});

test('a kafkajs client without the cluster factory fails the self-check with a reason', async () => {
  // A stand-in client class (the check runs once per class): what a future kafkajs might look like.
  class OtherKafka {}
  const status = await internalsStatus(new OtherKafka() as never);
  assert.equal(status, { usable: false, reason: 'no cluster factory on the kafkajs client' });
  assert.is(await openCluster(new OtherKafka() as never), undefined);
});

test.run();
