/**
 * Malformed payloads go to the dead-letter topic with their reason and original MQTT topic in
 * headers, while valid messages before and after them keep flowing. Embedded aedes + embedded
 * Kafka broker, real TCP on ephemeral ports.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as mqtt from 'mqtt';
import { startBroker } from '../../sdk/broker';
import { ingestMqtt, type IngestBridge, type IngestOptions } from '../../sdk/ingest/bridge';
import type { KafkaConnection } from '../../sdk/kafka/connect';
import { startMqttBroker } from '../../sdk/ingest/mqtt-broker';
import { carReadings } from '../../sdk/ingest/simulator';
import { connect, readAll, waitFor } from './helpers';

/** An embedded Kafka broker, an embedded MQTT broker, a bridge between them and an MQTT publisher for `body`; all stopped after it. */
async function withBridge(options: (at: { mqtt: string; brokers: string; kafka: KafkaConnection }) => IngestOptions, body: (rig: { kafka: KafkaConnection; bridge: IngestBridge; pub: mqtt.MqttClient }) => Promise<void>): Promise<void> {
  const kb = await startBroker({ port: 0 });
  const mb = await startMqttBroker({ port: 0 });
  const kafka = await connect({ brokers: kb.bootstrap });
  const bridge = await ingestMqtt(options({ mqtt: mb.url, brokers: kb.bootstrap, kafka }));
  const pub = await mqtt.connectAsync(mb.url);
  try {
    await body({ kafka, bridge, pub });
  } finally {
    await pub.endAsync();
    await bridge.stop();
    await kafka.close();
    await mb.stop();
    await kb.stop();
  }
}

test('invalid payloads land in <to>.dlq with reasons; the bridge keeps going', () =>
  withBridge(
    ({ mqtt: url, kafka }) => ({
      mqtt: url,
      from: ['fleet/+/sensors', 'fleet/+/status'],
      to: 'telemetry',
      key: 1,
      kafka,
      required: ['carId', 'seq', 'ts'],
      maxBytes: 4096,
      validate: (v) => (typeof v.speed === 'number' && v.speed < 0 ? `negative speed ${v.speed}` : undefined),
    }),
    async ({ kafka, bridge, pub }) => {
      const readings = carReadings({ cars: 2, readingsPerCar: 20, seed: 3 });
      const bad: { topic: string; payload: string | Buffer; reason: RegExp }[] = [
        { topic: 'fleet/car-0001/sensors', payload: 'not json', reason: /^invalid JSON: / },
        { topic: 'fleet/car-0002/sensors', payload: '[1,2,3]', reason: /^expected a JSON object, got an array$/ },
        { topic: 'fleet/car-0001/status', payload: '{"carId":"car-0001"}', reason: /^missing required fields seq, ts$/ },
        { topic: 'fleet/car-0002/sensors', payload: '', reason: /^empty payload$/ },
        { topic: 'fleet/car-0001/sensors', payload: JSON.stringify({ carId: 'car-0001', seq: 99, ts: 1, pad: 'x'.repeat(5000) }), reason: /exceeds maxBytes 4096/ },
        { topic: 'fleet/car-0002/sensors', payload: JSON.stringify({ carId: 'car-0002', seq: 98, ts: 1, speed: -5 }), reason: /^negative speed -5$/ },
        { topic: 'fleet/car-0001/sensors', payload: Buffer.from([0xff, 0xfe, 0x00]), reason: /^invalid JSON/ },
      ];
      // Valid, then every kind of bad one, then valid again: the bridge must not stall or stop.
      for (const r of readings.slice(0, 20)) await pub.publishAsync(`fleet/${r.carId}/sensors`, JSON.stringify(r), { qos: 1 });
      for (const b of bad) await pub.publishAsync(b.topic, b.payload, { qos: 1 });
      for (const r of readings.slice(20)) await pub.publishAsync(`fleet/${r.carId}/sensors`, JSON.stringify(r), { qos: 1 });

      assert.ok(await waitFor(() => bridge.stats().produced + bridge.stats().deadLettered === 47, 10_000), JSON.stringify(bridge.stats()));
      const s = bridge.stats();
      assert.is(s.received, 47);
      assert.is(s.produced, 40);
      assert.is(s.deadLettered, 7);
      assert.is(s.inFlight, 0);

      const good = await readAll(kafka, 'telemetry');
      assert.is(good.length, 40);
      assert.equal(good.map((r) => `${r.carId}#${r.seq}`).sort(), readings.map((r) => `${r.carId}#${r.seq}`).sort());

      const dead = await readAll(kafka, 'telemetry.dlq', { format: 'string', headers: true });
      assert.is(dead.length, bad.length);
      for (let i = 0; i < bad.length; i++) {
        const headers = JSON.parse(dead[i]._headers as string);
        assert.match(headers['dlq.reason'], bad[i].reason);
        assert.is(headers['mqtt.topic'], bad[i].topic);
        assert.is(headers['mqtt.qos'], '1');
        assert.is(dead[i]._key, bad[i].topic.split('/')[1], 'key still taken from the topic');
        const expected = Buffer.isBuffer(bad[i].payload) ? bad[i].payload.toString('utf8') : bad[i].payload;
        assert.is(dead[i].value ?? '', expected, 'original payload kept byte for byte');
      }
    },
  ));

test('dlq: false drops invalid payloads but counts them; key from a JSON field', () =>
  withBridge(
    ({ mqtt: url, brokers }) => ({ mqtt: url, from: 'x/#', to: 'events', key: 'device', dlq: false, brokers, topicHeader: true }),
    async ({ kafka, bridge, pub }) => {
      await pub.publishAsync('x/a/b/c', JSON.stringify({ device: 'd1', v: 1 }), { qos: 1 });
      await pub.publishAsync('x/a', '{oops', { qos: 1 });
      await pub.publishAsync('x', JSON.stringify({ device: 'd2', v: 2 }), { qos: 0 });
      assert.ok(await waitFor(() => bridge.stats().produced === 2 && bridge.stats().deadLettered === 1, 10_000), JSON.stringify(bridge.stats()));
      const rows = await readAll(kafka, 'events', { headers: true });
      assert.equal(rows.map((r) => r._key), ['d1', 'd2']);
      assert.equal(rows.map((r) => JSON.parse(r._headers as string)['mqtt.topic']), ['x/a/b/c', 'x']);
      assert.not.ok((await kafka.admin.listTopics()).includes('events.dlq'));
    },
  ));

test('bad options and unreachable MQTT fail with what to do', async () => {
  const kb = await startBroker({ port: 0 });
  try {
    const err = async (p: Promise<unknown>) => p.then(() => undefined, (e: Error) => e);
    assert.match(String(await err(ingestMqtt({ mqtt: 'mqtt://127.0.0.1:1', from: 'a/#', to: 't', brokers: kb.bootstrap }))), /Cannot reach the MQTT broker at mqtt:\/\/127.0.0.1:1 \(ECONNREFUSED\); start one/);
    assert.match(String(await err(ingestMqtt({ mqtt: 'mqtt://127.0.0.1:1', from: 'a/#/b', to: 't', brokers: kb.bootstrap }))), /Invalid MQTT topic filter "a\/#\/b"/);
    assert.match(String(await err(ingestMqtt({ mqtt: 'ws://127.0.0.1:1', from: 'a', to: 't', brokers: kb.bootstrap }))), /Unsupported MQTT URL scheme/);
    assert.match(String(await err(ingestMqtt({ mqtt: 'mqtt://127.0.0.1:1', from: 'a', to: '', brokers: kb.bootstrap }))), /needs a Kafka topic/);
  } finally {
    await kb.stop();
  }
});

test.run();
