/**
 * The sequence autoencoder: the same fit/score/predict/evaluate/save/publish API as the dense
 * one, windows per key continued across stateful calls, its scores identical after save/load
 * (TensorFlow.js layers format) and through a published model version; the fused trainer's
 * loss curve and weights follow tfjs's from the same start over the same batches.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Autoencoder, carReadings, CAR_FEATURES } from '../../sdk';
import { buildSequenceNetwork, sequenceLayers, trainSequence } from '../../sdk/ml/sequence';
import { decodeModelVersion, encodeModelVersion, loadModel, modelArtifacts, modelVersionOf, Scorer, SequenceState } from '../../sdk/runtime';

type Row = Record<string, unknown>;
const rows = (seed: number, n: number, rate: number, firstCar = 1) => carReadings({ cars: 8, readingsPerCar: n, anomalyRate: rate, seed, firstCar }) as unknown as Row[];

test('SequenceState: each key its own window, oldest first, the first reading repeated in front until there are enough', () => {
  const s = new SequenceState(3, 2);
  const out = new Float32Array(6);
  s.push('a', [1, 10], 0, out, 0);
  assert.equal(Array.from(out), [1, 10, 1, 10, 1, 10]);
  s.push('b', [7, 70], 0, out, 0);
  assert.equal(Array.from(out), [7, 70, 7, 70, 7, 70]);
  s.push('a', [2, 20], 0, out, 0);
  assert.equal(Array.from(out), [1, 10, 1, 10, 2, 20]);
  s.push('a', [3, 30], 0, out, 0);
  s.push('a', [4, 40], 0, out, 0);
  assert.equal(Array.from(out), [2, 20, 3, 30, 4, 40]);
  const copy = new SequenceState(3, 2);
  assert.ok(copy.inherit(s));
  copy.push('a', [5, 50], 0, out, 0);
  assert.equal(Array.from(out), [3, 30, 4, 40, 5, 50]);
  assert.not.ok(new SequenceState(4, 2).inherit(s));
});

test('fused and tfjs training of a sequence network: the same per-epoch losses and final weights, every activation', async () => {
  const spec = { features: CAR_FEATURES.slice(0, 5), sequence: { length: 6 } } as never;
  const span = 6 * 5;
  let s = 7;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  // Smooth windows with noise: something to learn.
  const train = Float32Array.from({ length: 600 * span }, (_, i) => Math.sin(i / 7) + 0.3 * rnd());
  for (const activation of ['relu', 'tanh', 'elu'] as const) {
    const net = () => buildSequenceNetwork(6, 5, { filters: 4, bottleneck: 7, activation, seed: 11 });
    const a = net();
    const b = net();
    assert.equal(sequenceLayers(b), [
      { inputs: 5, units: 4, activation, repeat: 6 },
      { inputs: 24, units: 7, activation },
      { inputs: 7, units: 30, activation: 'linear' },
    ]);
    const o = { epochs: 4, batchSize: 64, learningRate: 3e-3, shuffle: true, seed: 5 };
    const ha = await trainSequence(a, spec, train, new Float32Array(0), { ...o, trainer: 'tfjs' });
    const hb = await trainSequence(b, spec, train, new Float32Array(0), { ...o, trainer: 'fused' });
    assert.is(ha.trainer, 'tfjs');
    assert.is(hb.trainer, 'fused');
    assert.ok(hb.loss[3] < hb.loss[0] * 0.9, `${activation}: loss falls ${hb.loss}`);
    hb.loss.forEach((l, i) => assert.ok(Math.abs(l - ha.loss[i]) <= 1e-4 * ha.loss[i], `${activation} epoch ${i + 1}: fused ${l} vs tfjs ${ha.loss[i]}`));
    const wa = a.getWeights().map((w) => Array.from(w.dataSync()));
    const wb = b.getWeights().map((w) => Array.from(w.dataSync()));
    wa.forEach((w, i) => w.forEach((v, j) => assert.ok(Math.abs(v - wb[i][j]) <= 1e-4 * Math.max(1, Math.abs(v)), `${activation} weight ${i}[${j}]: ${wb[i][j]} vs ${v}`)));
    a.dispose();
    b.dispose();
  }
});

test('fit, score, predict, evaluate, explain; stateful batches score as one frame; save/load and a published version score the same', async () => {
  const ae = new Autoencoder({ features: [...CAR_FEATURES], key: 'carId', sequence: { length: 8, filters: 8, bottleneck: 12 }, seed: 3 });
  const h = await ae.fit(rows(1, 400, 0), { epochs: 2, batchSize: 128 });
  assert.is(h.trainer, 'fused');
  assert.is(h.loss.length, 2);
  assert.ok(h.loss[1] < h.loss[0], `loss falls: ${h.loss}`);
  assert.equal(ae.spec.sequence, { length: 8 });
  assert.is(ae.spec.model.kind, 'sequence');
  assert.ok(Number.isFinite(ae.threshold) && ae.threshold > 0);

  const test = rows(2, 150, 0.05, 50);
  const scores = await ae.score(test);
  assert.is(scores.length, test.length);
  assert.ok(scores.every((s) => Number.isFinite(s) && s >= 0));
  const half = Math.floor(test.length / 2);
  ae.resetState();
  const a = await ae.score(test.slice(0, half), { stateful: true });
  const b = await ae.score(test.slice(half), { stateful: true });
  assert.equal([...a, ...b], Array.from(scores), 'windows continue across stateful calls');
  const fresh = await ae.score(test.slice(half));
  assert.not.equal(Array.from(fresh), Array.from(b), 'a fresh state starts the windows again');

  const e = ae.evaluate(test, { label: 'anomaly' });
  assert.ok(e.auc > 0.5, `AUC ${e.auc}`);
  const predicted = await ae.predict(test, { top: 2 });
  assert.equal(predicted['score'].values, Array.from(scores));
  const explained = await ae.explain(test.slice(0, 50), { top: 2 });
  const shares = explained[10].top.map((t) => t.share);
  assert.ok(shares.every((x) => x > 0 && x <= 1), String(shares));

  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kafkalab-seq-'));
  try {
    await ae.save(dir);
    const json = JSON.parse(await fs.readFile(path.join(dir, 'model.json'), 'utf8'));
    assert.is(json.format, 'layers-model');
    assert.is((await loadModel(dir)).inputs[0].shape.join(), ',8,16', 'tfjs reads the saved layers model');
    const again = await Autoencoder.load(dir);
    assert.equal(Array.from(await again.score(test)), Array.from(scores), 'bit-identical after save/load');
    const scorer = await Scorer.load(dir);
    const cols = Object.fromEntries(Object.keys(test[0]).map((n) => [n, test.map((r) => r[n])]));
    assert.equal(Array.from(scorer.scoreRows(cols, test.length, scorer.newState()).scores), Array.from(scores), 'the runtime scorer (the app\'s) agrees');
    const v = decodeModelVersion(encodeModelVersion(modelVersionOf(ae.spec, await modelArtifacts(ae.model))));
    const published = await Scorer.fromVersion(v);
    assert.equal(Array.from(published.scoreRows(cols, test.length, published.newState()).scores), Array.from(scores), 'and through a published version');
    again.dispose();
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
  await ae.fit([], {}).then(() => assert.unreachable(), (err: Error) => assert.match(err.message, /Cannot train on 0 row/));
  ae.dispose();
});

test('options are checked', () => {
  assert.throws(() => new Autoencoder({ sequence: { length: 1 } }), /sequence\.length/);
  assert.throws(() => new Autoencoder({ sequence: { lenght: 4 } as never }), /sequence\.lenght/);
  assert.throws(() => new Autoencoder({ sequence: { length: 4 }, dropout: 0.1 }), /dropout/);
});

test('a stream cannot train a sequence model', async () => {
  const ae = new Autoencoder({ features: [...CAR_FEATURES], sequence: { length: 4 } });
  async function* stream() {
    yield rows(1, 10, 0);
  }
  await ae.fit(stream()).then(() => assert.unreachable(), (err: Error) => assert.match(err.message, /trains from a table/));
});

test.run();
