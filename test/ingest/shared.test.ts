/**
 * Scaling out: two bridges in one MQTT shared-subscription group split the messages between
 * them (Mosquitto), and together deliver each message once.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as mqtt from 'mqtt';
import { startBroker } from '../../sdk/broker';
import { ingestMqtt } from '../../sdk/ingest/bridge';
import { connect, MOSQUITTO, MOSQUITTO_MISSING, mosquittoUp, readAll, uniquePrefix, waitFor } from './helpers';
import { skip } from '../helpers/skip';

test('shareGroup: two bridges split one stream, nothing lost or doubled', async () => {
  if (!(await mosquittoUp())) return skip(MOSQUITTO_MISSING);
  const kb = await startBroker({ port: 0 });
  const prefix = uniquePrefix('shared');
  const common = { mqtt: MOSQUITTO, from: `${prefix}/+/sensors`, to: 'shared', key: 1, brokers: kb.bootstrap, shareGroup: prefix, sessionExpiry: 0 };
  const a = await ingestMqtt({ ...common, clientId: `${prefix}-a` });
  const b = await ingestMqtt({ ...common, clientId: `${prefix}-b` });
  const pub = await mqtt.connectAsync(MOSQUITTO);
  try {
    await Promise.all(Array.from({ length: 1000 }, (_, i) => pub.publishAsync(`${prefix}/car-${i % 10}/sensors`, JSON.stringify({ i }), { qos: 1 })));
    assert.ok(await waitFor(() => a.stats().produced + b.stats().produced === 1000, 10_000), `${JSON.stringify(a.stats())} ${JSON.stringify(b.stats())}`);
    assert.ok(a.stats().produced > 100 && b.stats().produced > 100, `both work: ${a.stats().produced} / ${b.stats().produced}`);
    const kafka = await connect({ brokers: kb.bootstrap });
    try {
      const rows = await readAll(kafka, 'shared');
      assert.is(new Set(rows.map((r) => r.i)).size, 1000);
      assert.is(rows.length, 1000);
    } finally {
      await kafka.close();
    }
  } finally {
    await pub.endAsync();
    await a.stop();
    await b.stop();
    await kb.stop();
  }
});

test('connections: one bridge reads through 3 connections of a shared subscription', async () => {
  if (!(await mosquittoUp())) return skip(MOSQUITTO_MISSING);
  const kb = await startBroker({ port: 0 });
  const prefix = uniquePrefix('conns');
  const bridge = await ingestMqtt({ mqtt: MOSQUITTO, from: `${prefix}/+/sensors`, to: 'multi', key: 1, brokers: kb.bootstrap, connections: 3, sessionExpiry: 0, clientId: prefix });
  const pub = await mqtt.connectAsync(MOSQUITTO);
  try {
    await Promise.all(Array.from({ length: 600 }, (_, i) => pub.publishAsync(`${prefix}/car-${i % 6}/sensors`, JSON.stringify({ i }), { qos: 1 })));
    assert.ok(await waitFor(() => bridge.stats().produced === 600, 10_000), JSON.stringify(bridge.stats()));
    assert.ok(bridge.stats().mqttConnected);
    const kafka = await connect({ brokers: kb.bootstrap });
    try {
      const rows = await readAll(kafka, 'multi');
      assert.is(new Set(rows.map((r) => r.i)).size, 600);
      assert.is(rows.length, 600);
    } finally {
      await kafka.close();
    }
  } finally {
    await pub.endAsync();
    await bridge.stop();
    await kb.stop();
  }
});

test.run();
