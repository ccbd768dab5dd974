/**
 * Acknowledgement and reconnection: messages the bridge could not get into Kafka are never
 * acknowledged to MQTT, so a new bridge on the same session receives them again; and the
 * bridge reconnects by itself when the MQTT broker goes away and comes back.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as mqtt from 'mqtt';
import { startBroker, type Broker } from '../../sdk/broker';
import { ingestMqtt } from '../../sdk/ingest/bridge';
import { startMqttBroker, type MqttBroker } from '../../sdk/ingest/mqtt-broker';
import { connect, MOSQUITTO, MOSQUITTO_MISSING, mosquittoUp, readAll, sleep, uniquePrefix, waitFor } from './helpers';
import { skip } from '../helpers/skip';

test('QoS 1 messages stuck behind a Kafka outage are redelivered to the next bridge on the same session', async () => {
  if (!(await mosquittoUp())) return skip(MOSQUITTO_MISSING);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-redeliver-'));
  let kb: Broker | undefined = await startBroker({ port: 0, dataDir });
  const port = kb.port;
  const prefix = uniquePrefix('redeliver');
  const options = { mqtt: MOSQUITTO, from: `${prefix}/+/data`, to: 'readings', key: 1, brokers: `127.0.0.1:${port}`, clientId: prefix, sessionExpiry: 60 };
  const first = await ingestMqtt(options);
  const pub = await mqtt.connectAsync(MOSQUITTO);
  try {
    await kb.stop();
    kb = undefined;
    for (let i = 0; i < 200; i++) await pub.publishAsync(`${prefix}/dev-${i % 5}/data`, JSON.stringify({ i }), { qos: 1 });
    assert.ok(await waitFor(() => first.stats().received === 200, 5000), JSON.stringify(first.stats()));
    const gaveUp = await first.stop({ timeoutMs: 300 });
    assert.is(gaveUp.produced, 0);
    assert.is(gaveUp.inFlight, 200, 'nothing was acknowledged to MQTT');

    kb = await startBroker({ port, dataDir });
    const second = await ingestMqtt(options);
    try {
      assert.ok(await waitFor(() => second.stats().produced === 200, 15_000), JSON.stringify(second.stats()));
      assert.is(second.stats().redelivered, 200, 'Mosquitto redelivered them (DUP)');
      const kafka = await connect({ brokers: kb.bootstrap });
      try {
        const rows = await readAll(kafka, 'readings');
        assert.equal(rows.map((r) => r.i as number).sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i));
        assert.equal([...new Set(rows.map((r) => r._key))].sort(), ['dev-0', 'dev-1', 'dev-2', 'dev-3', 'dev-4']);
      } finally {
        await kafka.close();
      }
    } finally {
      await second.stop();
    }
  } finally {
    await pub.endAsync();
    await kb?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a backlog queued while the bridge was away is produced once, in order per key, in batchSize-bounded requests (at least n / batchSize of them)', async () => {
  if (!(await mosquittoUp())) return skip(MOSQUITTO_MISSING);
  const kb = await startBroker({ port: 0 });
  const prefix = uniquePrefix('backlog');
  // A backlog far larger than batchSize x maxBatchesInFlight arrives at once when the session resumes.
  const options = { mqtt: MOSQUITTO, from: `${prefix}/+/data`, to: 'backlog', key: 1, brokers: kb.bootstrap, clientId: prefix, sessionExpiry: 60, batchSize: 7, maxBatchesInFlight: 2, maxInFlight: 400 };
  await (await ingestMqtt(options)).stop(); // creates the session, then goes away
  const pub = await mqtt.connectAsync(MOSQUITTO);
  const n = 300;
  try {
    for (let i = 0; i < n; i++) await pub.publishAsync(`${prefix}/dev-${i % 3}/data`, JSON.stringify({ i }), { qos: 1 });
    const bridge = await ingestMqtt(options);
    try {
      assert.ok(await waitFor(() => bridge.stats().produced === n, 15_000), JSON.stringify(bridge.stats()));
      assert.ok(bridge.stats().batches >= Math.ceil(n / 7), `${bridge.stats().batches} requests for ${n} messages`);
      const kafka = await connect({ brokers: kb.bootstrap });
      try {
        const rows = await readAll(kafka, 'backlog');
        assert.is(rows.length, n, 'each once');
        for (const dev of ['dev-0', 'dev-1', 'dev-2']) {
          const seen = rows.filter((r) => r._key === dev).map((r) => r.i as number);
          assert.equal(seen, Array.from({ length: n / 3 }, (_, k) => k * 3 + Number(dev.slice(4))), `${dev} in publishing order`);
        }
      } finally {
        await kafka.close();
      }
    } finally {
      await bridge.stop();
    }
  } finally {
    await pub.endAsync();
    await kb.stop();
  }
});

test('the bridge reconnects when the MQTT broker restarts', async () => {
  const kb = await startBroker({ port: 0 });
  let mb: MqttBroker = await startMqttBroker({ port: 0 });
  const port = mb.port;
  const bridge = await ingestMqtt({ mqtt: mb.url, from: 'p/#', to: 'p', brokers: kb.bootstrap });
  try {
    const publish = async (n: number) => {
      const pub = await mqtt.connectAsync(mb.url);
      for (let i = 0; i < n; i++) await pub.publishAsync('p/x', JSON.stringify({ i }), { qos: 1 });
      await pub.endAsync();
    };
    await publish(10);
    assert.ok(await waitFor(() => bridge.stats().produced === 10, 5000));
    await mb.stop();
    assert.ok(await waitFor(() => !bridge.stats().mqttConnected, 5000), 'the bridge notices');
    await sleep(300);
    mb = await startMqttBroker({ port });
    assert.ok(await waitFor(() => bridge.stats().mqttConnected, 10_000), 'and reconnects');
    await publish(10);
    assert.ok(await waitFor(() => bridge.stats().produced === 20, 5000), JSON.stringify(bridge.stats()));
    assert.ok(bridge.stats().mqttReconnects >= 1);
  } finally {
    await bridge.stop();
    await mb.stop();
    await kb.stop();
  }
});

test.run();
