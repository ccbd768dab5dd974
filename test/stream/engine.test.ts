import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Stream } from '../../sdk/stream/stream';
import { BatchQueue, type Batch } from '../../sdk/stream/queue';
import { recordsOf } from '../../sdk/frame/dataframe';

const rows = Array.from({ length: 10 }, (_, i) => ({ carId: i % 2 ? 'b' : 'a', speed: i, vin: `VIN000000000000${i}`, _timestamp: 1000 * i }));

test('filter, map and anonymize run in memory', async () => {
  const out = await Stream.from([])
    .filter((r) => r.speed > 2)
    .map((r) => ({ ...r, double: r.speed * 2 }))
    .anonymize(['vin'], { method: 'hash', salt: 's' })
    .test(rows);
  assert.is(out.length, 7);
  assert.is(out[0].double, 6);
  assert.is(out[0].vin.length, 16);
  assert.is.not(out[0].vin, rows[3].vin);
  const again = await Stream.from([]).anonymize('vin', { salt: 's' }).test(rows);
  assert.is(again[3].vin, out[0].vin, 'same salt, same pseudonym');
  const masked = await Stream.from([]).anonymize('vin', { method: 'mask', keep: 4 }).test(rows.slice(0, 1));
  assert.is(masked[0].vin, '*'.repeat(12) + '0000');
  const dropped = await Stream.from([]).anonymize(['vin'], { method: 'drop' }).test(rows.slice(0, 1));
  assert.not.ok('vin' in dropped[0]);
});

test('tumbling windows by key with out-of-order events, lateness and late data', async () => {
  const ev = (t: number, key: string, v: number) => ({ carId: key, v, ts: t });
  const s = Stream.from([]).window({ size: '10s', by: 'carId', time: 'ts', lateness: '5s' }).agg({ v: ['mean', 'max', 'count'] });
  const input = [
    ev(1000, 'a', 1),
    ev(3000, 'b', 10),
    ev(12_000, 'a', 3),
    ev(8000, 'a', 5), // out of order, within lateness: still counts in [0, 10s)
    ev(16_000, 'a', 7), // watermark 11s: closes [0, 10s)
    ev(2000, 'a', 100), // late: [0, 10s) was emitted
    ev(25_000, 'b', 1),
  ];
  const out = await s.test(input, { size: 1, ms: 0 });
  assert.equal(out.map((r) => [r.window_start, r.carId, r.count, r.v_mean, r.v_max]), [
    [0, 'a', 2, 3, 5],
    [0, 'b', 1, 10, 10],
    [10_000, 'a', 2, 5, 7],
    [20_000, 'b', 1, 1, 1],
  ]);
  assert.is(s.stats.late, 1);
});

test('hopping windows put an event in size/slide windows', async () => {
  const out = await Stream.from([])
    .window({ size: '10s', slide: '5s' })
    .agg({ speed: 'sum' })
    .test(rows);
  // events every second from 0 to 9s; windows [-5,5), [0,10), [5,15)
  assert.equal(out.map((r) => [r.window_start, r.count, r.speed_sum]), [
    [-5000, 5, 10],
    [0, 10, 45],
    [5000, 5, 35],
  ]);
});

test('micro-batches are cut by size and by time; take stops the source', async () => {
  const q = new BatchQueue<number>({ size: 3, ms: 50 });
  await q.push([1, 2, 3, 4]);
  assert.equal((await q.next()).value, [1, 2, 3]);
  const t0 = Date.now();
  assert.equal((await q.next()).value, [4]);
  assert.ok(Date.now() - t0 >= 40, 'waited for the batch time');
  q.end();
  assert.ok((await q.next()).done);

  let produced = 0;
  async function* endless() {
    for (let i = 0; i < 1_000_000; i++) {
      produced++;
      yield { i, _timestamp: i };
      if (i % 100 === 0) await new Promise((r) => setImmediate(r));
    }
  }
  const df = await Stream.from(endless(), { size: 100, ms: 10 }).filter((r) => r.i % 2 === 0).take(250);
  assert.equal(df.shape, [250, 2]);
  assert.is(recordsOf(df)[249].i, 498);
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(produced < 5000, `source stopped early (${produced})`);
});

test('a full batch ends at the last progress mark within its size: its rows all have known read positions', async () => {
  const q = new BatchQueue<string>({ size: 10, ms: 1000 });
  // A source's chunks, each followed by its read position: a 3-row chunk of partition 0, 10 rows of 1, 4 of 0.
  const chunk = (p: number, n: number, next: number) => {
    void q.push(Array.from({ length: n }, (_, i) => `p${p}-${next - n + i}`));
    q.mark({ offsets: new Map([[p, next]]) });
  };
  chunk(0, 3, 3);
  chunk(1, 10, 10);
  chunk(0, 4, 7);
  q.end();
  const sizes: number[] = [];
  const positions: string[] = [];
  for (let r = await q.next(); !r.done; r = await q.next()) {
    const b = r.value as Batch<string>;
    sizes.push(b.length);
    positions.push((b.progress ?? []).map((m) => [...m.offsets!].map(([p, o]) => `${p}:${o}`).join()).join(' '));
  }
  // Cut at 10 rows, the second batch would hold 7 rows of partition 1 without their position (before, it did).
  assert.equal(sizes, [3, 10, 4]);
  assert.equal(positions, ['0:3', '1:10', '0:7']);
  // No mark within the size (a source without positions): cut by size as before.
  const plain = new BatchQueue<number>({ size: 3, ms: 1000 });
  await plain.push([1, 2, 3, 4, 5]);
  assert.equal((await plain.next()).value, [1, 2, 3]);
});

test('property: chunks of any size up to the batch size, each followed by its read position: every batch ends at a position, nothing lost or reordered', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 40 }), fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 40 })), { minLength: 1, maxLength: 30 }), async (size, chunks) => {
      const q = new BatchQueue<number>({ size, ms: 1000 });
      let row = 0;
      const pushed: number[] = [];
      for (const [p, want] of chunks) {
        const n = Math.min(want, size); // a source queues at most `size` rows a chunk
        const rows = Array.from({ length: n }, () => row++);
        pushed.push(...rows);
        void q.push(rows);
        q.mark({ offsets: new Map([[p, row]]) });
      }
      q.end();
      const got: number[] = [];
      for (let r = await q.next(); !r.done; r = await q.next()) {
        const b = r.value as Batch<number>;
        assert.ok(b.length <= size, `a batch of ${b.length} > ${size}`);
        got.push(...b);
        // The last position in the batch is the one after its last row: every row's position is known.
        if (b.length) assert.is(Math.max(...(b.progress ?? []).flatMap((m) => [...m.offsets!.values()])), b[b.length - 1] + 1);
      }
      assert.equal(got, pushed);
    }),
    { numRuns: 300 },
  );
});

test('iterating yields DataFrames with a stable schema across batches', async () => {
  const input = [{ a: 1 }, { a: 2, b: 'x' }, { a: 3.5 }, { c: true }];
  const frames = [];
  for await (const df of Stream.from(input, { size: 2, ms: 1000 })) frames.push(df);
  assert.is(frames.length, 2);
  assert.equal(frames[1].columns, ['a', 'b', 'c']);
  assert.equal(recordsOf(frames[1]).map((r) => r.a), [3.5, null]);
});

test.run();
