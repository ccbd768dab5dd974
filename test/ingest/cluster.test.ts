/**
 * The MQTT bridge (its own record batches sent per leader, sdk/kafka/raw-produce.ts) into the
 * test-only 3-node broker (sdk/broker/cluster.ts): 40 cars x 100 readings at QoS 1 while
 * partition leaders move and one node is stopped (with failover) and another stopped without
 * failover for a second, then restarted. Every reading (carId + seq) must arrive at least once;
 * the bridge must not crash and must drain. 8 MQTT connections x (500 in flight + Mosquitto's 1000
 * queued) hold what arrives while a partition has no leader.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { startBroker } from '../../sdk/broker';
import { ingestMqtt } from '../../sdk/ingest/bridge';
import { simulateCars } from '../../sdk/ingest/simulate';
import { connect, MOSQUITTO, MOSQUITTO_MISSING, mosquittoUp, readAll, sleep, uniquePrefix, waitFor } from './helpers';
import { skip } from '../helpers/skip';

const CARS = 40;
const READINGS = 100;

test('bridge into a 3-node cluster across leader moves and node outages: every reading arrives', async () => {
  if (!(await mosquittoUp())) return skip(MOSQUITTO_MISSING);
  const broker = await startBroker({ port: 0, nodes: 3 });
  const cluster = broker.cluster!;
  const prefix = uniquePrefix('cluster');
  const kafka = await connect({ brokers: cluster.bootstrap });
  await kafka.createTopic('cluster-sensors', { partitions: 6 });
  const bridge = await ingestMqtt({ mqtt: MOSQUITTO, from: `${prefix}/+/sensors`, to: 'cluster-sensors', key: 1, timestamp: 'ts', kafka, sessionExpiry: 60, clientId: prefix, connections: 8 });
  const moves = fc.sample(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 2 })), { numRuns: 1000, seed: 1883 });
  let moved = 0;
  const mover = setInterval(() => {
    const [p, node] = moves[moved++ % moves.length];
    if (cluster.isRunning(node)) cluster.moveLeader('cluster-sensors', p, node);
  }, 150);
  try {
    // 40 cars at 20 readings/s: 800 msg/s for 5 s.
    const sim = simulateCars({ mqtt: MOSQUITTO, prefix, cars: CARS, readingsPerCar: READINGS, rate: 20, qos: 1, seed: 7 });
    assert.ok(await waitFor(() => bridge.stats().produced > 300, 10_000), 'messages flow before the outages');
    await cluster.stopNode(2, { failover: true });
    await sleep(1000);
    await cluster.stopNode(1); // no failover: node 1's partitions have no leader for a second
    await sleep(1000);
    await cluster.startNode(1);
    await cluster.startNode(2, { takeBack: true });
    const published = await sim;
    assert.is(published.acknowledged, CARS * READINGS, 'Mosquitto acknowledged every publication');
    assert.ok(await waitFor(() => bridge.stats().inFlight === 0 && bridge.stats().received >= CARS * READINGS, 30_000), `bridge drained: ${JSON.stringify(bridge.stats())}`);
    clearInterval(mover);
    const stats = bridge.stats();
    const rows = await readAll(kafka, 'cluster-sensors');
    const ids = new Set(rows.map((r) => `${r.carId}#${r.seq}`));
    const missing: string[] = [];
    for (let c = 1; c <= CARS; c++) for (let s = 0; s < READINGS; s++) if (!ids.has(`car-${String(c).padStart(4, '0')}#${s}`)) missing.push(`${c}#${s}`);
    console.log(`cluster bridge: ${rows.length} records, ${ids.size} distinct, ${rows.length - ids.size} duplicates, ${moved} leader moves, ${stats.errors} failed Kafka requests`);
    assert.is(missing.length, 0, `missing ids: ${missing.slice(0, 10).join(', ')}`);
    assert.ok(stats.kafkaConnected);
  } finally {
    clearInterval(mover);
    await bridge.stop({ timeoutMs: 5000 });
    await kafka.close();
    await broker.stop();
  }
});

test.run();
