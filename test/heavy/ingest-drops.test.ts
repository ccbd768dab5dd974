/**
 * The case on the shared Mosquitto (127.0.0.1:1883, default max_queued_messages 1000,
 * $SYS every 10 s): 50 cars publish 10,000 QoS 1 readings (all PUBACKed by Mosquitto) while
 * Kafka goes away for 3 s behind a bridge with one connection. Mosquitto drops what does not
 * fit; the bridge must say so: stats().brokerDropped (broker-wide, so at least what was lost
 * here), the per-car sequence gaps (what Kafka lacks, as far as later readings reveal it: a
 * car's last readings, if dropped, leave no gap behind), a warning in its log.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startBroker, type Broker } from '../../sdk/broker';
import { ingestMqtt } from '../../sdk/ingest/bridge';
import { simulateCars } from '../../sdk/ingest/simulate';
import type { Logger } from '../../sdk/util/log';
import { skip } from '../helpers/skip';
import { connect, MOSQUITTO, mosquittoUp, readAll, sleep, uniquePrefix, waitFor } from '../ingest/helpers';

const CARS = 50;
const READINGS = 200; // 10 s at 20 readings/s per car: the outage falls in the middle

function warnings(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const make = (): Logger => ({ debug: () => undefined, info: () => undefined, warn: (m) => void lines.push(m), error: (m) => void lines.push(m), child: () => make() });
  return { logger: make(), lines };
}

test('a Kafka outage behind default Mosquitto: the drops are reported, not dropped: 0', async () => {
  if (!(await mosquittoUp())) return skip('Mosquitto is not listening on 127.0.0.1:1883 (mosquitto -d -c /etc/mosquitto/mosquitto.conf)');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-drops-1883-'));
  let broker: Broker | undefined = await startBroker({ port: 0, dataDir });
  const port = broker.port;
  const prefix = uniquePrefix('drops1883');
  const log = warnings();
  const bridge = await ingestMqtt({ mqtt: MOSQUITTO, from: `${prefix}/+/sensors`, to: 'car-sensors', key: 1, sequence: 'seq', brokers: `127.0.0.1:${port}`, clientId: prefix, logger: log.logger });
  try {
    const sim = simulateCars({ mqtt: MOSQUITTO, prefix, cars: CARS, readingsPerCar: READINGS, rate: 20, seed: 4 });
    assert.ok(await waitFor(() => bridge.stats().produced > 1000, 15_000), 'flowing before the outage');
    await broker.stop();
    broker = undefined;
    await sleep(3000);
    broker = await startBroker({ port, dataDir });
    const published = await sim;
    assert.is(published.acknowledged, CARS * READINGS, 'Mosquitto acknowledged every reading');
    assert.ok(await waitFor(() => bridge.stats().inFlight === 0 && bridge.stats().received === bridge.stats().produced, 30_000), 'drained');
    const kafka = await connect({ brokers: broker.bootstrap });
    let distinct: number;
    try {
      distinct = new Set((await readAll(kafka, 'car-sensors')).map((r) => `${r.carId}#${r.seq}`)).size;
    } finally {
      await kafka.close();
    }
    const lost = CARS * READINGS - distinct;
    // Mosquitto publishes its counter every sys_interval (10 s by default).
    await waitFor(() => (bridge.stats().brokerDropped ?? 0) >= lost, 25_000, 500);
    const s = bridge.stats();
    console.log(`Mosquitto acknowledged ${CARS * READINGS}, Kafka has ${distinct} distinct: ${lost} lost in Mosquitto; bridge stats: brokerDropped ${s.brokerDropped} (broker-wide), sequenceGaps ${s.sequenceGaps}, redelivered ${s.redelivered}, dropped (own QoS 0) ${s.dropped}`);
    assert.ok(lost > 0, 'the outage outlasted what Mosquitto queues (else this test proves nothing)');
    assert.ok((s.brokerDropped ?? 0) >= lost, `brokerDropped ${s.brokerDropped} >= ${lost}`);
    assert.ok((s.sequenceGaps ?? 0) > 0 && (s.sequenceGaps ?? 0) <= lost, `sequenceGaps ${s.sequenceGaps}: some, never more than what Kafka lacks (${lost})`);
    assert.ok(log.lines.some((l) => l.includes('the MQTT broker dropped messages')), 'a warning in the log');
  } finally {
    await bridge.stop({ timeoutMs: 5000 });
    await broker?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
