// Trained on normal simulator data, tested on a held-out mix of other cars with every kind of
// anomaly: the detection figures the README quotes, and save -> load giving identical scores.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Autoencoder } from '../../sdk/ml/autoencoder';
import { tf } from '../../sdk/runtime/score/backend';
import { bestThreshold } from '../../sdk/ml/metrics';
import { CAR_FEATURES, carReadings, ANOMALY_TYPES } from '../../sdk/ingest/simulator';
import { frameFromRecords } from '../../sdk/frame/dataframe';

const FROZEN_CANDIDATES = ['speed', 'throttle_pos', 'intake_air_flow', 'engine_vibration_amplitude', 'accel_fl', 'accel_fr', 'accel_rl', 'accel_rr'];

// Normal driving of 40 cars over 2000 s each (a full warm-up and several trips per car).
const train = frameFromRecords(carReadings({ cars: 40, readingsPerCar: 2000, seed: 7, anomalyRate: 0 }) as never);
// Held out: other cars (other seeds), each set with one kind of anomaly at 5% of readings.
const mixRecords = ANOMALY_TYPES.flatMap((kind, i) => carReadings({ cars: 8, readingsPerCar: 2000, seed: 300 + i, anomalyRate: 0.05, anomalyTypes: [kind], firstCar: 1 + 8 * i }));
const mix = frameFromRecords(mixRecords as never);
const dir = mkdtempSync(join(tmpdir(), 'kafkalab-ml-'));
let ae: Autoencoder;

test.after(() => {
  ae?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test('an autoencoder trained on normal data detects the anomalies of a held-out mix', async () => {
  ae = new Autoencoder({
    features: [...CAR_FEATURES],
    windows: FROZEN_CANDIDATES.map((field) => ({ field, size: 10, stats: ['run'] })),
    layers: [21, 11, 21],
    activation: 'elu',
    seed: 1,
  });
  const history = await ae.fit(train, { epochs: 15, batchSize: 256, validationSplit: 0.1, threshold: { percentile: 99.9 } });
  assert.is(history.loss.length, 15);
  assert.ok(history.valLoss.at(-1)! < history.valLoss[0], 'validation loss falls');
  assert.ok(history.rowsPerSec > 0);

  const ev = ae.evaluate(mix);
  const per = ev.perType!;
  const line = (k: string) => `${k}: f1 ${per[k].f1.toFixed(3)} recall ${per[k].recall.toFixed(3)} precision ${per[k].precision.toFixed(3)} (${per[k].count} rows)`;
  console.log(`overall: f1 ${ev.f1.toFixed(3)} precision ${ev.precision.toFixed(3)} recall ${ev.recall.toFixed(3)} auc ${ev.auc.toFixed(4)} ${JSON.stringify(ev.confusion)}`);
  for (const k of Object.keys(per)) console.log('  ' + line(k));
  assert.equal(Object.keys(per).sort(), [...ANOMALY_TYPES].sort(), 'every kind is in the mix');
  assert.ok(per.vibration_spike.f1 >= 0.9, line('vibration_spike'));
  assert.ok(ev.f1 >= 0.7, `overall f1 ${ev.f1}`);
  assert.ok(ev.auc >= 0.95, `auc ${ev.auc}`);
  const { tp, fp, tn, fn } = ev.confusion;
  assert.is(tp + fp + tn + fn, mixRecords.length);
  assert.is(tp + fn, mixRecords.filter((r) => r.anomaly === 1).length);

  // The threshold from the validation errors is close to the best one the labels would allow.
  const best = bestThreshold(await ae.score(mix), mixRecords.map((r) => r.anomaly));
  assert.ok(ev.f1 >= best.f1 - 0.15, `f1 ${ev.f1} vs best ${best.f1}`);
});

test('predict adds score, anomaly and the top contributing feature', async () => {
  const part = mixRecords.slice(0, 16000);
  const df = await ae.predict(part, { top: 2 });
  const cols = df.columns as string[];
  assert.ok(['score', 'anomaly', 'top_feature', 'top_feature_2', 'anomaly_label', 'anomaly_type'].every((c) => cols.includes(c)), cols.join());
  assert.is(df.shape[0], part.length);
  const rows = df.values as unknown[][];
  const spike = part.findIndex((r) => r.anomaly_type === 'vibration_spike');
  const row = rows[spike];
  assert.is(row[cols.indexOf('anomaly')], 1);
  assert.is(row[cols.indexOf('top_feature')], 'engine_vibration_amplitude', 'a vibration spike is explained by the vibration sensor');
  const explained = await ae.explain(part.slice(spike, spike + 1), { top: 3 });
  assert.is(explained[0].top[0].feature, 'engine_vibration_amplitude');
  assert.ok(explained[0].top[0].share > 0.3 && explained[0].top[0].share <= 1);
});

test('save then load gives bit-identical scores, in TensorFlow.js layers format', async () => {
  const before = await ae.score(mix);
  await ae.save(dir);
  for (const f of ['model.json', 'weights.bin', 'pipeline.json']) assert.ok(existsSync(join(dir, f)), f);
  const modelJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  assert.is(modelJson.format, 'layers-model');
  assert.equal(modelJson.weightsManifest[0].paths, ['./weights.bin']);
  const pipeline = JSON.parse(readFileSync(join(dir, 'pipeline.json'), 'utf8'));
  assert.is(pipeline.features.length, CAR_FEATURES.length + FROZEN_CANDIDATES.length);
  assert.is(pipeline.threshold.value, ae.threshold);
  assert.is(pipeline.scaler.kind, 'standard');

  const loaded = await Autoencoder.load(dir);
  const after = await loaded.score(mix);
  assert.is(after.length, before.length);
  assert.ok(Buffer.from(after.buffer).equals(Buffer.from(before.buffer)), 'scores differ after load');
  assert.is(loaded.threshold, ae.threshold);
  assert.equal(loaded.features, ae.features);
  loaded.dispose();
});

test('scoring leaks no tensors', async () => {
  await ae.score(mix.head(100));
  const n = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    await ae.score(mix);
    await ae.predict(mixRecords.slice(0, 1000));
  }
  assert.is(tf.memory().numTensors, n);
});

test.run();
