/**
 * The exported app with PROCESSING_GUARANTEE=exactly-once: two instances in one group on a
 * 4-partition topic, one of them SIGKILLed mid-stream (its open transaction is aborted when the
 * survivor takes its partitions over and fences its transactional ids): a read_committed reader
 * sees one result per input record and each poison record once in the DLQ, headers kept; a
 * read_uncommitted reader may see the aborted duplicates. Run on the fast path (transactional
 * record batches) and through kafkajs's transactional producer (the fallback).
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

/** The scenario on its own topics and group; `encoder`: the transactions' path the app must report. */
async function sigkillOne(name: string, encoder: 'kafkalab' | 'kafkajs', extra: Record<string, string>): Promise<void> {
  const input = `${name}-sensors`;
  const output = `${name}-anomalies`;
  const group = `${name}-scorer`;
  await admin.createTopics({ topics: [{ topic: input, numPartitions: 4 }, { topic: output, numPartitions: 4 }], waitForLeaders: true });
  const env = { KAFKA_BROKERS: broker.bootstrap, INPUT_TOPIC: input, OUTPUT_TOPIC: output, DLQ_TOPIC: `${input}-dlq`, GROUP_ID: group, SESSION_TIMEOUT_MS: '6000', HEARTBEAT_INTERVAL_MS: '500', PROCESSING_GUARANTEE: 'exactly-once', LOG_LEVEL: 'info', BATCH_SIZE: '200', ...extra };
  const [a, b] = await Promise.all([startAppProcess(app, env), startAppProcess(app, env)]);
  running.push(a, b);
  await Promise.all([a.ready(60_000), b.ready(60_000)]);
  const rows = carReadings({ cars: 20, readingsPerCar: RECORDS / 20, anomalyRate: 0.01, seed: 9 }) as unknown as Record<string, unknown>[];
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < 20; i++) {
    const messages: { key: string; value: string }[] = rows.slice(i * 400, (i + 1) * 400).map((r) => ({ key: String(r.carId), value: JSON.stringify(r) }));
    if (i === 3) messages.push(...POISON.map((value, j) => ({ key: `poison-${j}`, value })));
    await producer.send({ topic: input, messages });
    if (i === 8) a.kill('SIGKILL');
    await sleep(100);
  }
  await producer.disconnect();
  assert.is(await a.exited, 'SIGKILL');
  // Until the survivor has committed every input record (in its transactions).
  const ends = await admin.fetchTopicOffsets(input);
  const total = ends.reduce((n, p) => n + Number(p.high), 0);
  const deadline = Date.now() + 120_000;
  for (;;) {
    const c = await admin.fetchOffsets({ groupId: group, topics: [input] });
    if (c[0].partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0) >= total) break;
    if (Date.now() > deadline) throw new Error('the survivor did not commit every input record');
    await sleep(200);
  }
  const started = b.logs.find((l) => l.msg === 'exactly-once: one transaction per input batch');
  assert.ok(started);
  assert.is(started!.encoder, encoder, 'the transactions went the expected way');
  const results = (await readAll(output, false)).map((v) => JSON.parse(v) as { source: { partition: number; offset: number } });
  const distinct = new Set(results.map((r) => `${r.source.partition}:${r.source.offset}`));
  const uncommitted = await readAll(output, true, 1500);
  console.log(`exactly-once app (transactions through ${encoder}), 2 instances, one SIGKILLed: ${results.length} results read_committed, ${distinct.size} distinct; read_uncommitted sees ${uncommitted.length}`);
  assert.is(distinct.size, RECORDS, 'every record scored');
  assert.is(results.length, RECORDS, 'no duplicates read_committed');
  const dlq = await readDlq(`${input}-dlq`);
  assert.equal(dlq.map((d) => d.value).sort(), [...POISON].sort(), 'each poison record once in the DLQ');
  for (const d of dlq) {
    assert.is(d.headers['kafkalab.source.topic'], input, 'dead letters keep their headers');
    assert.ok(d.headers['kafkalab.error'], 'the reason header');
  }
  b.kill('SIGTERM');
  assert.is(await b.exited, 0);
}

async function readDlq(topic: string): Promise<{ value: string; headers: Record<string, string> }[]> {
  const c = kafka.consumer({ groupId: `dlq-${Math.random()}`, maxWaitTimeInMs: 200 });
  const out: { value: string; headers: Record<string, string> }[] = [];
  let last = Date.now();
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  await c.run({
    eachMessage: async ({ message }) => {
      out.push({ value: message.value!.toString(), headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])) });
      last = Date.now();
    },
  });
  while (Date.now() - last < 1500) await sleep(200);
  await c.disconnect();
  return out;
}

test('exactly-once app: an instance SIGKILLed mid-stream, read_committed results hold each record once (transactional record batches)', async () => {
  await sigkillOne('eos', 'kafkalab', {});
});

test("the same through kafkajs's transactional producer (PRODUCE_ENCODER=kafkajs, the fallback)", async () => {
  await sigkillOne('eos-kafkajs', 'kafkajs', { PRODUCE_ENCODER: 'kafkajs' });
});

test.run();
