import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Autoencoder } from '../../sdk/ml/autoencoder';
import { backend, tf } from '../../sdk/runtime/score/backend';
import { addWindowFeatures } from '../../sdk/ml/features';
import { CAR_FEATURES, carReadings } from '../../sdk/ingest/simulator';
import { frameFromRecords } from '../../sdk/frame/dataframe';

const records = carReadings({ cars: 5, readingsPerCar: 600, seed: 21, anomalyRate: 0 });
const df = frameFromRecords(records as never);
const small = { features: ['coolant_temp', 'engine_vibration_amplitude', 'speed', 'accel_fl', 'accel_fr'], layers: [4, 2, 4] };

function probe(env: Record<string, string>): { predicted?: string; name?: string; error?: string } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures/backend-probe.ts')], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!);
}

test('backend: wasm by default here, KAFKALAB_BACKEND forces one, a wrong name says what to do', () => {
  assert.is(backend(), 'wasm');
  assert.equal(probe({ KAFKALAB_BACKEND: 'cpu' }), { predicted: 'cpu', name: 'cpu' });
  assert.equal(probe({ KAFKALAB_BACKEND: '' }), { predicted: 'wasm', name: 'wasm' });
  assert.match(probe({ KAFKALAB_BACKEND: 'tensorflow' }).error!, /npm install @tensorflow\/tfjs-node/);
  assert.match(probe({ KAFKALAB_BACKEND: 'gpu' }).error!, /use one of tensorflow, wasm, cpu/);
});

test('same seed and data give the same weights and scores; another seed does not', async () => {
  const fit = async (seed: number) => {
    const ae = new Autoencoder({ ...small, seed });
    await ae.fit(df, { epochs: 2, batchSize: 128 });
    const scores = await ae.score(df);
    const weights = ae.model.getWeights().map((w) => Array.from(w.dataSync()));
    ae.dispose();
    return { scores, weights };
  };
  const a = await fit(7);
  const b = await fit(7);
  const c = await fit(8);
  assert.equal(a.weights, b.weights);
  assert.ok(Buffer.from(a.scores.buffer).equals(Buffer.from(b.scores.buffer)));
  assert.not.equal(a.weights, c.weights);
});

test('records and column objects work like frames; a misspelt column gets a suggestion', async () => {
  const ae = new Autoencoder({ ...small, seed: 1 });
  await ae.fit(records as never, { epochs: 1 });
  const fromFrame = await ae.score(df);
  const cols: Record<string, number[]> = {};
  for (const f of small.features) cols[f] = records.map((r) => (r as unknown as Record<string, number>)[f]);
  assert.equal(Array.from(await ae.score(cols)), Array.from(fromFrame));
  assert.equal(Array.from(await ae.score(records as never)), Array.from(fromFrame));
  assert.throws(() => ae.scoreSync({ coolant_tmp: [1] }), /Column "coolant_temp" is not in the data \(did you mean "coolant_tmp"\?\)/);
  ae.dispose();
});

test('options are checked, and an unfitted model says how to fit it', async () => {
  assert.throws(() => new Autoencoder({ activation: 'rellu' as never }), /activation "rellu" is not supported; use one of relu/);
  assert.throws(() => new Autoencoder({ layers: [4, 0] }), /positive integers/);
  assert.throws(() => new Autoencoder().threshold, /not trained yet; call `await ae.fit\(df\)`/);
  const ae = new Autoencoder(small);
  await ae.fit(df, { threshold: { percentile: 0 } }).then(
    () => assert.unreachable('trained with a bad threshold rule'),
    (err: Error) => assert.match(err.message, /percentile must be in \(0, 100\], got 0; e\.g\. threshold: \{ percentile: 99\.5 \}/),
  );
  assert.is(ae.fitted, false);
});

test('early stopping restores the best weights; l2, dropout and tanh train; no tensor leaks across fits', async () => {
  const before = tf.memory().numTensors;
  const ae = new Autoencoder({ ...small, seed: 3, activation: 'tanh', l2: 1e-4, dropout: 0.1 });
  const h = await ae.fit(df, { epochs: 30, batchSize: 64, earlyStopping: { patience: 1, minDelta: 0.5 }, threshold: { k: 3 } });
  assert.is(h.stopReason, 'earlyStopping');
  assert.is(h.epochs, 2);
  assert.is(h.bestEpoch, 1);
  assert.is(ae.spec.threshold.method, 'k');
  assert.ok(Math.abs(ae.threshold - (ae.spec.threshold.mean! + 3 * ae.spec.threshold.std!)) < 1e-9);
  ae.threshold = 0.25;
  assert.equal(ae.spec.threshold.value, 0.25);
  const epochsSeen: number[] = [];
  await ae.fit(df, { epochs: 3, onEpoch: (p) => void epochsSeen.push(p.epoch) });
  assert.equal(epochsSeen, [1, 2, 3]);
  ae.dispose();
  assert.is(tf.memory().numTensors, before);
});

test('stateful scoring of consecutive micro-batches equals scoring them as one frame; load errors say what to do', async () => {
  const ae = new Autoencoder({ ...small, windows: [{ field: 'speed', size: 8, stats: ['mean', 'run'] }], seed: 2 });
  await ae.fit(df, { epochs: 1 });
  const whole = await ae.score(records as never);
  const first = await ae.score(records.slice(0, 1234) as never, { stateful: true });
  const rest = await ae.score(records.slice(1234) as never, { stateful: true });
  assert.equal([...first, ...rest], Array.from(whole));
  const fresh = await ae.score(records.slice(1234) as never);
  assert.not.equal(Array.from(fresh), Array.from(rest), 'a fresh window state differs at the start');
  ae.resetState();
  assert.equal(Array.from(await ae.score(records.slice(0, 1234) as never, { stateful: true })), Array.from(first));
  ae.dispose();
  await Autoencoder.load(join(__dirname, 'fixtures')).then(
    () => assert.unreachable('loaded a folder without a model'),
    (err: Error) => assert.match(err.message, /Cannot load .*pipeline\.json .*; pass a folder written by `await ae.save\(dir\)`/),
  );
});

test('addWindowFeatures adds per-car rolling columns to a frame', () => {
  const out = addWindowFeatures(df, [{ field: 'engine_vibration_amplitude', size: 5, stats: ['mean', 'peak'] }]);
  const cols = out.columns as string[];
  assert.ok(cols.includes('engine_vibration_amplitude_mean_5') && cols.includes('engine_vibration_amplitude_peak_5'));
  const rows = out.values as unknown[][];
  const car = records[0].carId;
  const idx = records.map((r, i) => (r.carId === car ? i : -1)).filter((i) => i >= 0).slice(0, 5);
  const vib = idx.map((i) => records[i].engine_vibration_amplitude);
  const mean = vib.reduce((a, b) => a + b, 0) / 5;
  assert.ok(Math.abs((rows[idx[4]][cols.indexOf('engine_vibration_amplitude_mean_5')] as number) - mean) < 1e-5);
  assert.is(CAR_FEATURES.length, 16);
});

test.run();
