/**
 * simulateCars over MQTT (embedded aedes) in real time and into Kafka (embedded broker).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as mqtt from 'mqtt';
import { startBroker } from '../../sdk/broker';
import { startMqttBroker } from '../../sdk/ingest/mqtt-broker';
import { simulateCars } from '../../sdk/ingest/simulate';
import { carReadings, type CarReading } from '../../sdk/ingest/simulator';
import { connect, readAll, waitFor } from './helpers';

test('MQTT: cars publish to <prefix>/<carId>/sensors at the requested rate, the same readings as the generator', async () => {
  const mb = await startMqttBroker({ port: 0 });
  const sub = await mqtt.connectAsync(mb.url);
  const got: { topic: string; r: CarReading; at: number }[] = [];
  sub.on('message', (topic, payload) => got.push({ topic, r: JSON.parse(payload.toString()), at: Date.now() }));
  await sub.subscribeAsync('fleet/+/sensors', { qos: 1 });
  try {
    const t0 = Date.now();
    // 10 cars x 20 readings at 20 readings/s per car: about one second of real time.
    const result = await simulateCars({ mqtt: mb.url, prefix: 'fleet', cars: 10, readingsPerCar: 20, rate: 20, seed: 11, qos: 1 });
    const elapsed = Date.now() - t0;
    assert.is(result.published, 200);
    assert.is(result.acknowledged, 200);
    assert.ok(elapsed >= 900 && elapsed < 5000, `paced in real time: ${elapsed} ms`);
    assert.ok(await waitFor(() => got.length === 200, 3000));
    for (const g of got) assert.is(g.topic, `fleet/${g.r.carId}/sensors`);
    // Same data as the offline generator apart from timestamps, which start now.
    const offline = carReadings({ cars: 10, readingsPerCar: 20, seed: 11, intervalMs: 50 });
    const strip = (r: CarReading) => ({ ...r, ts: 0 });
    const key = (r: CarReading) => `${r.carId}#${r.seq}`;
    const byId = new Map(got.map((g) => [key(g.r), strip(g.r)]));
    for (const r of offline) assert.equal(byId.get(key(r)), strip(r));
    assert.ok(Math.abs(got[0].r.ts - t0) < 1000, 'timestamps are wall-clock');
  } finally {
    await sub.endAsync();
    await mb.stop();
  }
});

test('Kafka: --count bounds the run; key = carId, record timestamp = ts; stop() ends an endless run', async () => {
  const kb = await startBroker({ port: 0 });
  const kafka = await connect({ brokers: kb.bootstrap });
  try {
    const result = await simulateCars({ kafka, topic: 'cars', cars: 25, rate: Infinity, count: 1000, seed: 2 });
    assert.is(result.published, 1000);
    assert.is(result.acknowledged, 1000);
    const rows = await readAll(kafka, 'cars');
    assert.is(rows.length, 1000);
    for (const r of rows) {
      assert.is(r._key, r.carId);
      assert.is(new Date(r._timestamp as string | number).getTime(), r.ts);
    }
    const endless = simulateCars({ kafka, topic: 'cars2', cars: 5, rate: 50 });
    assert.ok(await waitFor(() => endless.stats().acknowledged >= 50, 5000));
    const stopped = await endless.stop();
    assert.ok(stopped.published >= 50 && stopped.failed === 0);
  } finally {
    await kafka.close();
    await kb.stop();
  }
});

test('no destination, or an unreachable broker, fails with what to do', async () => {
  assert.throws(() => simulateCars({ cars: 1 }), /needs a destination/);
  await simulateCars({ mqtt: 'mqtt://127.0.0.1:1', cars: 1, count: 1 }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /Cannot reach the MQTT broker at mqtt:\/\/127.0.0.1:1/),
  );
});

test.run();
