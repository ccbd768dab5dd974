import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Stream } from '../../sdk/stream/stream';
import { BatchQueue } from '../../sdk/stream/queue';
import type { Row } from '../../sdk/stream/operators';
import { startBroker, type Broker } from '../../sdk/broker';
import { connect, type KafkaConnection } from '../../sdk/kafka/connect';

const BASE = Date.parse('2026-11-20T00:00:00Z');

/** A source the test drives by hand: rows and progress marks in the order a Kafka source sends them. */
function handSource(): { stream: Stream; q: BatchQueue<Row> } {
  const q = new BatchQueue<Row>({ size: 1000, ms: 0 });
  q.positioned();
  return { stream: new Stream({ open: () => q }), q };
}

/** Rows of one partition every 100 ms over [from, to), adjacent pairs swapped (out of order by 100 ms). */
function chunk(partition: number, from: number, to: number): Row[] {
  const out: Row[] = [];
  for (let t = from; t < to; t += 100) out.push({ _partition: partition, _timestamp: BASE + t, v: 1 });
  for (let i = 0; i + 1 < out.length; i += 2) [out[i], out[i + 1]] = [out[i + 1], out[i]];
  return out;
}

async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

test('a partition read behind the others does not make its records late; late rows are counted', async () => {
  const { stream, q } = handSource();
  const w = stream.window({ size: '1s', lateness: '200ms' }).agg({ v: ['count'] });
  const done = w.collect();
  q.mark({ partitions: [0, 1] });
  // As fetch rounds deliver a backlog: all of partition 0's first 5 s, then partition 1's.
  await q.push(chunk(0, 0, 5000));
  await q.push(chunk(1, 0, 5000));
  await q.push(chunk(0, 5000, 10_000));
  await q.push(chunk(1, 5000, 10_000));
  // Both partitions are past 9.9 s: a record at 0.5 s is late, one at 9.5 s is not.
  await q.push([{ _partition: 1, _timestamp: BASE + 500, v: 1 }]);
  await q.push([{ _partition: 0, _timestamp: BASE + 9500, v: 1 }]);
  q.mark({ ended: [0, 1] });
  q.end();
  const out = await done;
  assert.equal(
    out.map((r) => [r.window_start - BASE, r.count]),
    Array.from({ length: 10 }, (_, i) => [i * 1000, i === 9 ? 21 : 20]),
  );
  assert.is(w.stats.late, 1);
});

test('without announcements the watermark is the minimum over the partitions seen', async () => {
  // Interleave the partitions 300 ms apart: partition 1 trails partition 0.
  const input: Row[] = [];
  for (let t = 0; t < 3000; t += 100) {
    input.push({ _partition: 0, _timestamp: BASE + t, v: 1 });
    if (t >= 300) input.push({ _partition: 1, _timestamp: BASE + t - 300, v: 1 });
  }
  for (let t = 2700; t < 3000; t += 100) input.push({ _partition: 1, _timestamp: BASE + t, v: 1 });
  const w = Stream.from([]).window({ size: '1s' }).agg({ v: ['count'] });
  const out = await w.test(input, { size: 7, ms: 0 });
  assert.equal(out.map((r) => [r.window_start - BASE, r.count]), [[0, 20], [1000, 20], [2000, 20]]);
  assert.is(w.stats.late, 0);
});

test('an idle partition stops holding the watermark back', async () => {
  const { stream, q } = handSource();
  const w = stream.window({ size: '1s', idle: '50ms' }).agg({ v: ['count'] });
  const it = w.batches()[Symbol.asyncIterator]();
  const next = it.next();
  q.mark({ partitions: [0, 1] }); // partition 1 never sends anything
  await q.push(chunk(0, 0, 3000).sort((a, b) => a._timestamp - b._timestamp));
  await new Promise((r) => setTimeout(r, 120));
  await q.push([{ _partition: 0, _timestamp: BASE + 5000, v: 1 }]);
  const first = await within(next, 5000, 'windows before the end of the source');
  assert.equal((first.value as Row[]).map((r) => [r.window_start - BASE, r.count]), [[0, 10], [1000, 10], [2000, 10]]);
  q.end();
  const rest = await it.next();
  assert.equal((rest.value as Row[]).map((r) => [r.window_start - BASE, r.count]), [[5000, 1]]);
  assert.ok((await it.next()).done);
});

let broker: Broker | undefined;
let kafka: KafkaConnection | undefined;

test.after(async () => {
  await kafka?.close();
  await broker?.stop();
});

test('windows over a multi-partition topic: bounded read counts every row', async () => {
  broker = await startBroker({ port: 0 });
  kafka = await connect({ brokers: broker.bootstrap });
  await kafka.createTopic('wm', { partitions: 3 });
  const rows = Array.from({ length: 3000 }, (_, i) => ({ carId: 'c' + (i % 7), ts: BASE + i * 10, v: 1 }));
  await kafka.topic('wm').produce(rows, { key: 'carId', timestamp: 'ts' });
  const w = kafka.topic('wm').stream({ from: 'earliest', to: 'latest', batch: { size: 200, ms: 50 } }).window({ size: '1s' }).agg({ v: ['count'] });
  const out = await w.collect();
  assert.is(out.length, 30);
  assert.ok(out.every((r) => r.count === 100), JSON.stringify(out.map((r) => r.count)));
  assert.is(w.stats.late, 0);
});

test('live multi-partition windows: an empty partition goes idle, late rows are counted and dropped', async () => {
  assert.ok(kafka);
  await kafka.createTopic('wm-live', { partitions: 4 });
  const t = kafka.topic('wm-live');
  for (const p of [0, 1, 2]) {
    const part = Array.from({ length: 300 }, (_, i) => ({ p, ts: BASE + i * 10 + (i % 2 ? -10 : 10), v: 1 }));
    await t.produce(part, { partition: p, timestamp: 'ts' });
  }
  const w = t.stream({ from: 'earliest', batch: { size: 100, ms: 20 } }).window({ size: '1s', lateness: '50ms', idle: '1s' }).agg({ v: ['count'] });
  const out: Row[] = [];
  const loop = (async () => {
    for await (const rows of w.batches()) out.push(...rows);
  })();
  await w.ready;
  await new Promise((r) => setTimeout(r, 1500)); // the backlog is read and partition 3 has been idle for over 1 s
  await t.produce([{ p: 0, ts: BASE + 500, v: 1 }], { partition: 0, timestamp: 'ts' });
  for (const p of [0, 1, 2]) await t.produce([{ p, ts: BASE + 5000, v: 1 }], { partition: p, timestamp: 'ts' });
  const end = Date.now() + 15_000;
  while (out.length < 3 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  assert.is(w.stats.late, 1);
  await w.stop();
  await loop;
  assert.equal(out.slice(0, 3).map((r) => [r.window_start - BASE, r.count]), [[0, 300], [1000, 300], [2000, 300]]);
});

test.run();
