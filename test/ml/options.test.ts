// Every option object of the Autoencoder rejects misspelt names (with a suggestion) and bad
// values, before any data is read or any training starts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Autoencoder } from '../../sdk';
import { FeatureState } from '../../sdk/runtime';
import { addWindowFeatures } from '../../sdk/ml/features';
import { carReadings } from '../../sdk/ingest/simulator';
import { KafkalabError } from '../../sdk/util/errors';
import { trainingProgress } from '../../kernel/runtime';

const records = carReadings({ cars: 3, readingsPerCar: 300, seed: 4, anomalyRate: 0 });
const small = { features: ['coolant_temp', 'engine_vibration_amplitude', 'speed', 'accel_fl'], layers: [3, 2, 3] };
const ae = new Autoencoder({ ...small, seed: 1 });
const dir = mkdtempSync(join(tmpdir(), 'kafkalab-ml-options-'));

test.before(async () => {
  await ae.fit(records as never, { epochs: 1, batchSize: 128 });
});

test.after(() => {
  ae.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function rejects(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (err) {
    assert.instance(err, KafkalabError);
    assert.is((err as KafkalabError).code, 'BAD_OPTION', (err as Error).message);
    assert.match((err as Error).message, pattern);
    return;
  }
  assert.unreachable(`accepted; expected ${pattern}`);
}

async function rejectsAsync(p: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  let err: unknown;
  await p().catch((e) => (err = e));
  assert.instance(err, KafkalabError, `accepted; expected ${pattern}`);
  assert.is((err as KafkalabError).code, 'BAD_OPTION', (err as Error).message);
  assert.match((err as Error).message, pattern);
}

test('new Autoencoder(): misspelt options are named with the closest one', () => {
  rejects(() => new Autoencoder({ features: ['x'], layer: [4] } as never), /^Unknown option "layer" for new Autoencoder\(\); did you mean "layers"\?$/);
  rejects(() => new Autoencoder({ layer: [4], seeed: 1 } as never), /Unknown options "layer" \(did you mean "layers"\?\), "seeed" \(did you mean "seed"\?\) for new Autoencoder\(\)/);
  rejects(() => new Autoencoder({ learning_rate: 0.01 } as never), /Unknown option "learning_rate".*did you mean "learningRate"/);
  rejects(() => new Autoencoder(null as never), /new Autoencoder\(\) takes an options object, got null/);
});

test('new Autoencoder(): features must be a non-empty list of distinct names', () => {
  rejects(() => new Autoencoder({ features: [] }), /features must be a non-empty array of column names.*got \[\]/);
  rejects(() => new Autoencoder({ features: 'speed' as never }), /features must be a non-empty array/);
  rejects(() => new Autoencoder({ features: ['speed', ''] }), /features must be column names/);
  rejects(() => new Autoencoder({ features: ['a', 'b', 'a'] }), /feature "a" is listed twice/);
  rejects(() => new Autoencoder({ features: ['speed', 'speed_mean_5'], windows: [{ field: 'speed', size: 5, stats: ['mean'] }] }), /feature "speed_mean_5" is listed twice/);
});

test('new Autoencoder(): numbers, names and windows are range-checked', () => {
  rejects(() => new Autoencoder({ layers: [4, 0] }), /layers must be a non-empty array of positive integers.*got \[4,0\]; e\.g\. layers: \[14, 7, 14\]/);
  rejects(() => new Autoencoder({ layers: [] }), /layers must be a non-empty array/);
  rejects(() => new Autoencoder({ layers: [2.5] }), /positive integers/);
  rejects(() => new Autoencoder({ dropout: 1 }), /dropout must be in \[0, 1\), got 1/);
  rejects(() => new Autoencoder({ l2: -1 }), /l2 must be a number >= 0, got -1/);
  rejects(() => new Autoencoder({ learningRate: 0 }), /learningRate must be a number > 0, got 0/);
  rejects(() => new Autoencoder({ seed: 1.5 }), /seed must be an integer, got 1\.5/);
  rejects(() => new Autoencoder({ scaler: 'robust' as never }), /scaler must be one of standard, minmax, none, got "robust"/);
  rejects(() => new Autoencoder({ fill: 'median' as never }), /fill must be 'mean', a number, or a number per field, got "median"/);
  rejects(() => new Autoencoder({ fill: { speed: NaN } }), /fill\.speed must be a finite number, got NaN/);
  rejects(() => new Autoencoder({ key: '' }), /key must be a column name/);
  rejects(() => new Autoencoder({ activation: 'rellu' as never }), /activation "rellu" is not supported/);
  rejects(() => new Autoencoder({ logger: console as never }), /logger must be a Logger/);
  rejects(() => new Autoencoder({ windows: [{ feild: 'speed', size: 5, stats: ['mean'] } as never] }), /Unknown option "feild" for a window; did you mean "field"\?/);
  rejects(() => new Autoencoder({ windows: [{ field: 'speed', size: 5, stats: [] }] }), /stats must be a non-empty array/);
  rejects(() => new Autoencoder({ windows: [{ field: 'speed', size: 5, stats: ['meen' as never] }] }), /Unknown window statistic "meen" \(did you mean "mean"\?\)/);
  rejects(() => new Autoencoder({ windows: [{ field: 'speed', size: 5, stats: ['mean', 'mean'] }] }), /Two windows compute "speed_mean_5"/);
  rejects(() => addWindowFeatures(records as never, [{ field: 'speed', size: 0, stats: ['mean'] }]), /Window size of "speed" must be a positive integer/);
  // Valid options still construct.
  new Autoencoder({ features: ['a'], layers: [1], dropout: 0, l2: 0, seed: -3, fill: { a: 0 }, scaler: 'none', key: 'carId', windows: [] });
});

test('fit(): misspelt and out-of-range options fail before any data is read', async () => {
  let read = false;
  const stream = {
    [Symbol.asyncIterator]() {
      read = true;
      return { next: async () => ({ done: true as const, value: undefined }) };
    },
  };
  const fresh = new Autoencoder(small);
  const fit = (opts: object) => () => fresh.fit(stream as never, opts as never);
  await rejectsAsync(fit({ epoch: 3 }), /^Unknown option "epoch" for fit\(\); did you mean "epochs"\?$/);
  await rejectsAsync(fit({ batch_size: 3 }), /did you mean "batchSize"/);
  await rejectsAsync(fit({ epochs: 0 }), /fit\(\): epochs must be a positive integer, got 0; e\.g\. epochs: 20/);
  await rejectsAsync(fit({ epochs: 2.5 }), /epochs must be a positive integer, got 2\.5/);
  await rejectsAsync(fit({ batchSize: -1 }), /batchSize must be a positive integer, got -1/);
  await rejectsAsync(fit({ batchSize: '256' }), /batchSize must be a positive integer, got "256"/);
  await rejectsAsync(fit({ validationSplit: 1 }), /validationSplit must be a fraction in \[0, 1\), got 1/);
  await rejectsAsync(fit({ validationSplit: -0.1 }), /validationSplit must be a fraction in \[0, 1\), got -0\.1/);
  await rejectsAsync(fit({ threshold: { percentile: 0 } }), /percentile must be in \(0, 100\], got 0/);
  await rejectsAsync(fit({ threshold: { percentile: 100.5 } }), /percentile must be in \(0, 100\], got 100\.5/);
  await rejectsAsync(fit({ threshold: { percentil: 99 } }), /Unknown option "percentil" for fit\(\) threshold; did you mean "percentile"\?/);
  await rejectsAsync(fit({ threshold: { k: 3, value: 1 } }), /threshold must be exactly one of percentile, k, value/);
  await rejectsAsync(fit({ threshold: {} }), /threshold must be exactly one of percentile, k, value/);
  await rejectsAsync(fit({ earlyStopping: { patiense: 2 } }), /Unknown option "patiense" for fit\(\{ earlyStopping \}\); did you mean "patience"\?/);
  await rejectsAsync(fit({ earlyStopping: { patience: -1 } }), /patience must be an integer >= 0/);
  await rejectsAsync(fit({ earlyStopping: { monitor: 'val_loss' } }), /monitor must be 'valLoss' or 'loss', got "val_loss"/);
  await rejectsAsync(fit({ maxMs: 'soon' }), /Invalid maxMs "soon"/);
  await rejectsAsync(fit({ maxRows: 0 }), /maxRows must be a positive integer/);
  await rejectsAsync(fit({ warmupRows: 1.5 }), /warmupRows must be a positive integer/);
  await rejectsAsync(fit({ onEpoch: 'log' }), /onEpoch must be a function/);
  await rejectsAsync(fit({ signal: {} }), /signal must be an AbortSignal/);
  await rejectsAsync(fit({ shuffle: 'yes' }), /shuffle must be true or false/);
  assert.is(read, false, 'the stream was not touched');
  assert.is(fresh.fitted, false);
});

test('fit(): validationSplit 0 is accepted (threshold from the training rows), as in Keras', async () => {
  const fresh = new Autoencoder({ ...small, seed: 2 });
  const h = await fresh.fit(records as never, { epochs: 1, validationSplit: 0, maxRows: Infinity });
  assert.ok(Number.isNaN(h.valLoss[0]));
  assert.ok(Number.isFinite(fresh.threshold));
  fresh.dispose();
});

test("fit(): the kernel's trainingProgress() spreads in as documented; done() runs once training succeeded", async () => {
  const progress = trainingProgress({ epochs: 2, title: 'options test' });
  let doneCalls = 0;
  const done = progress.done;
  const fresh = new Autoencoder({ ...small, seed: 3 });
  await fresh.fit(records as never, { epochs: 2, batchSize: 256, ...progress, done: () => (doneCalls++, done()) });
  assert.is(progress.history.length, 2);
  assert.is(doneCalls, 1);
  await rejectsAsync(() => fresh.fit(records as never, { done: 'now' } as never), /done must be a function/);
  await fresh.fit([records[0]] as never, { done: () => doneCalls++ }).catch(() => undefined);
  assert.is(doneCalls, 1, 'not called when training fails');
  fresh.dispose();
});

test('score, predict, explain, predictStream, matrix: misspelt options and bad values', async () => {
  rejects(() => ae.scoreSync(records as never, { statefull: true } as never), /Unknown option "statefull" for score\(\); did you mean "stateful"\?/);
  await rejectsAsync(() => ae.score(records as never, { stateful: 'yes' } as never), /score\(\): stateful must be true or false/);
  await rejectsAsync(() => ae.score(records as never, { top: 2 } as never), /Unknown option "top" for score\(\)/);
  await rejectsAsync(() => ae.predict(records as never, { tops: 2 } as never), /Unknown option "tops" for predict\(\); did you mean "top"\?/);
  await rejectsAsync(() => ae.predict(records as never, { top: -1 }), /predict\(\): top must be an integer >= 0, got -1/);
  await rejectsAsync(() => ae.predict(records as never, { state: {} as never }), /state must be a FeatureState/);
  await rejectsAsync(() => ae.explain(records as never, { onlyAnomaly: true } as never), /Unknown option "onlyAnomaly" for explain\(\); did you mean "onlyAnomalies"\?/);
  await rejectsAsync(() => ae.scoreFeatures(records as never, { stat: new FeatureState(ae.spec) } as never), /Unknown option "stat" for scoreFeatures\(\); did you mean "state"\?/);
  rejects(() => ae.matrix(records as never, { stateful: 1 } as never), /matrix\(\): stateful must be true or false/);
  const it = ae.predictStream((async function* () {})(), { stateful: true } as never);
  await rejectsAsync(() => it.next(), /Unknown option "stateful" for predictStream\(\); valid options: top/);
  const other = new Autoencoder({ features: ['speed'], layers: [1], seed: 1 });
  await other.fit(records as never, { epochs: 1 });
  await rejectsAsync(() => ae.score(records as never, { state: new FeatureState(other.spec) }), /window state passed as `state` belongs to another model/);
  other.dispose();
  // Valid options still work.
  assert.is((await ae.predict(records as never, { top: 0, stateful: false })).shape[0], records.length);
});

test('evaluate, export and load: misspelt options and bad values', async () => {
  rejects(() => ae.evaluate(records as never, { lable: 'anomaly' } as never), /^Unknown option "lable" for evaluate\(\); did you mean "label"\?$/);
  rejects(() => ae.evaluate(records as never, { treshold: 1 } as never), /did you mean "threshold"/);
  rejects(() => ae.evaluate(records as never, { label: 1 } as never), /evaluate\(\): label must be a column name, got 1/);
  rejects(() => ae.evaluate(records as never, { threshold: NaN }), /threshold must be a finite number, got NaN/);
  rejects(() => ae.evaluate(records as never, { scores: 3 } as never), /scores must be an array of scores/);
  rejects(() => ae.evaluate(records as never, { typeColumn: 5 } as never), /typeColumn must be a column name or null/);
  const target = join(dir, 'app');
  await rejectsAsync(() => ae.export(target, { input: 'a', output: 'b', outptuMode: 'all' } as never), /Unknown option "outptuMode" for export\(\); did you mean "outputMode"\?/);
  await rejectsAsync(() => ae.export(target, { input: 'a', output: 'b', topfeatures: 2 } as never), /did you mean "topFeatures"/);
  assert.is(existsSync(target), false, 'nothing written');
  await ae.save(join(dir, 'model'));
  await rejectsAsync(() => Autoencoder.load(join(dir, 'model'), { loger: undefined } as never), /Unknown option "loger" for Autoencoder\.load\(\); did you mean "logger"\?/);
  const loaded = await Autoencoder.load(join(dir, 'model'));
  assert.equal(loaded.options.layers, small.layers);
  loaded.dispose();
});

test.run();
