/**
 * Drift: decile bins of the training features, PSI of live rows against them, the sliding
 * window; checked on arbitrary matrices (fast-check) and on the car simulator's fleets.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { binOf, DriftMonitor, featureDistribution, psi, FeatureState, type PipelineSpec } from '../../../sdk/runtime';
import { Autoencoder, carReadings, CAR_FEATURES } from '../../../sdk';
import { plainSpec } from './plain-spec';

function specWith(matrix: Float32Array, width: number): PipelineSpec {
  return { ...plainSpec(width), distribution: featureDistribution(matrix, width) };
}

test('binOf counts the edges strictly below a value; NaN goes last', () => {
  const edges = [0, 1, 2];
  assert.equal([-1, 0, 0.5, 1, 1.5, 2, 3, NaN].map((v) => binOf(edges, v)), [0, 0, 1, 1, 2, 2, 3, 3]);
  assert.is(binOf([], 5), 0);
});

test('bins: ascending distinct edges, fractions summing to 1 that the training rows themselves reproduce (PSI 0)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 4 }),
      fc.array(fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constantFrom(0, 1, 1, 1, 2)), { minLength: 1, maxLength: 400 }),
      (width, values) => {
        const rows = Math.floor(values.length / width);
        if (rows === 0) return;
        const m = Float32Array.from(values.slice(0, rows * width));
        const d = featureDistribution(m, width);
        assert.is(d.features.length, width);
        for (const b of d.features) {
          for (let i = 1; i < b.edges.length; i++) assert.ok(b.edges[i] > b.edges[i - 1]);
          assert.is(b.fractions.length, b.edges.length + 1);
          assert.ok(Math.abs(b.fractions.reduce((a, x) => a + x, 0) - 1) < 1e-9);
          assert.ok(b.fractions.every((x) => x > 0), `an empty bin: ${b.fractions}`);
        }
        const mon = new DriftMonitor(specWith(m, width), Infinity);
        mon.observe(m, rows);
        for (const v of mon.values()) assert.ok(Math.abs(v) < 1e-12, String(v));
      },
    ),
    { numRuns: 200 },
  );
});

test('PSI grows with a shift, and is the textbook sum on a known case', () => {
  // expected 50/50, observed 80/20: (0.8-0.5)ln(0.8/0.5) + (0.2-0.5)ln(0.2/0.5)
  assert.ok(Math.abs(psi([0.5, 0.5], [80, 20]) - (0.3 * Math.log(1.6) + -0.3 * Math.log(0.4))) < 1e-12);
  assert.is(psi([0.5, 0.5], [0, 0]), 0);
  const normal = (seed: number, n: number, shift: number) => {
    let s = seed;
    const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647);
    return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd()) + shift);
  };
  const spec = specWith(normal(1, 20_000, 0), 1);
  const at = (shift: number) => {
    const mon = new DriftMonitor(spec, Infinity);
    mon.observe(normal(2, 20_000, shift), 20_000);
    return mon.values()[0];
  };
  const psis = [0, 0.1, 0.3, 1].map(at);
  assert.ok(psis[0] < 0.01, `same distribution: ${psis[0]}`);
  for (let i = 1; i < psis.length; i++) assert.ok(psis[i] > psis[i - 1], psis.join());
  assert.ok(psis[3] > 0.25, `one standard deviation: ${psis[3]}`);
});

test('the window keeps the latest window..2 x window rows: old traffic ages out', () => {
  const train = Float32Array.from({ length: 1000 }, (_, i) => i / 1000);
  const mon = new DriftMonitor(specWith(train, 1), 100);
  mon.observe(Float32Array.from({ length: 500 }, () => 5), 500); // far off: all in the last bin
  assert.ok(mon.values()[0] > 1);
  mon.observe(Float32Array.from({ length: 200 }, (_, i) => (i % 100) / 100 + 0.005), 200); // like training again
  assert.is(mon.rows, 100, 'the full half rotated out, the new one is empty');
  assert.ok(mon.values()[0] < 0.05, String(mon.values()[0]));
  assert.throws(() => new DriftMonitor({ ...specWith(train, 1), distribution: undefined }), /no training distribution/);
});

test('on the car simulator: held-out rows of the training fleet barely drift; another fleet does', async () => {
  const fleet = carReadings({ cars: 30, readingsPerCar: 1200, anomalyRate: 0, seed: 1 }) as unknown as Record<string, unknown>[];
  // Rows come car by car in turn: a random half (not every other row, which would be every other car).
  const pick = fleet.map((_, i) => Math.imul(i + 1, 2654435761) >>> 31);
  const train = fleet.filter((_, i) => pick[i] === 0);
  const heldOut = fleet.filter((_, i) => pick[i] === 1);
  const ae = new Autoencoder({ features: [...CAR_FEATURES], seed: 1 });
  await ae.fit(train, { epochs: 1 });
  assert.is(ae.spec.distribution!.features.length, CAR_FEATURES.length);
  const same = ae.drift(heldOut);
  const other = ae.drift(carReadings({ cars: 30, readingsPerCar: 1200, anomalyRate: 0, seed: 7, firstCar: 100 }) as unknown as Record<string, unknown>[]);
  assert.ok(same.max < 0.05, `held-out rows: ${same.max} (${same.feature})`);
  assert.ok(other.max > 0.1 && other.max > 5 * same.max, `another fleet: ${other.max} (${other.feature}) vs ${same.max}`);
  assert.is(same.rows, heldOut.length);
  ae.dispose();
});

test('window state carries to a pipeline with the same windows, not to another', () => {
  const base = specWith(new Float32Array(4), 1);
  const a = { ...base, key: 'k', inputs: [{ name: 'f0', fill: 0 }], windows: [{ field: 'f0', size: 3, stats: ['mean' as const] }], features: ['f0', 'f0_mean_3'] };
  const s1 = new FeatureState(a);
  const out = new Float32Array(2);
  s1.push('x', [3], out);
  s1.push('x', [6], out);
  const s2 = new FeatureState({ ...a, inputs: [{ name: 'f0', fill: 7 }] });
  assert.ok(s2.inherit(s1));
  s2.push('x', [9], out);
  assert.equal(Array.from(out), [9, 6]);
  s1.push('x', [100], out); // the copy is independent
  s2.push('x', [0], out);
  assert.equal(Array.from(out), [0, 5]);
  assert.not.ok(new FeatureState({ ...a, windows: [{ field: 'f0', size: 4, stats: ['mean'] }], features: ['f0', 'f0_mean_4'] }).inherit(s1));
});

test.run();
