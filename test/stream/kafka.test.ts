import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Broker } from '../../sdk/broker';
import type { KafkaConnection } from '../../sdk/kafka/connect';
import { startEmbeddedKafka, stopEmbeddedKafka } from '../kafka/helpers';
import { ORIGINAL_TIMESTAMP_HEADER } from '../../sdk/kafka/replay';
import { recordsOf } from '../../sdk/frame/dataframe';

let broker: Broker;
let kafka: KafkaConnection;
const BASE = Date.parse('2026-11-20T00:00:00Z');

test.before(async () => void ({ broker, kafka } = await startEmbeddedKafka()));
test.after(() => stopEmbeddedKafka({ broker, kafka }));

async function waitFor<T>(fn: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('group stream: micro-batches as DataFrames; breaking out leaves no member in the group', async () => {
  await kafka.createTopic('live', { partitions: 2 });
  await kafka.topic('live').produce(Array.from({ length: 50 }, (_, i) => ({ carId: `car-${i % 4}`, i })), { key: 'carId' });
  let seen = 0;
  for await (const df of kafka.topic('live').stream({ from: 'earliest', group: 'explorer', batch: { size: 20, ms: 200 } })) {
    assert.ok(df.shape[0] <= 20);
    assert.equal(df.columns.slice(0, 4), ['_key', '_partition', '_offset', '_timestamp']);
    seen += df.shape[0];
    if (seen >= 30) break;
  }
  assert.ok(seen >= 30);
  const { groups } = await kafka.admin.describeGroups(['explorer']);
  assert.is(groups[0].members.length, 0, 'no member left after break');
});

test('group stream from a time starts there for a new group, then resumes from committed offsets', async () => {
  await kafka.createTopic('timed', { partitions: 2 });
  const rows = Array.from({ length: 40 }, (_, i) => ({ carId: `car-${i % 2}`, i, ts: BASE + i * 1000 }));
  await kafka.topic('timed').produce(rows, { key: 'carId', timestamp: 'ts' });
  const df = await kafka.topic('timed').stream({ from: new Date(BASE + 30_000), group: 'timed-group', batch: { size: 100, ms: 300 } }).take(10);
  assert.equal(recordsOf(df).map((r) => r.i as number).sort((a, b) => a - b), [30, 31, 32, 33, 34, 35, 36, 37, 38, 39]);
  const { groups } = await kafka.admin.describeGroups(['timed-group']);
  assert.is(groups[0].members.length, 0);
});

test('group-less stream with take(), and stop() ends a live for-await loop', async () => {
  await kafka.createTopic('follow', { partitions: 3 });
  const t = kafka.topic('follow');
  const s = t.stream({ from: 'latest', batch: { size: 10, ms: 50 } });
  const got: number[] = [];
  const loop = (async () => {
    for await (const df of s) for (const r of recordsOf(df)) got.push(r.i as number);
  })();
  await s.ready; // positions resolved: what is produced now is read
  await t.produce(Array.from({ length: 25 }, (_, i) => ({ i })));
  await waitFor(async () => (got.length >= 25 ? true : undefined));
  await s.stop();
  await loop;
  assert.equal(got.sort((a, b) => a - b), Array.from({ length: 25 }, (_, i) => i));
  const df = await t.stream({ from: 'earliest' }).filter((r) => r.i % 2 === 0).take(5);
  assert.is(df.shape[0], 5);
  assert.ok(recordsOf(df).every((r) => (r.i as number) % 2 === 0));
});

test('windows over a topic: out-of-order events, allowed lateness, late data counted', async () => {
  await kafka.createTopic('events', { partitions: 1 });
  const ev = [
    [1_000, 'a', 1], [3_000, 'b', 10], [12_000, 'a', 3], [8_000, 'a', 5], [16_000, 'a', 7], [2_000, 'a', 100], [25_000, 'b', 1],
  ].map(([t, carId, v]) => ({ carId, v, ts: BASE + (t as number) }));
  await kafka.topic('events').produce(ev, { key: 'carId', timestamp: 'ts' });
  const s = kafka.topic('events').stream({ from: 'earliest', to: 'latest', batch: { size: 1, ms: 0 } });
  const w = s.window({ size: '10s', by: 'carId', lateness: '5s' }).agg({ v: ['mean', 'max'] });
  const out = await w.collect();
  assert.equal(out.map((r) => [r.window_start - BASE, r.carId, r.count, r.v_mean, r.v_max]), [
    [0, 'a', 2, 3, 5],
    [0, 'b', 1, 10, 10],
    [10_000, 'a', 2, 5, 7],
    [20_000, 'b', 1, 1, 1],
  ]);
  assert.is(w.stats.late, 1);
});

test('.to(topic) runs a job until stopped; anonymized, mapped rows land in the output topic', async () => {
  await kafka.createTopic('raw', { partitions: 2 });
  await kafka.createTopic('clean', { partitions: 2 });
  await kafka.topic('raw').produce(Array.from({ length: 40 }, (_, i) => ({ carId: `car-${i % 3}`, vin: `VIN${String(i).padStart(14, '0')}`, speed: i })), { key: 'carId' });
  const job = await kafka
    .topic('raw')
    .stream({ from: 'earliest' })
    .filter((r) => r.speed >= 10)
    .map((r) => ({ ...r, kmh: r.speed * 3.6 }))
    .anonymize(['vin'], { method: 'mask', keep: 3 })
    .to('clean');
  const df = await waitFor(async () => {
    const d = await kafka.topic('clean').read();
    return d.shape[0] >= 30 ? d : undefined;
  });
  await job.stop();
  const rs = recordsOf(df);
  assert.is(rs.length, 30);
  assert.ok(rs.every((r) => /^\*{14}\d{3}$/.test(r.vin as string) && r.kmh === (r.speed as number) * 3.6 && r._key === r.carId));
  // The produced values hold the row's fields only: no metadata copied from the source rows.
  const values = await kafka.topic('clean').read({ format: 'string' });
  for (const r of recordsOf(values)) {
    const value = JSON.parse(r.value as string);
    assert.equal(Object.keys(value).sort(), ['carId', 'kmh', 'speed', 'vin']);
  }
});

test('replay: a 2-second range at speed 10 takes about 0.2 s, keeps keys, headers and per-partition order', async () => {
  await kafka.createTopic('history', { partitions: 2 });
  await kafka.createTopic('history-replay', { partitions: 2 });
  const rows = Array.from({ length: 21 }, (_, i) => ({ carId: `car-${i % 2}`, i, ts: BASE + i * 100 }));
  await kafka.topic('history').produce(rows, { key: 'carId', timestamp: 'ts', headers: (r) => ({ source: `sim-${r.i}` }) });
  const t0 = Date.now();
  const report = await kafka.topic('history').replay({ from: new Date(BASE).toISOString(), to: new Date(BASE + 2001).toISOString(), speed: 10, into: 'history-replay' });
  const took = Date.now() - t0;
  assert.is(report.records, 21);
  assert.ok(took >= 190 && took < 1500, `took ${took} ms`);
  const out = recordsOf(await kafka.topic('history-replay').read({ headers: true }));
  assert.is(out.length, 21);
  for (const p of [0, 1]) {
    const seq = out.filter((r) => r._partition === p).map((r) => r.i as number);
    assert.equal(seq, [...seq].sort((a, b) => a - b), `partition ${p} in order`);
  }
  for (const r of out) {
    const h = JSON.parse(r._headers as string);
    assert.is(h.source, `sim-${r.i}`);
    assert.is(Number(h[ORIGINAL_TIMESTAMP_HEADER]), BASE + (r.i as number) * 100);
    assert.is(r._key, r.carId);
  }
  const s0 = Date.now();
  const streamed = await kafka.topic('history').replay({ from: 'earliest', speed: Infinity }).collect();
  assert.is(streamed.length, 21);
  assert.equal(streamed.map((r) => r.i), rows.map((r) => r.i), 'time order across partitions');
  assert.ok(Date.now() - s0 < 3000);
});

test.run();
