// At-least-once by construction: what a group stream commits is only what its consumer
// acknowledged (a job's Kafka writes, a loop asking for the next frame, the rows take() returns),
// and never the inputs of a window not yet emitted.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { KafkaConnection } from '../../sdk/kafka/connect';
import { startEmbeddedKafka, stopEmbeddedKafka, type EmbeddedKafka } from '../kafka/helpers';
import { recordsOf } from '../../sdk/frame/dataframe';
import type { Sink } from '../../sdk/stream/stream';

let env: EmbeddedKafka;
let kafka: KafkaConnection;
const BASE = Date.parse('2026-11-20T00:00:00Z');

test.before(async () => {
  env = await startEmbeddedKafka({ groups: { initialRebalanceDelayMs: 0 } });
  kafka = env.kafka;
});

test.after(() => stopEmbeddedKafka(env ?? {}));

async function committed(group: string, topic: string): Promise<Record<number, number>> {
  const c = await kafka.admin.fetchOffsets({ groupId: group, topics: [topic] });
  return Object.fromEntries((c[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined); // a metadata refresh racing a rebalance: ask again
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('take(n) in a group commits the records behind the n rows it returns, no more', async () => {
  await kafka.createTopic('take-in', { partitions: 1 });
  const t = kafka.topic('take-in');
  await t.produce(Array.from({ length: 100 }, (_, i) => ({ i })));
  const first = recordsOf(await t.stream({ from: 'earliest', group: 'take-g', batch: { size: 1000, ms: 50 } }).take(10)).map((r) => r.i);
  assert.equal(first, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(await committed('take-g', 'take-in'), { 0: 10 });
  // Through a filter: the records it skipped before the last returned row are committed too.
  const odd = recordsOf(await t.stream({ group: 'take-g' }).filter((r) => r.i % 2 === 1).map((r) => ({ i: r.i })).take(3)).map((r) => r.i);
  assert.equal(odd, [11, 13, 15]);
  assert.equal(await committed('take-g', 'take-in'), { 0: 16 });
  const next = recordsOf(await t.stream({ group: 'take-g' }).take(2)).map((r) => r.i);
  assert.equal(next, [16, 17]);
});

test('a for-await loop: a frame is committed when the loop asks for the next one; the frame it breaks out of is read again', async () => {
  await kafka.createTopic('loop-in', { partitions: 1 });
  const t = kafka.topic('loop-in');
  await t.produce(Array.from({ length: 100 }, (_, i) => ({ i })));
  const frames: number[][] = [];
  for await (const df of t.stream({ from: 'earliest', group: 'loop-g', batch: { size: 10, ms: 50 } })) {
    frames.push(recordsOf(df).map((r) => r.i as number));
    if (frames.length === 3) break;
  }
  assert.equal(frames[2], [20, 21, 22, 23, 24, 25, 26, 27, 28, 29]);
  assert.equal(await committed('loop-g', 'loop-in'), { 0: 20 });
  for await (const df of t.stream({ group: 'loop-g', batch: { size: 10, ms: 50 } })) {
    assert.is(recordsOf(df)[0].i, 20, 'the frame broken out of comes again');
    break;
  }
});

test('a window job commits only below the oldest input an open window holds; a restart emits that window whole', async () => {
  await kafka.createTopic('win-in', { partitions: 1 });
  await kafka.createTopic('win-out', { partitions: 1 });
  const t = kafka.topic('win-in');
  // One reading a second for 60 s: windows [0,10) ... [50,60); the watermark (59 s) closes all but the last.
  await t.produce(Array.from({ length: 60 }, (_, i) => ({ car: 'a', v: i, ts: BASE + i * 1000 })), { key: 'car', timestamp: 'ts' });
  const pipeline = () => t.stream({ from: 'earliest', group: 'win-g', batch: { size: 10, ms: 20 } }).window({ size: '10s', by: 'car' }).agg({ v: ['count', 'sum'] });
  const job = await pipeline().to('win-out');
  await waitFor('five windows', async () => ((await kafka.topic('win-out').read()).shape[0] >= 5 ? true : undefined));
  await job.stop();
  assert.equal(await committed('win-g', 'win-in'), { 0: 50 }, 'the open window [50,60) starts at offset 50');
  const out = recordsOf(await kafka.topic('win-out').read());
  assert.equal(out.map((r) => r.count), [10, 10, 10, 10, 10]);
  // The next run reads the open window's records again; a later record closes it.
  const again = await pipeline().to('win-out');
  await t.produce([{ car: 'a', v: 60, ts: BASE + 60_000 }], { key: 'car', timestamp: 'ts' });
  const all = await waitFor('the sixth window', async () => {
    const rows = recordsOf(await kafka.topic('win-out').read());
    return rows.length >= 6 ? rows : undefined;
  });
  await again.stop();
  assert.equal(all[5].window_start, BASE + 50_000);
  assert.equal([all[5].count, all[5].v_sum], [10, 50 + 51 + 52 + 53 + 54 + 55 + 56 + 57 + 58 + 59]);
});

test('after a restart, a window emitted before is not emitted again from the records re-read for an open one', async () => {
  await kafka.createTopic('hop-in', { partitions: 1 });
  await kafka.createTopic('hop-out', { partitions: 1 });
  const t = kafka.topic('hop-in');
  const at = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => ({ car: 'a', v: from + i, ts: BASE + (from + i) * 1000 }));
  // Hopping 20 s windows every 10 s over 40 readings: [-10,10), [0,20), [10,30) are emitted;
  // [20,40) and [30,50) stay open, so the commit stays at offset 20, inside [10,30)'s records.
  await t.produce(at(0, 40), { key: 'car', timestamp: 'ts' });
  const pipeline = () => t.stream({ from: 'earliest', group: 'hop-g', batch: { size: 5, ms: 20 } }).window({ size: '20s', slide: '10s', by: 'car' }).agg({ v: ['count', 'sum'] });
  const first = await pipeline().to('hop-out');
  await waitFor('three windows', async () => ((await kafka.topic('hop-out').read()).shape[0] >= 3 ? true : undefined));
  await first.stop();
  const c = await kafka.admin.fetchOffsets({ groupId: 'hop-g', topics: ['hop-in'] });
  assert.is(Number(c[0].partitions[0].offset), 20);
  assert.match(String(c[0].partitions[0].metadata), /"emitted":/, 'the emission floor is committed with the offset');
  const again = await pipeline().to('hop-out');
  await t.produce(at(40, 55), { key: 'car', timestamp: 'ts' }); // closes [20,40) and [30,50)
  const rows = await waitFor('five windows', async () => {
    const r = recordsOf(await kafka.topic('hop-out').read());
    return r.length >= 5 ? r : undefined;
  });
  await again.stop();
  const windows = rows.map((r) => [(r.window_start as number) - BASE, r.count]);
  assert.equal(windows, [[-10_000, 10], [0, 20], [10_000, 20], [20_000, 20], [30_000, 20]], 'each window once, whole');
});

test('a rebalance moves a partition with an open window: its new owner emits the window whole, the old one not at all', async () => {
  await kafka.createTopic('rw-in', { partitions: 2 });
  await kafka.createTopic('rw-out', { partitions: 1 });
  const t = kafka.topic('rw-in');
  const readings = (from: number, to: number) =>
    [0, 1].flatMap((p) => Array.from({ length: to - from }, (_, i) => ({ car: `car${p}`, v: from + i, ts: BASE + (from + i) * 1000, p })));
  const produce = async (from: number, to: number) => {
    for (const p of [0, 1]) await t.produce(readings(from, to).filter((r) => r.p === p), { key: 'car', timestamp: 'ts', partition: p });
  };
  // Each car on its own partition; 10 s windows per car: [0,10) and [10,20) emitted, [20,30) open with 5 readings.
  await produce(0, 25);
  const job = () => t.stream({ from: 'earliest', group: 'rw-g', batch: { size: 5, ms: 20 } }).window({ size: '10s', by: 'car' }).agg({ v: ['count'] }).to('rw-out');
  const a = await job();
  await waitFor('four windows', async () => ((await kafka.topic('rw-out').read()).shape[0] >= 4 ? true : undefined));
  const b = await job(); // one partition moves to b, with its open window
  await waitFor('both members assigned', async () => {
    const g = (await kafka.admin.describeGroups(['rw-g'])).groups[0];
    return g.state === 'Stable' && g.members.length === 2 && g.members.every((m) => m.memberAssignment.length > 0) ? true : undefined;
  });
  await produce(25, 45); // closes [20,30) and [30,40) for both cars
  const rows = await waitFor('eight windows', async () => {
    const r = recordsOf(await kafka.topic('rw-out').read());
    return r.length >= 8 ? r : undefined;
  });
  await new Promise((r) => setTimeout(r, 1000)); // a stale window would come now
  await Promise.all([a.stop(), b.stop()]);
  const all = recordsOf(await kafka.topic('rw-out').read());
  const seen = all.map((r) => `${r.car} ${(r.window_start as number) - BASE} ${r.count}`).sort();
  assert.ok(rows.length >= 8);
  assert.equal(seen, ['car0 0 10', 'car0 10000 10', 'car0 20000 10', 'car0 30000 10', 'car1 0 10', 'car1 10000 10', 'car1 20000 10', 'car1 30000 10']);
});

test('two jobs in one group, one joining and one stopping mid-way: every input reaches the output', async () => {
  const N = 20_000;
  await kafka.createTopic('reb-in', { partitions: 4 });
  await kafka.createTopic('reb-out', { partitions: 4 });
  await kafka.topic('reb-in').produce(Array.from({ length: N }, (_, seq) => ({ seq, k: `k${seq % 31}` })), { key: 'k' });
  const written: Record<string, number> = { a: 0, b: 0 };
  let bWrote: () => void = () => undefined;
  const gate = new Promise<void>((r) => (bWrote = r));
  // a writes a tenth, then waits until b (which joins meanwhile) has written: the rebalance
  // happens while a holds read rows, whatever the machine's speed.
  const sink = (job: string): Sink => ({
    async write(rows) {
      if (job === 'a' && written.a >= N / 10) await Promise.race([gate, new Promise((r) => setTimeout(r, 30_000))]);
      await kafka.topic('reb-out').produce(rows.map((r) => ({ seq: r.seq, job })));
      written[job] += rows.length;
      if (job === 'b') bWrote();
    },
    async close() {},
  });
  const start = (job: string) => kafka.topic('reb-in').stream({ group: 'reb-g', from: 'earliest', batch: { size: 200, ms: 20 } }).to(sink(job));
  const a = await start('a');
  await waitFor('a first part written', async () => (written.a >= N / 10 ? true : undefined));
  const b = await start('b'); // a rebalance: partitions move from a to b
  await waitFor('b writing', async () => (written.b > 0 ? true : undefined), 40_000);
  await a.stop(); // another: a's partitions move to b
  await waitFor('every input committed', async () => {
    const c = await committed('reb-g', 'reb-in');
    return [0, 1, 2, 3].every((p) => c[p] !== undefined) && Object.values(c).reduce((x, y) => x + y, 0) === N ? true : undefined;
  }, 60_000);
  await b.stop();
  const seqs = recordsOf(await kafka.topic('reb-out').read()).map((r) => r.seq as number);
  const distinct = new Set(seqs);
  console.log(`rebalances: ${N} inputs, ${seqs.length} outputs (a wrote ${written.a}, b ${written.b}), ${distinct.size} distinct, ${seqs.length - distinct.size} duplicates`);
  assert.is(distinct.size, N, `${N - distinct.size} inputs lost`);
});

test.run();
