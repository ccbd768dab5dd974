/**
 * A 5-second Kafka outage while 100 cars keep publishing 10 readings/s each through Mosquitto
 * (5,000 messages: 4,000 held unacknowledged in 8 connections' windows, the rest queued by
 * Mosquitto, within its default 1,000 per connection), plus a
 * bridge restart on the same session after the outage: every reading arrives, and the bridge
 * reports the redeliveries that may have duplicated some.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startBroker, type Broker } from '../../sdk/broker';
import { ingestMqtt } from '../../sdk/ingest/bridge';
import { simulateCars } from '../../sdk/ingest/simulate';
import { connect, MOSQUITTO, MOSQUITTO_MISSING, mosquittoUp, readAll, sleep, uniquePrefix, waitFor } from '../ingest/helpers';
import { skip } from '../helpers/skip';

const CARS = 100;
const READINGS = 200;

test('5 s Kafka outage and a bridge restart during it: every reading arrives', async () => {
  if (!(await mosquittoUp())) return skip(MOSQUITTO_MISSING);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-long-outage-'));
  let broker: Broker | undefined = await startBroker({ port: 0, dataDir });
  const port = broker.port;
  const prefix = uniquePrefix('long-outage');
  const options = { mqtt: MOSQUITTO, from: `${prefix}/+/sensors`, to: 'car-sensors', key: 1, brokers: `127.0.0.1:${port}`, clientId: prefix, sessionExpiry: 120, connections: 8 };
  let bridge = await ingestMqtt(options);
  try {
    const sim = simulateCars({ mqtt: MOSQUITTO, prefix, cars: CARS, readingsPerCar: READINGS, rate: 10, seed: 9 });
    assert.ok(await waitFor(() => bridge.stats().produced > 1000, 15_000));
    await broker.stop();
    broker = undefined;
    await sleep(5000);
    // Every connection's window is full (8 x 500); Mosquitto queues the rest (up to 8 x 1000).
    assert.is(bridge.stats().inFlight, 8 * 500, 'windows full, nothing acknowledged');
    // The bridge gives up on what it holds and a new one takes over the session.
    await bridge.stop({ timeoutMs: 500 });
    broker = await startBroker({ port, dataDir });
    bridge = await ingestMqtt(options);
    const published = await sim;
    assert.is(published.acknowledged, CARS * READINGS);
    const kafka = await connect({ brokers: broker.bootstrap });
    try {
      let distinct = 0;
      let total = 0;
      const done = await waitFor(
        async () => {
          const rows = await readAll(kafka, 'car-sensors');
          total = rows.length;
          distinct = new Set(rows.map((r) => `${r.carId}#${r.seq}`)).size;
          return distinct === CARS * READINGS;
        },
        40_000,
        1000,
      );
      console.log(`outage + restart: ${total} records, ${distinct} distinct, ${total - distinct} duplicates, ${bridge.stats().redelivered} redelivered to the new bridge`);
      assert.ok(done, `${distinct} of ${CARS * READINGS} readings`);
      assert.ok(bridge.stats().redelivered >= 8 * 500, 'what the first bridge held came back from Mosquitto');
    } finally {
      await kafka.close();
    }
  } finally {
    await bridge.stop({ timeoutMs: 5000 });
    await broker?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
