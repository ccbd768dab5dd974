/**
 * The MQTT bridge encoding JSON payloads with a schema (format 'avro' | 'json-schema'): the schema
 * registered under `<to>-value`, records framed with its id and read() decoding them into the
 * payloads' columns; payloads that do not fit go to the DLQ with the reason, the original bytes
 * kept. Embedded aedes, embedded Kafka broker and Schema Registry, real TCP on ephemeral ports.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as mqtt from 'mqtt';
import { ingestMqtt } from '../../sdk/ingest/bridge';
import { startMqttBroker } from '../../sdk/ingest/mqtt-broker';
import { readReport, recordsOf } from '../../sdk/frame/dataframe';
import { connectedRig } from '../registry/helpers';
import { connect, readAll, waitFor } from './helpers';

const ctx = connectedRig(test);

const reading = { type: 'record', name: 'Sensor', namespace: 'fleet', fields: [{ name: 'carId', type: 'string' }, { name: 'speed', type: 'double' }, { name: 'gps', type: { type: 'record', name: 'Gps', fields: [{ name: 'lat', type: 'double' }] } }] };

test('avro: fitting payloads encoded and framed, the others dead-lettered with the field named', async () => {
  const mb = await startMqttBroker({ port: 0 });
  const bridge = await ingestMqtt({ mqtt: mb.url, from: 'fleet/+/sensors', to: 'sensors-avro', key: 1, kafka: ctx.kafka, format: 'avro', schema: reading });
  const pub = await mqtt.connectAsync(mb.url);
  try {
    const good = Array.from({ length: 20 }, (_, i) => ({ carId: `car-${i % 3}`, speed: i * 1.5, gps: { lat: 50 + i / 100 } }));
    for (const g of good.slice(0, 10)) await pub.publishAsync(`fleet/${g.carId}/sensors`, JSON.stringify(g), { qos: 1 });
    await pub.publishAsync('fleet/car-9/sensors', JSON.stringify({ carId: 'car-9', speed: 'fast', gps: { lat: 1 } }), { qos: 1 });
    await pub.publishAsync('fleet/car-9/sensors', JSON.stringify({ carId: 'car-9', speed: 1, gps: { lat: 1 }, extra: true }), { qos: 1 });
    await pub.publishAsync('fleet/car-9/sensors', 'not json', { qos: 1 });
    for (const g of good.slice(10)) await pub.publishAsync(`fleet/${g.carId}/sensors`, JSON.stringify(g), { qos: 1 });
    assert.ok(await waitFor(() => bridge.stats().produced >= 20 && bridge.stats().deadLettered >= 3, 20_000), JSON.stringify(bridge.stats()));
    const subject = await ctx.kafka.schemaRegistry!.version('sensors-avro-value');
    assert.is(subject.schemaType, 'AVRO');
    const df = await ctx.kafka.topic('sensors-avro').read({ from: 'earliest' });
    assert.is(readReport(df)!.failed, 0);
    assert.equal(readReport(df)!.schemas?.map((s) => s.id), [subject.id]);
    assert.equal(recordsOf(df).map((r) => [r._key, r.carId, r.speed, r['gps.lat']]), good.map((g) => [g.carId, g.carId, g.speed, g.gps.lat]));
    const dead = await readAll(ctx.kafka, 'sensors-avro.dlq', { headers: true, format: 'string' });
    const reasons = dead.map((d) => JSON.parse(d._headers as string)['dlq.reason']);
    assert.match(reasons[0], /^does not fit the schema of "sensors-avro-value": field "speed" is "fast", not a double$/);
    assert.match(reasons[1], /^does not fit the schema of "sensors-avro-value": field "extra" is not in the schema/);
    assert.match(reasons[2], /^invalid JSON/);
    assert.is(dead[0].value, JSON.stringify({ carId: 'car-9', speed: 'fast', gps: { lat: 1 } }), 'the original payload is kept');
  } finally {
    await pub.endAsync();
    await bridge.stop();
    await mb.stop();
  }
});

test('json-schema: a payload the schema refuses is dead-lettered; no registry is a clear error', async () => {
  const mb = await startMqttBroker({ port: 0 });
  const schema = { type: 'object', properties: { carId: { type: 'string' }, speed: { type: 'number', minimum: 0 } }, required: ['carId'] };
  const bridge = await ingestMqtt({ mqtt: mb.url, from: 'js/+', to: 'sensors-js', kafka: ctx.kafka, format: 'json-schema', schema });
  const pub = await mqtt.connectAsync(mb.url);
  try {
    await pub.publishAsync('js/a', JSON.stringify({ carId: 'a', speed: 3 }), { qos: 1 });
    await pub.publishAsync('js/b', JSON.stringify({ carId: 'b', speed: -1 }), { qos: 1 });
    assert.ok(await waitFor(() => bridge.stats().produced + bridge.stats().deadLettered >= 2, 20_000));
    const rows = recordsOf(await ctx.kafka.topic('sensors-js').read({ from: 'earliest' }));
    assert.equal(rows.map((r) => [r.carId, r.speed]), [['a', 3]]);
    const dead = await readAll(ctx.kafka, 'sensors-js.dlq', { headers: true, format: 'string' });
    assert.match(JSON.parse(dead[0]._headers as string)['dlq.reason'], /does not fit the schema of "sensors-js-value": field "speed" must be >= 0/);
  } finally {
    await pub.endAsync();
    await bridge.stop();
    await mb.stop();
  }
  const plain = await connect({ brokers: ctx.rig.broker.bootstrap });
  try {
    if (!plain.schemaRegistry) {
      const e = await ingestMqtt({ mqtt: 'mqtt://127.0.0.1:1', from: 'x', to: 'y', kafka: plain, format: 'avro', schema: reading }).then(() => undefined, (x: Error) => x);
      assert.match(String(e?.message), /needs a Schema Registry/);
    }
  } finally {
    await plain.close();
  }
});

test.run();
