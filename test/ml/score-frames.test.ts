/**
 * A DataFrame of row arrays is scored block by block (its rows read into columns a few thousand
 * at a time): the scores equal those of the same cells given as plain column arrays, across
 * block boundaries, with missing cells, strings and booleans in numeric columns, for a model
 * on the one-pass path (no windows) and one with a key and windows (the row loop).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Autoencoder } from '../../sdk';
import { danfo } from '../../sdk/frame/dataframe';

const F = ['a', 'b', 'c'];
const train = Array.from({ length: 400 }, (_, i) => ({ a: Math.sin(i), b: Math.cos(i / 3), c: (i % 17) / 4, car: `k${i % 5}` }));

async function models(): Promise<Autoencoder[]> {
  const plain = new Autoencoder({ features: F, layers: [2], seed: 1 });
  await plain.fit(train, { epochs: 1 });
  const windowed = new Autoencoder({ features: F, key: 'car', windows: [{ field: 'a', size: 3, stats: ['mean', 'max'] }], layers: [2], seed: 1 });
  await windowed.fit(train, { epochs: 1 });
  return [plain, windowed];
}

const cell = fc.oneof(
  { weight: 20, arbitrary: fc.double({ min: -50, max: 50, noNaN: true }) },
  { weight: 2, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constantFrom('2.5', 'x', true, NaN, 1e39) },
);

test('frame of row arrays, scored in blocks: the scores of the same cells as column arrays', async () => {
  const [plain, windowed] = await models();
  const { DataFrame } = danfo();
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 20_000 }),
      fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), cell), { maxLength: 40 }),
      fc.integer({ min: 0, max: 1000 }),
      async (rows, oddCells, seed) => {
        // Mostly clean readings (the one-pass path), with odd cells sprinkled at random rows.
        const cols: Record<string, unknown[]> = {};
        for (const [j, f] of [...F, 'car'].entries()) cols[f] = Array.from({ length: rows }, (_, i) => (f === 'car' ? `k${(i + seed) % 7}` : Math.sin(i * (j + 1) + seed)));
        for (const [r, j, v] of oddCells) cols[[...F, 'car'][j]][r % rows] = v;
        const names = [...F, 'car'];
        const df = new DataFrame(Array.from({ length: rows }, (_, i) => names.map((n) => cols[n][i])) as never, { columns: names, config: { lowMemoryMode: true } } as never);
        for (const ae of [plain, windowed]) {
          const a = await ae.score(df);
          const b = await ae.score(cols);
          assert.is(a.length, rows);
          for (let i = 0; i < rows; i++) assert.ok(Object.is(a[i], b[i]), `row ${i}: ${a[i]} vs ${b[i]}`);
        }
      },
    ),
    { numRuns: 12 },
  );
});

test.run();
