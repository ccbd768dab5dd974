/** The kafkajs adapter's self-check and its switch, on the kafkajs this project pins. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker } from '../../sdk/broker';
import { INTERNALS_ENV, internalsStatus, openCluster } from '../../sdk/kafka/adapter';

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
