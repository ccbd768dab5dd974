/**
 * prepareRows' column-at-a-time path (float columns, no windows) against its row loop (the
 * same cells as plain arrays): the same problems, index and matrix bits on random tables with
 * missing readings, infinities, readings beyond float32, absent columns, keys with gaps and
 * scalers that overflow; and in blocks (`from`) the same as in one call.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { FeatureState, PIPELINE_VERSION, prepareRows, type PipelineSpec } from '../../../sdk/runtime';

const cell = fc.oneof(
  { weight: 12, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) },
  { weight: 2, arbitrary: fc.constant(NaN) },
  { weight: 1, arbitrary: fc.constantFrom(Infinity, -Infinity, 3.5e38, -1e39, 3.4e38, 1e-40) },
);

function spec(width: number, key: boolean, fills: number[], scale: number[], order: number[]): PipelineSpec {
  const inputs = Array.from({ length: width }, (_, i) => ({ name: `x${i}`, fill: fills[i] }));
  const features = order.map((i) => `x${i}`);
  return {
    version: PIPELINE_VERSION, inputs, windows: [], features, key: key ? 'car' : undefined,
    scaler: { kind: 'standard', offset: order.map((i) => fills[i] / 3), scale: order.map((_, f) => scale[f]) },
    threshold: { value: 1, method: 'fixed' },
    model: { format: 'tfjs-layers', path: 'model.json', inputSize: width, layers: [1], activation: 'relu', outputActivation: 'linear' },
    schema: { fields: [] },
  } as PipelineSpec;
}

test('float columns: the same rows, problems and matrix bits as the row loop', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 6 }).chain((width) =>
        fc.record({
          width: fc.constant(width),
          rows: fc.array(fc.array(cell, { minLength: width, maxLength: width }), { maxLength: 60 }),
          absent: fc.array(fc.boolean(), { minLength: width, maxLength: width }),
          fills: fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: width, maxLength: width }),
          scale: fc.array(fc.oneof(fc.double({ min: 0.01, max: 100, noNaN: true }), fc.constant(1e-30)), { minLength: width, maxLength: width }),
          order: fc.shuffledSubarray(Array.from({ length: width }, (_, i) => i), { minLength: 1 }),
          key: fc.boolean(),
          keys: fc.array(fc.oneof(fc.constant('a'), fc.constant(null)), { minLength: 60, maxLength: 60 }),
          f32: fc.boolean(),
        }),
      ),
      ({ width, rows, absent, fills, scale, order, key, keys, f32 }) => {
        const s = spec(width, key, fills, scale, order);
        const n = rows.length;
        const typed: Record<string, ArrayLike<unknown> | undefined> = {};
        const plain: Record<string, ArrayLike<unknown> | undefined> = {};
        for (let i = 0; i < width; i++) {
          if (absent[i]) continue;
          const values = rows.map((r) => r[i]);
          typed[`x${i}`] = f32 ? Float32Array.from(values) : Float64Array.from(values);
          plain[`x${i}`] = Array.from(typed[`x${i}`] as Float64Array);
        }
        if (key) typed.car = plain.car = keys.slice(0, n);
        const a = prepareRows(s, typed, n, new FeatureState(s));
        const b = prepareRows(s, plain, n, new FeatureState(s));
        assert.equal(a.problems, b.problems);
        assert.equal(Array.from(a.index), Array.from(b.index));
        assert.equal(new Uint32Array(a.matrix.slice().buffer), new Uint32Array(b.matrix.slice().buffer));
        // In blocks: the same as one call.
        const half = n >> 1;
        const p1 = prepareRows(s, typed, half, new FeatureState(s));
        const p2 = prepareRows(s, typed, n - half, new FeatureState(s), undefined, undefined, half);
        assert.equal([...p1.problems, ...p2.problems], b.problems);
        assert.equal([...p1.index, ...Array.from(p2.index, (i) => i + half)], Array.from(b.index));
        assert.equal([...p1.matrix, ...p2.matrix].map((v) => Object.is(v, -0) ? 0 : v), Array.from(b.matrix, (v) => Object.is(v, -0) ? 0 : v));
      },
    ),
    { numRuns: 400 },
  );
});

test('float columns with every reading present and in range (the one-pass path): the bits of the row loop', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 20 }).chain((width) =>
        fc.record({
          width: fc.constant(width),
          rows: fc.array(fc.array(fc.double({ min: -3e38, max: 3e38, noNaN: true }), { minLength: width, maxLength: width }), { maxLength: 600 }),
          scale: fc.array(fc.double({ min: 1e-3, max: 1e3, noNaN: true }), { minLength: width, maxLength: width }),
          order: fc.shuffledSubarray(Array.from({ length: width }, (_, i) => i), { minLength: width }),
          f32: fc.boolean(),
        }),
      ),
      ({ width, rows, scale, order, f32 }) => {
        const s = spec(width, false, order.map(() => 1.5), scale, order);
        const typed: Record<string, ArrayLike<unknown>> = {};
        const plain: Record<string, ArrayLike<unknown>> = {};
        for (let i = 0; i < width; i++) {
          typed[`x${i}`] = f32 ? Float32Array.from(rows, (r) => r[i]) : Float64Array.from(rows, (r) => r[i]);
          plain[`x${i}`] = Array.from(typed[`x${i}`] as Float64Array);
        }
        const a = prepareRows(s, typed, rows.length, new FeatureState(s));
        const b = prepareRows(s, plain, rows.length, new FeatureState(s));
        assert.equal(a.problems, b.problems);
        assert.equal(Array.from(a.index), Array.from(b.index));
        assert.equal(new Uint32Array(a.matrix.slice().buffer), new Uint32Array(b.matrix.slice().buffer));
      },
    ),
    { numRuns: 300 },
  );
});

test.run();
