/**
 * Threshold methods and the statistics under them: the generalized Pareto tail fit recovers known
 * parameters and extrapolates to rates the data barely covers; sigma, MAD and percentile rules;
 * the rule forms and their errors; the report (expected false alarms per hour).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fitParetoTail, medianMad, tailQuantile, tailRate, MAD_TO_SIGMA } from '../../sdk/ml/tail';
import { checkThresholdRule, computeThreshold, describeThreshold, DEFAULT_THRESHOLD } from '../../sdk/ml/threshold';
import { meanStd, percentile } from '../../sdk/ml/metrics';
import { mulberry32 } from '../../sdk/util/prng';

/** n draws from a GPD(ξ, σ) by inversion. */
function gpd(n: number, shape: number, scale: number, seed: number): Float64Array {
  const u = mulberry32(seed);
  return Float64Array.from({ length: n }, () => {
    const p = u();
    return Math.abs(shape) < 1e-12 ? -scale * Math.log(1 - p) : (scale / shape) * (Math.pow(1 - p, -shape) - 1);
  });
}

test('fitParetoTail recovers the shape and scale of generalized Pareto samples (PWM)', () => {
  for (const [shape, scale] of [[0, 1], [0.2, 2], [-0.2, 1], [0.4, 0.5]] as const) {
    // tailFraction 1: the whole sample is the tail (u at its minimum, near 0).
    const t = fitParetoTail(gpd(50_000, shape, scale, 7), 0.5);
    // Excesses over the median of a GPD are GPD with the same shape and scale σ + ξ·u.
    assert.ok(Math.abs(t.shape - shape) < 0.05, `shape ${t.shape} for ${shape}`);
    const expectedScale = scale + shape * t.threshold;
    assert.ok(Math.abs(t.scale - expectedScale) / expectedScale < 0.05, `scale ${t.scale} for ${expectedScale}`);
    assert.ok(Math.abs(t.rate - 0.5) < 0.01);
  }
});

test('EVT extrapolates a false-alarm rate far beyond what a percentile of the sample can see', () => {
  // Exponential(1) errors: the level exceeded with probability q is -ln q.
  const errors = gpd(5000, 0, 1, 3);
  for (const q of [1e-3, 1e-4, 1e-5]) {
    const spec = computeThreshold(errors, { method: 'evt', falseAlarmRate: q });
    assert.is(spec.method, 'evt');
    assert.ok(Math.abs(spec.value - -Math.log(q)) / -Math.log(q) < 0.15, `q ${q}: ${spec.value} vs ${-Math.log(q)}`);
    assert.is(spec.expected!.falseAlarmRate, q);
    assert.ok(spec.tail!.exceedances >= 20);
    // The fitted tail gives back the rate at the threshold.
    assert.ok(Math.abs(tailRate(spec.tail as never, spec.value) - q) / q < 1e-6);
  }
  // Higher target rates give lower thresholds; inside the data the empirical quantile is used.
  const a = computeThreshold(errors, { method: 'evt', falseAlarmRate: 1e-3 }).value;
  const b = computeThreshold(errors, { method: 'evt', falseAlarmRate: 1e-4 }).value;
  assert.ok(a < b);
  assert.is(computeThreshold(errors, { method: 'evt', falseAlarmRate: 0.2 }).value, percentile(errors, 80));
  const t = fitParetoTail(errors);
  assert.ok(tailQuantile(t, 1e-3) < tailQuantile(t, 1e-4));
});

test('sigma, MAD and percentile rules; the short forms still work', () => {
  const e = gpd(2000, 0.1, 1, 11);
  const { mean, std } = meanStd(e);
  const { median, mad } = medianMad(e);
  assert.is(computeThreshold(e, { method: 'sigma', k: 4 }).value, mean + 4 * std);
  assert.is(computeThreshold(e, { k: 4 }).value, mean + 4 * std);
  assert.is(computeThreshold(e, { k: 4 }).method, 'k');
  const m = computeThreshold(e, { method: 'mad', k: 8 });
  assert.is(m.value, median + 8 * MAD_TO_SIGMA * mad);
  assert.is(m.median, median);
  assert.is(computeThreshold(e, { percentile: 99 }).value, percentile(e, 99));
  assert.is(computeThreshold(e, { method: 'percentile', percentile: 99 }).value, percentile(e, 99));
  assert.is(computeThreshold(e, { value: 3 }).value, 3);
  // A few anomalies among the validation rows move mean + k·std a lot and the MAD rule hardly.
  const dirty = Float64Array.from([...e, ...new Array(20).fill(500)]);
  const moved = (r: Parameters<typeof computeThreshold>[1]) => computeThreshold(dirty, r).value / computeThreshold(e, r).value;
  assert.ok(moved({ method: 'sigma', k: 4 }) > 5);
  assert.ok(moved({ method: 'mad', k: 8 }) < 1.05);
  assert.equal(DEFAULT_THRESHOLD, { method: 'evt', falseAlarmRate: 3e-4 });
});

test('rules are checked with errors that say what to write', () => {
  assert.throws(() => checkThresholdRule({ method: 'evt' } as never), /\{ method: 'evt', falseAlarmRate \}/);
  assert.throws(() => checkThresholdRule({ method: 'evt', falseAlarmRate: 2 }), /falseAlarmRate must be in \(0, 1\), got 2/);
  assert.throws(() => checkThresholdRule({ method: 'evt', falseAlarmRate: 1e-3, tailFraction: 0.9 }), /tailFraction must be in \(0, 0.5\]/);
  assert.throws(() => checkThresholdRule({ method: 'mad', k: -1 }), /k must be >= 0/);
  assert.throws(() => checkThresholdRule({ method: 'gauss', k: 1 } as never), /threshold.method must be evt, sigma, mad, percentile, fixed/);
  assert.throws(() => checkThresholdRule({ method: 'sigma', k: 3, percentile: 9 } as never), /\{ method: 'sigma', k \}/);
  assert.throws(() => checkThresholdRule({ falseAlarmRate: 1e-3 } as never), /exactly one of percentile, k, value, or a \{ method \} rule/);
  assert.throws(() => checkThresholdRule({ method: 'evt', falseAlarmRat: 1e-3 } as never), /did you mean "falseAlarmRate"/);
  checkThresholdRule({ method: 'evt', falseAlarmRate: 1e-3, tailFraction: 0.1 });
});

test('the report: expected false alarms per hour at the observed row rate, and one line for people', () => {
  const e = gpd(4000, 0, 1, 5);
  const spec = computeThreshold(e, { percentile: 99.5 }, { rowsPerHour: 7200, validation: { by: 'time', fraction: 0.2, rows: 4000, column: 'ts' } });
  assert.ok(Math.abs(spec.expected!.falseAlarmRate - 0.005) < 0.001);
  assert.ok(Math.abs(spec.expected!.falseAlarmsPerHour! - 36) < 8);
  assert.equal(spec.validation, { by: 'time', fraction: 0.2, rows: 4000, column: 'ts' });
  // Beyond the sample's maximum the rate comes from the tail, not a count of zero.
  const high = computeThreshold(e, { value: 15 }, { rowsPerHour: 7200 });
  assert.ok(high.expected!.falseAlarmRate > 0 && high.expected!.falseAlarmRate < 1e-4, String(high.expected!.falseAlarmRate));
  const line = describeThreshold(computeThreshold(e, { method: 'evt', falseAlarmRate: 1e-4 }, { rowsPerHour: 7200, validation: { by: 'key', fraction: 0.2, rows: 800, keys: 4, totalKeys: 20 } }));
  assert.match(line, /^evt \(false-alarm rate 0.0001, GPD tail ξ -?\d\.\d\d σ [\d.]+ over \d+ errors\) → [\d.]+ from 800 rows of 4 of 20 keys held out; expected false alarms 0.010 % of normal rows, 0.72\/h at 7,200 rows\/h$/);
});

test.run();
