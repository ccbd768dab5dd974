/**
 * End to end: export a trained model, npm install + build the app, run two instances in one
 * consumer group against the embedded broker on a 4-partition topic, produce 20,000 labelled car
 * readings plus poison records, and check the output topic and the dead-letter topic.
 * Then the same with one instance SIGKILLed mid-stream.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { startBroker, type Broker } from '../../sdk/broker';
import { installAndBuild, metricValue, startAppProcess, type AppProcess } from '../../sdk/export/process';
import { CAR_FEATURES, carReadings } from '../../sdk/ingest/simulator';
import { Autoencoder } from '../../sdk';

const RECORDS = 20_000;
const POISON: (string | null)[] = ['not json {', '[1,2,3]', '', null, '{"speed": 5}', '{"carId":"car-0001","firmware_version":"x"}'];

let tmp = '';
let app = '';
let broker: Broker;
let kafka: Kafka;
let admin: Admin;
let producer: Producer;
let ae: Autoencoder;
const running: AppProcess[] = [];

interface Result {
  key: string;
  source: { topic: string; partition: number; offset: number; timestamp: number };
  score: number;
  threshold: number;
  anomaly: boolean;
  top: { feature: string; error: number }[];
  fields: { carId: string; seq: number };
}

test.before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'kafkalab-e2e-'));
  // The notebook: an autoencoder with per-car windowed vibration features, trained on normal readings.
  ae = new Autoencoder({ features: [...CAR_FEATURES], windows: [{ field: 'engine_vibration_amplitude', size: 10, stats: ['mean', 'std', 'peak'] }], key: 'carId', seed: 42 });
  await ae.fit(carReadings({ cars: 20, readingsPerCar: 400, anomalyRate: 0, seed: 5 }) as unknown as Record<string, unknown>[], { epochs: 8, batchSize: 256, threshold: { percentile: 99.5 } });
  app = path.join(tmp, 'vibration-scorer');
  await ae.export(app, { input: 'car-sensors', output: 'car-anomalies', batchMs: 10 });
  await installAndBuild(app);
  broker = await startBroker({ port: 0, partitions: 4 });
  kafka = new Kafka({ clientId: 'e2e', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer();
  await producer.connect();
});

test.after(async () => {
  for (const p of running) p.kill('SIGKILL');
  await Promise.all(running.map((p) => p.exited));
  await producer?.disconnect();
  await admin?.disconnect();
  await broker?.stop();
  await fs.rm(tmp, { recursive: true, force: true });
});

async function startInstances(n: number, env: Record<string, string>): Promise<AppProcess[]> {
  const procs = await Promise.all(Array.from({ length: n }, () => startAppProcess(app, { KAFKA_BROKERS: broker.bootstrap, SESSION_TIMEOUT_MS: '10000', PASSTHROUGH_FIELDS: 'carId,seq', LOG_LEVEL: 'info', ...env })));
  running.push(...procs);
  await Promise.all(procs.map((p) => p.ready(60_000)));
  return procs;
}

function readings(seed: number): Record<string, unknown>[] {
  return carReadings({ cars: 20, readingsPerCar: RECORDS / 20, anomalyRate: 0.01, seed }) as unknown as Record<string, unknown>[];
}

/** Produces the readings keyed by car (in `chunks` sends, `pauseMs` apart), poison records among them. */
async function produce(topic: string, rows: Record<string, unknown>[], chunks: number, pauseMs: number, onChunk?: (i: number) => Promise<void>): Promise<void> {
  const size = Math.ceil(rows.length / chunks);
  for (let i = 0; i < chunks; i++) {
    const messages = rows.slice(i * size, (i + 1) * size).map((r): { key: string; value: string | null } => ({ key: String(r.carId), value: JSON.stringify(r) }));
    if (i === 1) messages.push(...POISON.map((value, j) => ({ key: `poison-${j}`, value })));
    await producer.send({ topic, messages });
    await onChunk?.(i);
    if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
  }
}

/** Reads topics from the beginning until `enough` says so or the deadline passes. */
async function collect(topics: string[], enough: (counts: Record<string, number>) => boolean, timeoutMs: number) {
  const consumer = kafka.consumer({ groupId: `reader-${Math.random().toString(36).slice(2)}`, maxWaitTimeInMs: 200 });
  const got: Record<string, { key: string | null; value: string | null; headers: Record<string, string> }[]> = Object.fromEntries(topics.map((t) => [t, []]));
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const counts = () => Object.fromEntries(topics.map((t) => [t, got[t].length]));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(m.headers ?? {})) headers[k] = String(v);
        got[batch.topic].push({ key: m.key?.toString() ?? null, value: m.value?.toString() ?? null, headers });
      }
      if (enough(counts())) done();
    },
  });
  const timer = setTimeout(done, timeoutMs);
  await finished;
  clearTimeout(timer);
  await consumer.disconnect();
  return got;
}

test('two instances score every record exactly once, as the notebook does; poison goes to the DLQ', async () => {
  await admin.createTopics({ topics: [{ topic: 'car-sensors', numPartitions: 4 }], waitForLeaders: true });
  const [a, b] = await startInstances(2, {});
  const rows = readings(11);
  await produce('car-sensors', rows, 10, 50);
  const got = await collect(['car-anomalies', 'car-sensors-dlq'], (c) => c['car-anomalies'] >= RECORDS && c['car-sensors-dlq'] >= POISON.length, 120_000);

  const results = got['car-anomalies'].map((m) => JSON.parse(m.value!) as Result);
  const seen = new Set(results.map((r) => `${r.source.partition}:${r.source.offset}`));
  assert.is(results.length, RECORDS, 'one result per record');
  assert.is(seen.size, RECORDS, 'no duplicates when nothing fails');

  // Results went out through the app's own record-batch encoder (the fast path), not the fallback.
  for (const app of [a, b]) assert.is(app.logs.find((l) => l.msg === 'result encoder')?.encoder, 'kafkalab');

  // Both instances worked: each owns some partitions.
  const ma = await a.metrics();
  const mb = await b.metrics();
  assert.ok(metricValue(ma, 'scorer_records_out_total') > 0 && metricValue(mb, 'scorer_records_out_total') > 0, 'both instances scored records');
  assert.is(metricValue(ma, 'scorer_records_out_total') + metricValue(mb, 'scorer_records_out_total'), RECORDS);
  assert.ok(metricValue(ma, 'scorer_model_batches_total') + metricValue(mb, 'scorer_model_batches_total') < RECORDS / 20, 'scored in micro-batches, not per record');

  // The same rows scored in the notebook, per car in time order.
  // predict() adds an `anomaly` column: drop the label columns so the frame can take it.
  const predicted = await ae.predict(rows.map(({ anomaly: _a, anomaly_type: _t, ...r }) => r));
  const expected = predicted['score'].values as number[];
  const bySeq = new Map(rows.map((r, i) => [`${r.carId}/${r.seq}`, expected[i]]));
  let worst = 0;
  let anomalies = 0;
  for (const r of results) {
    assert.is(r.key, r.fields.carId);
    const want = bySeq.get(`${r.fields.carId}/${r.fields.seq}`)!;
    worst = Math.max(worst, Math.abs(r.score - want));
    assert.is(r.anomaly, r.score > r.threshold);
    assert.is(r.top.length, 3);
    if (r.anomaly) anomalies++;
  }
  console.log(`max |app - notebook| = ${worst.toExponential(2)} over ${results.length} records; ${anomalies} anomalies flagged`);
  assert.ok(worst <= 1e-5, `max abs diff ${worst}`);

  const dlq = got['car-sensors-dlq'];
  assert.is(dlq.length, POISON.length);
  assert.equal(dlq.map((d) => d.key).sort(), POISON.map((_, j) => `poison-${j}`).sort());
  for (const d of dlq) {
    assert.ok(d.headers['kafkalab.error'], 'reason header');
    assert.is(d.headers['kafkalab.source.topic'], 'car-sensors');
  }
  const reasons = dlq.map((d) => d.headers['kafkalab.error']).join(' | ');
  // The reasons a notebook read() reports for the same records (decoding), or ae.explain() (scoring).
  assert.match(reasons, 'invalid JSON');
  assert.match(reasons, 'null value');
  assert.match(reasons, 'record has no "carId"');
  assert.match(reasons, 'none of the model inputs');

  // SIGTERM: both drain, commit and leave; the group's offsets reach the end of every partition.
  a.kill('SIGTERM');
  b.kill('SIGTERM');
  assert.equal(await Promise.all([a.exited, b.exited]), [0, 0]);
  const committed = await admin.fetchOffsets({ groupId: 'vibration-scorer', topics: ['car-sensors'] });
  const ends = await admin.fetchTopicOffsets('car-sensors');
  for (const p of committed[0].partitions) assert.is(p.offset, ends.find((e) => e.partition === p.partition)!.high, `partition ${p.partition} committed to the end`);
});

test('SIGKILL one instance mid-stream: the other takes over and nothing is lost', async () => {
  await admin.createTopics({ topics: [{ topic: 'car-sensors-2', numPartitions: 4 }], waitForLeaders: true });
  const env = { INPUT_TOPIC: 'car-sensors-2', OUTPUT_TOPIC: 'car-anomalies-2', DLQ_TOPIC: 'car-sensors-2-dlq', GROUP_ID: 'scorer-2' };
  const [a, b] = await startInstances(2, env);
  const rows = readings(12);
  let killedAt = -1;
  await produce('car-sensors-2', rows, 20, 150, async (i) => {
    if (i === 6) {
      a.kill('SIGKILL');
      killedAt = metricValue(await b.metrics(), 'scorer_records_in_total');
    }
  });
  assert.is(await a.exited, 'SIGKILL');
  const got = await collect(['car-anomalies-2'], (c) => c['car-anomalies-2'] >= RECORDS, 90_000);
  let results = got['car-anomalies-2'].map((m) => JSON.parse(m.value!) as Result);
  let distinct = new Set(results.map((r) => `${r.source.partition}:${r.source.offset}`));
  // The survivor may still be replaying the dead member's uncommitted batch: wait for it.
  for (let i = 0; i < 30 && distinct.size < RECORDS; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    results = (await collect(['car-anomalies-2'], (c) => c['car-anomalies-2'] >= results.length + 1, 2000))['car-anomalies-2'].map((m) => JSON.parse(m.value!) as Result);
    distinct = new Set(results.map((r) => `${r.source.partition}:${r.source.offset}`));
  }
  const bIn = metricValue(await b.metrics(), 'scorer_records_in_total');
  console.log(`killed one of two instances after chunk 7 of 20 (survivor had read ${killedAt}); ${results.length} results, ${distinct.size} distinct records, ${results.length - distinct.size} duplicates; survivor read ${bIn}`);
  assert.is(distinct.size, RECORDS, 'nothing lost');
  assert.ok(bIn > killedAt, 'the survivor took over the dead instance partitions');
  const byPartition = new Set(results.map((r) => r.source.partition));
  assert.is(byPartition.size, 4);
  const joins = b.logs.filter((l) => l.msg === 'joined consumer group');
  const finalAssignment = (joins[joins.length - 1].assignment as Record<string, number[]>)['car-sensors-2'];
  assert.equal([...finalAssignment].sort(), [0, 1, 2, 3], 'the survivor owns every partition after the rebalance');
  b.kill('SIGTERM');
  assert.is(await b.exited, 0);
});

test.run();
