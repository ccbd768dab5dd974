/**
 * Scoring's SIMD forward pass against tfjs: on random dense ReLU/linear networks (sizes, weights
 * and inputs drawn by fast-check) both give the same reconstructions and scores within 1e-5;
 * the Scorer picks it only for networks of that shape, follows the model's weights when they
 * change, and KAFKALAB_SCORE_ENGINE / `engine` choose tfjs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { plainSpec } from './plain-spec';
import { FeatureState, forward, initBackend, Scorer, tf } from '../../../sdk/runtime';

function network(sizes: number[], activation: string, output: string): tf.LayersModel {
  const model = tf.sequential();
  sizes.slice(1).forEach((units, i) =>
    model.add(tf.layers.dense({ units, inputShape: i === 0 ? [sizes[0]] : undefined, activation: (i === sizes.length - 2 ? output : activation) as never })),
  );
  return model;
}


const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number) => {
  assert.is(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!(Math.abs(a[i] - b[i]) <= tol * Math.max(1, Math.abs(b[i])))) return `at ${i}: ${a[i]} vs ${b[i]}`;
  return undefined;
};

test('random ReLU/linear networks: SIMD forward pass and scores equal tfjs within 1e-5', async () => {
  await initBackend();
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: 1, max: 19 }), { minLength: 2, maxLength: 5 }),
      fc.integer({ min: 1, max: 2600 }),
      fc.integer({ min: 0, max: 1 << 30 }),
      async (sizes, rows, seed) => {
        const width = sizes[0];
        const model = network([...sizes, width], 'relu', 'linear');
        // Random weights of both signs (the initialiser's are small and one-sided for biases).
        let s = seed;
        const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
        model.setWeights(model.getWeights().map((w) => tf.tensor(Float32Array.from({ length: w.size }, rnd), w.shape)));
        const input = Float32Array.from({ length: rows * width }, () => rnd() * 3);
        const simd = new Scorer(plainSpec(width), model, undefined, 'auto');
        const plain = new Scorer(plainSpec(width), model, undefined, 'tfjs');
        assert.is(simd.engine, 'simd');
        assert.is(plain.engine, 'tfjs');
        const a = simd.reconstruct(input, rows);
        const b = forward(model, input, rows, width);
        assert.is(close(a, b, 1e-5), undefined);
        const cols: Record<string, Float64Array> = {};
        for (let f = 0; f < width; f++) cols[`f${f}`] = Float64Array.from({ length: rows }, (_, r) => input[r * width + f]);
        const sa = simd.scoreRows(cols, rows, new FeatureState(simd.spec));
        const sb = plain.scoreRows(cols, rows, new FeatureState(plain.spec));
        assert.is(close(sa.scores, sb.scores, 1e-5), undefined);
        assert.is(close(sa.errors, sb.errors, 1e-5), undefined);
        model.dispose();
      },
    ),
    { numRuns: 25 },
  );
});

test('other shapes run on tfjs; a change of weights is followed', async () => {
  await initBackend();
  const tanh = network([6, 4, 6], 'tanh', 'linear');
  assert.is(new Scorer(plainSpec(6), tanh).engine, 'tfjs');
  const sigmoidOut = network([6, 4, 6], 'relu', 'sigmoid');
  assert.is(new Scorer(plainSpec(6), sigmoidOut).engine, 'tfjs');
  const model = network([6, 4, 6], 'relu', 'linear');
  const scorer = new Scorer(plainSpec(6), model);
  assert.is(scorer.engine, 'simd');
  const input = Float32Array.from({ length: 60 }, (_, i) => Math.sin(i));
  const before = scorer.reconstruct(input, 10);
  model.setWeights(model.getWeights().map((w) => tf.mul(w, 2)));
  const after = scorer.reconstruct(input, 10);
  assert.is(close(after, forward(model, input, 10, 6), 1e-5), undefined);
  assert.ok(close(after, before, 1e-3) !== undefined, 'the new weights are used');
  process.env.KAFKALAB_SCORE_ENGINE = 'tfjs';
  try {
    assert.is(new Scorer(plainSpec(6), model).engine, 'tfjs');
  } finally {
    delete process.env.KAFKALAB_SCORE_ENGINE;
  }
  [tanh, sigmoidOut, model].forEach((m) => m.dispose());
});

test.run();
