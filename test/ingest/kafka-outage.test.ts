/**
 * 100 cars x 100 readings at QoS 1 through Mosquitto into the embedded Kafka broker, which is
 * stopped for 3 seconds in the middle and restarted on the same data dir and port: every
 * reading (carId + seq) must arrive at least once; duplicates are counted and reported.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startBroker, type Broker } from '../../sdk/broker';
import { ingestMqtt } from '../../sdk/ingest/bridge';
import { simulateCars } from '../../sdk/ingest/simulate';
import { connect, MOSQUITTO, MOSQUITTO_MISSING, mosquittoUp, readAll, sleep, uniquePrefix, waitFor } from './helpers';
import { skip } from '../helpers/skip';

const CARS = 100;
const READINGS = 100;

test('Kafka down for 3 s mid-stream: every message id arrives at least once', async () => {
  if (!(await mosquittoUp())) return skip(MOSQUITTO_MISSING);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-outage-'));
  let broker: Broker | undefined = await startBroker({ port: 0, dataDir });
  const port = broker.port;
  const prefix = uniquePrefix('outage');
  const kafka = await connect({ brokers: broker.bootstrap });
  // 8 connections x (500 in flight + Mosquitto's 1000 queued) hold the ~7,500 messages of the outage.
  const bridge = await ingestMqtt({ mqtt: MOSQUITTO, from: `${prefix}/+/sensors`, to: 'car-sensors', key: 1, timestamp: 'ts', kafka, sessionExpiry: 60, clientId: prefix, connections: 8 });
  try {
    // 100 cars at 25 readings/s each: 2,500 msg/s, 4 s of publishing; the outage covers most of it.
    const sim = simulateCars({ mqtt: MOSQUITTO, prefix, cars: CARS, readingsPerCar: READINGS, rate: 25, qos: 1, seed: 5 });
    assert.ok(await waitFor(() => bridge.stats().produced > 500, 10_000), 'messages flow before the outage');
    await broker.stop();
    broker = undefined;
    const producedBefore = bridge.stats().produced;
    await sleep(3000);
    const during = bridge.stats();
    assert.ok(during.received > producedBefore, 'the bridge keeps receiving while Kafka is down');
    assert.ok(during.inFlight > 0, 'and holds those messages unacknowledged');
    assert.not.ok(during.kafkaConnected);
    broker = await startBroker({ port, dataDir });

    const published = await sim;
    assert.is(published.published, CARS * READINGS);
    assert.is(published.acknowledged, CARS * READINGS, 'Mosquitto acknowledged every publication');
    assert.ok(await waitFor(() => bridge.stats().inFlight === 0 && bridge.stats().received >= CARS * READINGS, 30_000), `bridge drained: ${JSON.stringify(bridge.stats())}`);
    const stats = bridge.stats();
    assert.ok(stats.errors > 0, 'the outage was seen');
    assert.ok(stats.kafkaConnected);

    const reader = await connect({ brokers: broker.bootstrap });
    try {
      const rows = await readAll(reader, 'car-sensors');
      const ids = new Map<string, number>();
      for (const r of rows) {
        const id = `${r.carId}#${r.seq}`;
        ids.set(id, (ids.get(id) ?? 0) + 1);
        assert.is(r._key, r.carId, 'key = carId from topic level 1');
      }
      const missing: string[] = [];
      for (let c = 1; c <= CARS; c++) for (let s = 0; s < READINGS; s++) if (!ids.has(`car-${String(c).padStart(4, '0')}#${s}`)) missing.push(`${c}#${s}`);
      const duplicates = rows.length - ids.size;
      console.log(`outage test: ${rows.length} records in Kafka, ${ids.size} distinct ids, ${duplicates} duplicates, ${stats.redelivered} MQTT redeliveries, ${stats.errors} failed Kafka requests`);
      assert.is(missing.length, 0, `missing ids: ${missing.slice(0, 10).join(', ')}`);
      assert.is(ids.size, CARS * READINGS);
    } finally {
      await reader.close();
    }
  } finally {
    await bridge.stop({ timeoutMs: 5000 });
    await kafka.close();
    await broker?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
