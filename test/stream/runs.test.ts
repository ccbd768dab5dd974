import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Stream } from '../../sdk/stream/stream';
import { recordsOf } from '../../sdk/frame/dataframe';

const B = Date.parse('2026-11-20T00:00:00Z');
const rows = Array.from({ length: 100 }, (_, i) => ({ carId: i % 2 ? 'a' : 'b', v: 1, _timestamp: B + i * 100 }));
const total = (out: { count: number }[]) => out.reduce((s, r) => s + r.count, 0);

test('each run of one Stream starts from fresh window state', async () => {
  const w = Stream.from(rows, { size: 10, ms: 0 }).window({ size: '1s', by: 'carId' }).agg({ v: ['count'] });
  const first = await w.collect();
  const second = await w.collect();
  assert.is(total(first as never), 100);
  assert.equal(second, first);
  assert.is(w.stats.late, 0, 'stats describe the latest run');
  const frames = [];
  for await (const df of w) frames.push(...recordsOf(df));
  assert.is(frames.length, first.length);
  assert.is((await w.take(1000)).shape[0], first.length);
});

test('test() does not touch the state of later runs', async () => {
  const w = Stream.from(rows, { size: 10, ms: 0 }).window({ size: '1s' }).agg({ v: ['count'] });
  const tested = await w.test(rows.slice(0, 50));
  assert.is(total(tested as never), 50);
  assert.is(total((await w.collect()) as never), 100);
  assert.is(total((await w.test(rows.slice(50))) as never), 50);
});

test('derived streams share the source but not operators', async () => {
  const base = Stream.from(rows, { size: 10, ms: 0 });
  const w1 = base.window({ size: '1s' }).agg({ v: ['count'] });
  const w2 = base.filter((r) => r.carId === 'a').window({ size: '1s' }).agg({ v: ['count'] });
  const [a, b] = await Promise.all([w1.collect(), w2.collect()]);
  assert.is(total(a as never), 100);
  assert.is(total(b as never), 50);
});

test('a job started with to() runs its own operators', async () => {
  const w = Stream.from(rows, { size: 10, ms: 0 }).window({ size: '1s' }).agg({ v: ['count'] });
  await w.collect();
  const written: number[] = [];
  const job = await w.to({ write: async (rs) => void written.push(...rs.map((r) => r.count as number)), close: async () => undefined });
  await job.done;
  assert.is(written.reduce((s, n) => s + n, 0), 100);
});

test.run();
