/**
 * No silent loss at the MQTT edge: a Mosquitto of the test's own (max_queued_messages 200,
 * $SYS every second) drops what does not fit while Kafka is down; the bridge measures the queue
 * at start and warns, reports the broker's drops in stats(), its log and metrics(), and counts
 * the missing sequence numbers per device, which equal what Kafka lacks.
 */
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startBroker, type Broker } from '../../sdk/broker';
import { ingestMqtt } from '../../sdk/ingest/bridge';
import type { Logger } from '../../sdk/util/log';
import { startBenchMosquitto, type BenchMosquitto } from '../../bench/ingest-procs';
import { missingCommand, needing } from '../helpers/skip';
import { connect, readAll, sleep, uniquePrefix, waitFor } from './helpers';

const test = needing(uvuTest, missingCommand('mosquitto', 'apt-get install -y mosquitto', ['-h']));

function capture(): { logger: Logger; warnings: string[]; lines: string[] } {
  const warnings: string[] = [];
  const lines: string[] = [];
  const make = (): Logger => ({
    debug: () => undefined,
    info: (m) => void lines.push(m),
    warn: (m, f) => void (warnings.push(`${m} ${JSON.stringify(f ?? {})}`), lines.push(m)),
    error: (m) => void lines.push(m),
    child: () => make(),
  });
  return { logger: make(), warnings, lines };
}

let mosquitto: BenchMosquitto | undefined;
test.after(async () => {
  await mosquitto?.stop();
});

test('a Kafka outage with a small MQTT queue: drops reported, gaps counted, nothing silent', async () => {
  mosquitto = await startBenchMosquitto('mosquitto', ['max_queued_messages 200', 'sys_interval 1']);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-drops-'));
  let broker: Broker | undefined = await startBroker({ port: 0, dataDir });
  const port = broker.port;
  const prefix = uniquePrefix('drops');
  const log = capture();
  const bridge = await ingestMqtt({
    mqtt: mosquitto.url,
    from: `${prefix}/+/data`,
    to: 'readings',
    key: 1,
    sequence: 'seq',
    brokers: `127.0.0.1:${port}`,
    maxInFlight: 50,
    probeQueue: 1000,
    logger: log.logger,
  });
  const mqtt = require('mqtt') as typeof import('mqtt');
  const pub = await mqtt.connectAsync(mosquitto.url, { clientId: `${prefix}-pub` });
  const DEVICES = 5;
  let sent = 0;
  const publish = async (from: number, to: number) => {
    const sends: Promise<unknown>[] = [];
    for (let seq = from; seq < to; seq++) for (let d = 0; d < DEVICES; d++) sends.push(pub.publishAsync(`${prefix}/dev${d}/data`, JSON.stringify({ seq, v: seq * d }), { qos: 1 }));
    await Promise.all(sends);
    sent += sends.length;
  };
  try {
    let s = bridge.stats();
    assert.match(s.mqttBroker ?? '', /mosquitto/);
    assert.is(s.brokerQueue, 200, 'the probe found max_queued_messages');
    assert.ok(log.warnings.some((w) => w.includes('queues at most 200 messages per session')), log.warnings.join('\n'));
    assert.is(s.brokerDropped, 0, 'the probe’s own drops are not reported');

    await publish(0, 20);
    assert.ok(await waitFor(() => bridge.stats().produced === 100, 10_000), 'before the outage everything arrives');
    await broker.stop();
    broker = undefined;
    // 1,000 messages during the outage: 50 held in the bridge's window, 200 queued, the rest dropped.
    await publish(20, 220);
    assert.ok(await waitFor(() => (bridge.stats().brokerDropped ?? 0) > 0, 10_000), 'the broker drops show in stats()');
    broker = await startBroker({ port, dataDir });
    const drained = () => waitFor(() => bridge.stats().inFlight === 0 && bridge.stats().received === bridge.stats().produced, 30_000);
    assert.ok(await drained(), 'drained after the outage');
    // After the outage, each device's next numbers show what is missing (a gap is known once a later number arrives).
    await publish(220, 230);
    assert.ok(await drained(), 'drained');
    await sleep(2500); // the last $SYS update
    s = bridge.stats();
    const kafka = await connect({ brokers: broker.bootstrap });
    let distinct: number;
    try {
      const rows = await readAll(kafka, 'readings');
      distinct = new Set(rows.map((r) => `${r._key}#${r.seq}`)).size;
    } finally {
      await kafka.close();
    }
    const lost = sent - distinct;
    console.log(`published ${sent}, in Kafka ${distinct} distinct: ${lost} lost at Mosquitto; bridge: brokerDropped ${s.brokerDropped}, sequenceGaps ${s.sequenceGaps}, repeats ${s.sequenceRepeats}`);
    assert.ok(lost > 500, `the outage lost messages at the MQTT broker (${lost})`);
    assert.is(s.brokerDropped, lost, 'every message the broker dropped is reported (this broker serves only this test)');
    assert.is(s.sequenceGaps, lost, 'the per-device gaps are exactly what Kafka lacks');
    assert.ok(log.warnings.some((w) => w.includes('the MQTT broker dropped messages')), 'and logged');
    const metrics = bridge.metrics();
    assert.match(metrics, new RegExp(`^kafkalab_ingest_mqtt_broker_dropped_total ${lost}$`, 'm'));
    assert.match(metrics, new RegExp(`^kafkalab_ingest_sequence_gaps ${lost}$`, 'm'));
  } finally {
    await pub.endAsync();
    await bridge.stop({ timeoutMs: 5000 });
    await broker?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
