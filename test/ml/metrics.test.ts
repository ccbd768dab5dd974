import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bestThreshold, confusion, evaluateScores, meanStd, percentile, rocAuc } from '../../sdk/ml/metrics';
import { computeThreshold } from '../../sdk/ml/threshold';
import { MinMaxScaler, StandardScaler } from '../../sdk/ml/scaler';

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} != ${b}`);

test('percentile interpolates like numpy and ignores NaN', () => {
  const v = [1, 2, 3, 4, NaN, 5];
  close(percentile(v, 50), 3);
  close(percentile(v, 90), 4.6);
  close(percentile(v, 100), 5);
  close(percentile(v, 0), 1);
  assert.throws(() => percentile(v, 101), /between 0 and 100/);
  const { mean, std } = meanStd([2, 4, 4, 4, 5, 5, 7, 9]);
  close(mean, 5);
  close(std, 2);
});

test('confusion, precision, recall, F1 with score > threshold', () => {
  const scores = [0.1, 0.4, 0.35, 0.8, 0.5];
  const labels = [0, 0, 1, 1, 1];
  assert.equal(confusion(scores, labels, 0.4), { tp: 2, fp: 0, tn: 2, fn: 1 });
  const m = evaluateScores(scores, labels, 0.3);
  assert.equal(m.confusion, { tp: 3, fp: 1, tn: 1, fn: 0 });
  close(m.precision, 0.75);
  close(m.recall, 1);
  close(m.f1, 2 * 0.75 / 1.75);
  assert.throws(() => confusion([1], [1, 0], 0), /1 scores but 2 labels/);
});

test('ROC-AUC by rank statistic, ties count half', () => {
  close(rocAuc([0.1, 0.2, 0.3, 0.4], [0, 0, 1, 1]), 1);
  close(rocAuc([0.4, 0.3, 0.2, 0.1], [0, 0, 1, 1]), 0);
  close(rocAuc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1]), 0.5);
  // pairs (pos, neg): (0.8 > 0.1), (0.8 > 0.4), (0.4 = 0.4: 1/2), (0.4 > 0.1)  => 3.5 / 4
  close(rocAuc([0.1, 0.4, 0.4, 0.8], [0, 0, 1, 1]), 0.875);
  assert.ok(Number.isNaN(rocAuc([0.1, 0.2], [0, 0])));
});

test('per-kind figures count the normal rows as the negatives', () => {
  const scores = [0.1, 0.2, 0.9, 0.3, 0.95, 0.15];
  const labels = [0, 0, 1, 1, 1, 0];
  const types = ['none', 'none', 'spike', 'stuck', 'spike', 'none'];
  const m = evaluateScores(scores, labels, 0.5, types);
  assert.equal(Object.keys(m.perType!), ['spike', 'stuck']);
  assert.equal(m.perType!.spike, { count: 2, detected: 2, recall: 1, precision: 1, f1: 1, auc: 1 });
  assert.is(m.perType!.stuck.detected, 0);
  close(m.perType!.stuck.auc, 1);
});

test('bestThreshold finds the F1-optimal cut, reproducible with score > threshold', () => {
  const scores = [0.1, 0.2, 0.3, 0.6, 0.7, 0.25, 0.9];
  const labels = [0, 0, 0, 1, 1, 1, 1];
  const b = bestThreshold(scores, labels);
  const m = evaluateScores(scores, labels, b.threshold);
  close(m.f1, b.f1);
  assert.ok(b.threshold > 0.2 && b.threshold < 0.25, String(b.threshold));
  const strict = bestThreshold(scores, labels, { minPrecision: 1 });
  assert.is(strict.precision, 1);
  assert.is(evaluateScores(scores, labels, strict.threshold).confusion.fp, 0);
});

test('thresholds from a percentile, mean + k std, or a value', () => {
  const errors = Array.from({ length: 1000 }, (_, i) => i / 1000);
  close(computeThreshold(errors, { percentile: 99.5 }).value, percentile(errors, 99.5));
  const { mean, std } = meanStd(errors);
  const k = computeThreshold(errors, { k: 3 });
  assert.is(k.method, 'k');
  close(k.value, mean + 3 * std);
  assert.is(computeThreshold(errors, { value: 0.5 }).value, 0.5);
  assert.throws(() => computeThreshold(errors, { percentile: 0 }), /percentile/);
  assert.throws(() => computeThreshold([], { k: 3 }), /No rows/);
});

test('scalers fit, transform and invert', () => {
  const m = [1, 10, 3, 30];
  const s = new StandardScaler().fit(m, 2);
  assert.equal(Array.from(s.transform(m)), [-1, -1, 1, 1]);
  assert.equal(Array.from(s.inverse(s.transform(m))), m);
  const mm = new MinMaxScaler();
  assert.equal(Array.from(mm.fitTransform(m, 2)), [0, 0, 1, 1]);
  assert.throws(() => new StandardScaler().transform(m), /not fitted/);
});

test.run();
