import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  FeatureState, PipelineSpec, checkPipeline, featureMatrix, featureErrors, fitScaler, recordsMatrix, rowScores,
  scaleInPlace, topFeatures, recordProblem, windowFeatureNames, PIPELINE_VERSION,
} from '../../../sdk/runtime';

function spec(): PipelineSpec {
  const windows = [{ field: 'vib', size: 3, stats: ['mean', 'std', 'peak', 'diff'] as const }].map((w) => ({ ...w, stats: [...w.stats] }));
  const features = ['vib', 'temp', ...windowFeatureNames(windows)];
  return {
    version: PIPELINE_VERSION, key: 'car', inputs: [{ name: 'vib', fill: 0 }, { name: 'temp', fill: -1 }], windows, features,
    scaler: { kind: 'none', offset: features.map(() => 0), scale: features.map(() => 1) },
    threshold: { value: 1, method: 'fixed' },
    model: { format: 'tfjs-layers', path: 'model.json', inputSize: features.length, layers: [2], activation: 'relu', outputActivation: 'linear' },
    schema: { fields: [{ name: 'car', type: 'string' }, { name: 'vib', type: 'number' }, { name: 'temp', type: 'number' }] },
  };
}

test('windowed features are per key, over the last N readings, with fills for missing values', () => {
  const s = checkPipeline(spec());
  const recs = [
    { car: 'a', vib: 1, temp: 10 }, { car: 'b', vib: 100, temp: 20 }, { car: 'a', vib: 3, temp: null },
    { car: 'a', vib: '5', temp: 'x' }, { car: 'a', vib: 7, temp: 11 },
  ];
  const m = recordsMatrix(s, recs);
  const nf = s.features.length;
  const row = (r: number) => Array.from(m.subarray(r * nf, (r + 1) * nf));
  assert.equal(row(0), [1, 10, 1, 0, 1, 0]);
  assert.equal(row(1), [100, 20, 100, 0, 100, 0]); // b has its own state
  assert.equal(row(2).slice(0, 3), [3, -1, 2]);
  assert.is(row(2)[5], 2);
  assert.equal(row(4).slice(0, 3), [7, 11, 5]); // window a: 3,5,7
  assert.ok(Math.abs(row(4)[3] - Math.fround(Math.sqrt(8 / 3))) < 1e-6);
  assert.is(row(4)[4], 7);
});

test('run counts the latest identical readings, capped at the window size', () => {
  const s = { ...spec(), windows: [{ field: 'vib', size: 4, stats: ['run' as const, 'range' as const] }] };
  s.features = ['vib', ...windowFeatureNames(s.windows)];
  s.scaler = { kind: 'none', offset: [0, 0, 0], scale: [1, 1, 1] };
  s.model = { ...s.model, inputSize: 3 };
  const vib = [5, 5, 5, 2, 2, 2, 2, 2, 2, 3];
  const m = recordsMatrix(checkPipeline(s), vib.map((v) => ({ car: 'a', vib: v })));
  assert.equal(vib.map((_, i) => m[i * 3 + 1]), [1, 2, 3, 1, 2, 3, 4, 4, 4, 1]);
  assert.equal(vib.map((_, i) => m[i * 3 + 2]), [0, 0, 0, 3, 3, 3, 0, 0, 0, 1]);
});

test('offline columns and online records give the same matrix, also across micro-batches', () => {
  const s = spec();
  const recs = Array.from({ length: 50 }, (_, i) => ({ car: `c${i % 4}`, vib: Math.sin(i) * 10, temp: i % 7 === 0 ? null : i }));
  const online = recordsMatrix(s, recs);
  const cols = { car: recs.map((r) => r.car), vib: recs.map((r) => r.vib), temp: recs.map((r) => r.temp) };
  assert.equal(Array.from(featureMatrix(s, cols, recs.length)), Array.from(online));
  const state = new FeatureState(s);
  const half = (a: unknown[], from: number, to: number) => a.slice(from, to);
  const m1 = featureMatrix(s, { car: half(cols.car, 0, 20), vib: half(cols.vib, 0, 20), temp: half(cols.temp, 0, 20) }, 20, state);
  const m2 = featureMatrix(s, { car: half(cols.car, 20, 50), vib: half(cols.vib, 20, 50), temp: half(cols.temp, 20, 50) }, 30, state);
  assert.equal([...m1, ...m2], Array.from(online));
});

test('scalers, errors, scores and top features', () => {
  const m = new Float32Array([0, 10, 2, 30, 4, 50]);
  const st = fitScaler('standard', m, 2);
  assert.equal(st.offset, [2, 30]);
  const mm = fitScaler('minmax', m, 2);
  assert.equal(mm.scale, [4, 40]);
  const scaled = scaleInPlace(mm, m.slice());
  assert.equal(Array.from(scaled), [0, 0, 0.5, 0.5, 1, 1]);
  const constant = fitScaler('standard', new Float32Array([5, 5, 5]), 1);
  assert.equal(constant.scale, [1]);
  const out = new Float32Array([0, 1, 0.5, 0.5, 0, 1]);
  assert.equal(Array.from(rowScores(scaled, out, 2)), [0.5, 0, 0.5]);
  const fe = featureErrors(scaled, out);
  assert.equal(Array.from(fe), [0, 1, 0, 0, 1, 0]);
  assert.equal(topFeatures(fe, 2, 2, 1), [0]);
});

test('record problems and pipeline checks', () => {
  const s = spec();
  assert.is(recordProblem(s, { car: 'a', vib: 1 }), undefined);
  assert.match(recordProblem(s, [1])!, /no "car"/); // not an object: the one cell `value`, as read() makes it
  assert.match(recordProblem(s, { car: 'a', vib: null, temp: null })!, /none of the model inputs/); // null is missing
  assert.match(recordProblem(s, { car: 'a', vib: 1e39 })!, /"vib" is 1e\+39, beyond the float32 range/);
  assert.is(recordProblem(s, { car: 'a', vib: 'x' }), undefined); // present, not numeric: the fill
  assert.match(recordProblem(s, { vib: 1 })!, /no "car"/);
  assert.match(recordProblem(s, { car: 'a', other: 1 })!, /none of the model inputs/);
  assert.throws(() => checkPipeline({ ...s, version: 99 }), /version 99/);
  assert.throws(() => checkPipeline({ ...s, features: [...s.features, 'nope'], scaler: { kind: 'none', offset: [...s.scaler.offset, 0], scale: [...s.scaler.scale, 1] }, model: { ...s.model, inputSize: s.features.length + 1 } }), /"nope"/);
});

test.run();
