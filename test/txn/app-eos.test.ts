/**
 * The exported app with PROCESSING_GUARANTEE=exactly-once: two instances in one group on a
 * 4-partition topic, one of them SIGKILLed mid-stream (its open transaction is aborted when the
 * survivor takes its partitions over and fences its transactional ids): a read_committed reader
 * sees one result per input record and each poison record once in the DLQ; a read_uncommitted
 * reader may see the aborted duplicates.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { startBroker, type Broker } from '../../sdk/broker';
import { installAndBuild, startAppProcess, type AppProcess } from '../../sdk/export/process';
import { CAR_FEATURES, carReadings } from '../../sdk/ingest/simulator';
import { Autoencoder } from '../../sdk';

const RECORDS = 8000;
const POISON = ['not json {', '[1,2,3]'];
let tmp = '';
let app = '';
let broker: Broker;
let kafka: Kafka;
let admin: Admin;
const running: AppProcess[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test.before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'kafkalab-app-eos-'));
  const ae = new Autoencoder({ features: [...CAR_FEATURES], seed: 42 });
  await ae.fit(carReadings({ cars: 10, readingsPerCar: 200, anomalyRate: 0, seed: 5 }) as unknown as Record<string, unknown>[], { epochs: 2, batchSize: 256 });
  app = path.join(tmp, 'eos-scorer');
  await ae.export(app, { input: 'eos-sensors', output: 'eos-anomalies', batchMs: 10 });
  await installAndBuild(app);
  broker = await startBroker({ port: 0, partitions: 4, groups: { initialRebalanceDelayMs: 0 } });
  kafka = new Kafka({ clientId: 'app-eos', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
});

test.after(async () => {
  for (const p of running) p.kill('SIGKILL');
  await Promise.all(running.map((p) => p.exited));
  await admin?.disconnect();
  await broker?.stop();
  await fs.rm(tmp, { recursive: true, force: true });
});

async function readAll(topic: string, readUncommitted: boolean, quietMs = 3000): Promise<string[]> {
  const c = kafka.consumer({ groupId: `r-${Math.random()}`, readUncommitted, maxWaitTimeInMs: 200 });
  const out: string[] = [];
  let last = Date.now();
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  await c.run({ eachMessage: async ({ message }) => void (out.push(message.value!.toString()), (last = Date.now())) });
  while (Date.now() - last < quietMs) await sleep(200);
  await c.disconnect();
  return out;
}

test('exactly-once app: an instance SIGKILLed mid-stream, read_committed results hold each record once', async () => {
  await admin.createTopics({ topics: [{ topic: 'eos-sensors', numPartitions: 4 }, { topic: 'eos-anomalies', numPartitions: 4 }], waitForLeaders: true });
  const env = { KAFKA_BROKERS: broker.bootstrap, SESSION_TIMEOUT_MS: '6000', HEARTBEAT_INTERVAL_MS: '500', PROCESSING_GUARANTEE: 'exactly-once', LOG_LEVEL: 'info', BATCH_SIZE: '200' };
  const [a, b] = await Promise.all([startAppProcess(app, env), startAppProcess(app, env)]);
  running.push(a, b);
  await Promise.all([a.ready(60_000), b.ready(60_000)]);
  const rows = carReadings({ cars: 20, readingsPerCar: RECORDS / 20, anomalyRate: 0.01, seed: 9 }) as unknown as Record<string, unknown>[];
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < 20; i++) {
    const messages: { key: string; value: string }[] = rows.slice(i * 400, (i + 1) * 400).map((r) => ({ key: String(r.carId), value: JSON.stringify(r) }));
    if (i === 3) messages.push(...POISON.map((value, j) => ({ key: `poison-${j}`, value })));
    await producer.send({ topic: 'eos-sensors', messages });
    if (i === 8) a.kill('SIGKILL');
    await sleep(100);
  }
  await producer.disconnect();
  assert.is(await a.exited, 'SIGKILL');
  // Until the survivor has committed every input record (in its transactions).
  const ends = await admin.fetchTopicOffsets('eos-sensors');
  const total = ends.reduce((n, p) => n + Number(p.high), 0);
  const deadline = Date.now() + 120_000;
  for (;;) {
    const c = await admin.fetchOffsets({ groupId: 'eos-scorer', topics: ['eos-sensors'] });
    if (c[0].partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0) >= total) break;
    if (Date.now() > deadline) throw new Error('the survivor did not commit every input record');
    await sleep(200);
  }
  assert.ok(b.logs.some((l) => l.msg === 'exactly-once: one transaction per input batch'));
  const results = (await readAll('eos-anomalies', false)).map((v) => JSON.parse(v) as { source: { partition: number; offset: number } });
  const distinct = new Set(results.map((r) => `${r.source.partition}:${r.source.offset}`));
  const uncommitted = await readAll('eos-anomalies', true, 1500);
  console.log(`exactly-once app, 2 instances, one SIGKILLed: ${results.length} results read_committed, ${distinct.size} distinct; read_uncommitted sees ${uncommitted.length}`);
  assert.is(distinct.size, RECORDS, 'every record scored');
  assert.is(results.length, RECORDS, 'no duplicates read_committed');
  const dlq = await readAll('eos-sensors-dlq', false, 1500);
  assert.is(dlq.length, POISON.length, 'each poison record once in the DLQ');
  b.kill('SIGTERM');
  assert.is(await b.exited, 0);
});

test.run();
