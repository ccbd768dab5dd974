/**
 * Holding out validation rows by time, key or at random, and what fit() and calibrate() record:
 * on the motor data set (not the data the code was written for).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { splitRows, type ValidationOptions } from '../../sdk/ml/split';
import { Autoencoder } from '../../sdk/ml/autoencoder';
import { bestThreshold } from '../../sdk/ml/metrics';
import { MOTOR_FEATURES, flatMotorReading, motorReadings } from '../../sdk/ingest/motors/generator';

test('property: a split partitions the rows (disjoint, complete, ascending), holds out about the fraction, and is seeded', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd', 'e'), ts: fc.integer({ min: 0, max: 1e6 }) }), { minLength: 2, maxLength: 300 }),
      fc.constantFrom<ValidationOptions['by']>('time', 'key', 'random'),
      fc.double({ min: 0.05, max: 0.9, noNaN: true }),
      fc.integer({ min: 0, max: 1000 }),
      (rows, by, fraction, seed) => {
        const keys = new Set(rows.map((r) => r.key));
        if (by === 'key' && keys.size < 2) return;
        const cols = { key: rows.map((r) => r.key), ts: rows.map((r) => r.ts) };
        const s = splitRows(rows.length, { by, fraction, column: by === 'key' ? 'key' : undefined }, cols, ['key', 'ts'], seed);
        const all = [...s.train, ...s.validation].sort((a, b) => a - b);
        assert.equal(all, rows.map((_, i) => i));
        for (const part of [s.train, s.validation]) for (let i = 1; i < part.length; i++) assert.ok(part[i] > part[i - 1]);
        assert.ok(s.validation.length >= 1 && s.train.length >= 1);
        assert.is(s.info.rows, s.validation.length);
        if (by !== 'key') assert.is(s.validation.length, Math.min(rows.length - 1, Math.max(1, Math.round(rows.length * fraction))));
        if (by === 'time') {
          const latestTrain = Math.max(...Array.from(s.train, (i) => rows[i].ts));
          const earliestVal = Math.min(...Array.from(s.validation, (i) => rows[i].ts));
          assert.ok(earliestVal >= latestTrain, 'validation is the latest period');
        }
        if (by === 'key') {
          const held = new Set(Array.from(s.validation, (i) => rows[i].key));
          for (const i of s.train) assert.not.ok(held.has(rows[i].key), 'a key is on one side only');
          assert.is(s.info.keys, held.size);
        }
        assert.equal(splitRows(rows.length, { by, fraction, column: by === 'key' ? 'key' : undefined }, cols, ['key', 'ts'], seed), s);
      },
    ),
    { numRuns: 200 },
  );
});

test('splits say what is missing', () => {
  const cols = { ts: [1, 2, 3], motor: ['a', 'a', 'a'] };
  assert.throws(() => splitRows(3, { by: 'time' }, { motor: cols.motor }, ['motor'], 1), /No time column \(tried _timestamp, ts, timestamp, time\)/);
  assert.throws(() => splitRows(3, { by: 'key', column: 'motr' }, cols, ['ts', 'motor'], 1), /Column "motr" is not in the data \(did you mean "motor"\?\)/);
  assert.throws(() => splitRows(3, { by: 'key', column: 'motor' }, cols, ['ts', 'motor'], 1), /1 distinct key\(s\): nothing to hold out by key/);
  assert.throws(() => splitRows(3, { by: 'time', column: 'ts' }, { ts: [1, 'noon', 3] }, ['ts'], 1), /Column "ts" has no time in row 1/);
});

const motors = motorReadings({ motors: 8, readingsPerMotor: 600, faultRate: 0.05, seed: 12 }).map(flatMotorReading);
const normal = motors.filter((r) => r.fault === 0);

test('fit(): validation by key holds out whole motors; pipeline.json carries how the threshold was chosen', async () => {
  const ae = new Autoencoder({ features: [...MOTOR_FEATURES], seed: 2 });
  await ae.fit(normal, { epochs: 3, validation: { by: 'key', column: 'motor', fraction: 0.25 }, threshold: { method: 'mad', k: 8 } });
  const t = ae.spec.threshold;
  assert.is(t.method, 'mad');
  assert.is(t.k, 8);
  assert.is(t.validation!.by, 'key');
  assert.is(t.validation!.column, 'motor');
  assert.is(t.validation!.totalKeys, 8);
  assert.is(t.validation!.keys, 2);
  // Two whole motors of eight: about a quarter of the rows, exactly their rows.
  const perMotor = new Map<string, number>();
  for (const r of normal) perMotor.set(r.motor as string, (perMotor.get(r.motor as string) ?? 0) + 1);
  const counts = [...perMotor.values()];
  assert.ok(counts.some((a, i) => counts.some((b, j) => i < j && a + b === t.validation!.rows)), `${t.validation!.rows} rows are two motors' rows`);
  // 8 motors x 1 reading / 10 s = 2,880 rows/h (faulty rows removed: a little less).
  assert.ok(t.expected!.rowsPerHour! > 2500 && t.expected!.rowsPerHour! <= 2880, String(t.expected!.rowsPerHour));
  assert.ok(t.expected!.falseAlarmsPerHour! >= 0);
  const report = ae.thresholdReport();
  assert.match(report.summary, /^mad \(median \+ 8·1\.4826·MAD\) → [\d.]+ from [\d,]+ rows of 2 of 8 keys held out; expected false alarms/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-calib-'));
  try {
    await ae.save(dir);
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'pipeline.json'), 'utf8'));
    assert.equal(saved.threshold, JSON.parse(JSON.stringify(t)));
    const loaded = await Autoencoder.load(dir);
    assert.equal(loaded.thresholdReport(), report);
    loaded.dispose();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  ae.dispose();
});

test('fit(): the default holds out random rows and sets an EVT threshold; by time the latest period; streams refuse time', async () => {
  const ae = new Autoencoder({ features: [...MOTOR_FEATURES], seed: 2 });
  await ae.fit(normal, { epochs: 2 });
  assert.is(ae.spec.threshold.method, 'evt');
  assert.is(ae.spec.threshold.falseAlarmRate, 3e-4);
  assert.equal({ ...ae.spec.threshold.validation, rows: 0, fraction: 0 }, { by: 'random', fraction: 0, rows: 0 });
  assert.ok(Math.abs(ae.spec.threshold.validation!.fraction - 0.2) < 0.001);
  await ae.fit(normal, { epochs: 2, validation: { by: 'time' } });
  const v = ae.spec.threshold.validation!;
  assert.is(v.by, 'time');
  assert.is(v.column, 'ts');
  const sorted = normal.map((r) => r.ts as number).sort((a, b) => a - b);
  assert.is(v.from, sorted[sorted.length - v.rows]);
  assert.is(v.to, sorted[sorted.length - 1]);
  // validationSplit keeps its Keras meaning (the last rows).
  await ae.fit(normal, { epochs: 1, validationSplit: 0.1 });
  assert.is(ae.spec.threshold.validation!.by, 'last');
  await ae.fit(normal, { epochs: 1, validation: { by: 'random' }, validationSplit: 0.1 }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /validation .*not given together with validationSplit/),
  );
  async function* stream() {
    yield normal.slice(0, 500);
  }
  await ae.fit(stream(), { validation: { by: 'time' } }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /A stream cannot hold out validation rows by time/),
  );
  ae.dispose();
});

test('calibrate(): labelled rows set the F1-best threshold (or a precision target) and record what it achieved', async () => {
  const ae = new Autoencoder({ features: [...MOTOR_FEATURES], seed: 2 });
  await ae.fit(normal, { epochs: 4 });
  const report = await ae.calibrate(motors, { label: 'fault' });
  const scores = await ae.score(motors);
  const labels = motors.map((r) => r.fault as number);
  const best = bestThreshold(scores, labels);
  assert.is(report.method, 'labels');
  assert.is(ae.threshold, best.threshold);
  assert.is(report.labels!.f1, best.f1);
  assert.is(report.labels!.positives, labels.filter(Boolean).length);
  assert.match(report.summary, /^labels \(best f1 on 4,800 labelled rows/);
  assert.is(ae.evaluate(motors, { label: 'fault' }).f1, best.f1);
  const strict = await ae.calibrate(motors, { target: { precision: 0.99 } });
  assert.ok(strict.labels!.precision >= 0.99);
  assert.ok(strict.value >= report.value);
  await ae.calibrate(normal, { label: 'fault' }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /needs both labelled anomalies and normal rows; got 0 anomalous/),
  );
  await ae.calibrate(motors, { target: { precision: 2 } } as never).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /target/),
  );
  ae.dispose();
});

test.run();
