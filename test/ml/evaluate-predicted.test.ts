// evaluate() on the frame predict() returned: the label predict() kept (`anomaly_label`) and the
// scores it wrote (`score`) are used, never the model's own `anomaly` verdict.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Autoencoder } from '../../sdk/ml/autoencoder';
import { CAR_FEATURES, carReadings } from '../../sdk/ingest/simulator';
import { frameFromRecords } from '../../sdk/frame/dataframe';
import { KafkalabError } from '../../sdk/util/errors';

const normal = carReadings({ cars: 4, readingsPerCar: 400, seed: 11, anomalyRate: 0 });
const mixed = carReadings({ cars: 4, readingsPerCar: 500, seed: 12, anomalyRate: 0.08, firstCar: 10 });
const df = frameFromRecords(mixed as never);
const ae = new Autoencoder({ features: [...CAR_FEATURES], layers: [8, 4, 8], seed: 5 });

test.before(async () => {
  await ae.fit(normal as never, { epochs: 2, batchSize: 128, threshold: { percentile: 99 } });
});

test.after(() => ae.dispose());

test('evaluate(predicted) scores the kept label against the written scores, as evaluate(raw) does', async () => {
  const raw = ae.evaluate(df);
  const predicted = await ae.predict(df);
  assert.ok((predicted.columns as string[]).includes('anomaly_label'));
  const ev = ae.evaluate(predicted);
  assert.equal(ev.confusion, raw.confusion);
  assert.is(ev.f1, raw.f1);
  assert.is(ev.auc, raw.auc);
  assert.equal(Object.keys(ev.perType!).sort(), Object.keys(raw.perType!).sort());
  assert.equal(ae.evaluate(predicted, { label: 'anomaly_label' }).confusion, raw.confusion);
  // The model is not perfect on this data: F1 1.000 here would mean it was scored against itself.
  assert.ok(ev.f1 < 1, `f1 ${ev.f1}`);
  const { tp, fn } = ev.confusion;
  assert.is(tp + fn, mixed.filter((r) => r.anomaly === 1).length, 'positives are the true labels');
});

test('label "anomaly" on a predicted frame is refused with what to do instead', async () => {
  const predicted = await ae.predict(mixed as never);
  let err: unknown;
  try {
    ae.evaluate(predicted, { label: 'anomaly' });
  } catch (e) {
    err = e;
  }
  assert.instance(err, KafkalabError);
  assert.is((err as KafkalabError).code, 'BAD_OPTION');
  assert.match((err as Error).message, /Column "anomaly" of a frame from predict\(\) is the model's own verdict, not a label; predict\(\) kept the input's label as "anomaly_label"/);
});

test('a predicted frame is evaluated from its score column, without running the model', async () => {
  const other = new Autoencoder({ features: [...CAR_FEATURES], layers: [8, 4, 8], seed: 5 });
  await other.fit(normal as never, { epochs: 1, batchSize: 128 });
  const predicted = await other.predict(df);
  const expected = other.evaluate(predicted);
  other.dispose();
  assert.throws(() => other.scoreSync(df), /not trained yet/);
  assert.equal(other.evaluate(predicted).confusion, expected.confusion, 'no model pass needed');

  // Scores are read from the column: change them and the figures follow.
  const zeroed = await ae.predict(mixed.slice(0, 300) as never);
  zeroed.addColumn('score', new Array(300).fill(0), { inplace: true });
  const ev = ae.evaluate(zeroed);
  assert.is(ev.confusion.tp + ev.confusion.fp, 0);
  // Explicit scores still win over the column.
  const forced = ae.evaluate(zeroed, { scores: new Array(300).fill(1e9) });
  assert.is(forced.confusion.tn + forced.confusion.fn, 0);
});

test('a predicted frame without a label says how to name one', async () => {
  const unlabelled = mixed.map(({ anomaly: _a, ...rest }) => ({ ...rest, truth: _a }));
  const predicted = await ae.predict(unlabelled as never);
  assert.not.ok((predicted.columns as string[]).includes('anomaly_label'));
  assert.throws(() => ae.evaluate(predicted), /This frame from predict\(\) has no label column to evaluate against; .*evaluate\(predicted, \{ label: '<column>' \}\)/);
  assert.throws(() => ae.evaluate(predicted, { label: 'anomaly' }), /model's own verdict.*the input had no "anomaly" label/);
  assert.equal(ae.evaluate(predicted, { label: 'truth' }).confusion, ae.evaluate(df).confusion);
});

test('raw frames are unchanged: label "anomaly" by default, scored by the model', () => {
  const records = mixed.map((r) => ({ ...r, score: 123 })); // a user column that happens to be called score
  assert.equal(ae.evaluate(records as never).confusion, ae.evaluate(df).confusion);
});

test.run();
