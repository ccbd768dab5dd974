import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MatrixBatcher } from '../../sdk/export/templates/app/src/batcher';

/** A "model" that doubles its input and records the size of every call. */
function doubling(maxRows: number, maxMs: number) {
  const calls: number[] = [];
  const batcher = new MatrixBatcher({
    width: 2,
    maxRows,
    maxMs,
    run: async (input, rows) => {
      calls.push(rows);
      await new Promise((r) => setTimeout(r, 5));
      return input.map((v) => v * 2);
    },
  });
  return { batcher, calls };
}

const rows = (n: number, start: number) => Float32Array.from({ length: n * 2 }, (_, i) => start + i);

test('concurrent submissions share one model call and each gets its own rows back', async () => {
  const { batcher, calls } = doubling(100, 20);
  const [a, b, c] = await Promise.all([batcher.submit(rows(3, 0), 3), batcher.submit(rows(2, 100), 2), batcher.submit(rows(4, 200), 4)]);
  assert.equal(calls, [9]);
  assert.equal(Array.from(a), Array.from(rows(3, 0)).map((v) => v * 2));
  assert.equal(Array.from(b), Array.from(rows(2, 100)).map((v) => v * 2));
  assert.equal(Array.from(c), Array.from(rows(4, 200)).map((v) => v * 2));
});

test('a full batch runs at once; rows arriving during a call wait for the next one', async () => {
  const { batcher, calls } = doubling(4, 10_000);
  const t0 = Date.now();
  const first = batcher.submit(rows(4, 0), 4);
  const second = batcher.submit(rows(4, 8), 4);
  await Promise.all([first, second]);
  assert.equal(calls, [4, 4]);
  assert.ok(Date.now() - t0 < 5_000, 'full batches must not wait for the timer');
});

test('a partial batch runs after maxMs', async () => {
  const { batcher, calls } = doubling(1000, 30);
  const t0 = Date.now();
  await batcher.submit(rows(1, 0), 1);
  assert.equal(calls, [1]);
  assert.ok(Date.now() - t0 >= 25, `flushed after ${Date.now() - t0} ms`);
});

test('submissions never split: a call takes whole submissions up to maxRows', async () => {
  const { batcher, calls } = doubling(5, 10);
  await Promise.all([batcher.submit(rows(3, 0), 3), batcher.submit(rows(3, 0), 3), batcher.submit(rows(2, 0), 2)]);
  assert.equal(calls, [3, 5]);
});

test('a failing model call rejects every submission in it, and the next call still runs', async () => {
  let fail = true;
  const batcher = new MatrixBatcher({
    width: 1,
    maxRows: 10,
    maxMs: 5,
    run: async (input) => {
      if (fail) throw new Error('model broke');
      return input;
    },
  });
  const results = await Promise.allSettled([batcher.submit(new Float32Array([1]), 1), batcher.submit(new Float32Array([2]), 1)]);
  assert.equal(results.map((r) => r.status), ['rejected', 'rejected']);
  fail = false;
  assert.equal(Array.from(await batcher.submit(new Float32Array([3]), 1)), [3]);
});

test('rejects input of the wrong shape', () => {
  const { batcher } = doubling(10, 10);
  assert.throws(() => batcher.submit(new Float32Array(3), 2), /expected 2 x 2/);
});

test.run();
