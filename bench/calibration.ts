// Threshold calibration that has to generalize: train an autoencoder on the normal readings of an
// early period, calibrate its threshold WITHOUT labels, and score a LATER period with faults.
// For each data set it prints F1 / precision / recall of the default threshold and of each
// method (on the same validation errors), the default method under each way of holding out
// validation rows, and the best F1 any threshold reaches on the test period (`bestThreshold`,
// which needs labels). The default is good when it is within 0.1 of that best.
//   motors: 20 motors x 9 h (10 s readings); train on hours 0-6 (normal readings), test hours 6-9
//   cars:   20 cars x 4000 s (1 s readings); train on the first half (normal), test the second half
// Usage: node dist/bench/calibration.js [seeds, e.g. 3,4,5] [datasets, e.g. motors,cars]
import * as fs from 'node:fs';
import { Autoencoder } from '../sdk/ml/autoencoder';
import { bestThreshold, detectionMetrics } from '../sdk/ml/metrics';
import { computeThreshold, DEFAULT_THRESHOLD, type ThresholdRule } from '../sdk/ml/threshold';
import { splitRows, type ValidationOptions } from '../sdk/ml/split';
import { DEFAULT_VALIDATION } from '../sdk/ml/fit';
import { MOTOR_FEATURES, flatMotorReading, motorReadings } from '../sdk/ingest/motors/generator';
import { CAR_FEATURES, carReadings } from '../sdk/ingest/simulator';

type Row = Record<string, unknown> & { ts: number };
const SEEDS = (process.argv[2] ?? '3').split(',').map(Number);
const DATASETS = (process.argv[3] ?? 'motors,cars').split(',');
const EPOCHS = 20;

interface DataSet {
  name: string;
  describe: string;
  train: Row[];
  test: Row[];
  features: string[];
  label: string;
  key: string;
}

function dataset(name: string, seed: number): DataSet {
  if (name === 'motors') {
    const rows = motorReadings({ motors: 20, readingsPerMotor: 9 * 360, faultRate: 0.05, seed }).map(flatMotorReading) as unknown as Row[];
    const cut = rows[0].ts + 6 * 3_600_000;
    return split('motors', `20 motors, train hours 0-6, test hours 6-9 (seed ${seed})`, rows, cut, [...MOTOR_FEATURES], 'fault', 'motor');
  }
  const rows = carReadings({ cars: 20, readingsPerCar: 4000, anomalyRate: 0.03, seed }) as unknown as Row[];
  return split('cars', `20 cars, train seconds 0-2000, test 2000-4000 (seed ${seed})`, rows, rows[0].ts + 2000 * 1000, [...CAR_FEATURES], 'anomaly', 'carId');
}

function split(name: string, describe: string, rows: Row[], cut: number, features: string[], label: string, key: string): DataSet {
  return { name, describe, features, label, key, train: rows.filter((r) => r.ts < cut && !r[label]), test: rows.filter((r) => r.ts >= cut) };
}

const RULES: [string, ThresholdRule][] = [
  ['evt 1e-3', { method: 'evt', falseAlarmRate: 1e-3 }],
  ['evt 3e-4', { method: 'evt', falseAlarmRate: 3e-4 }],
  ['evt 1e-4', { method: 'evt', falseAlarmRate: 1e-4 }],
  ['evt 1e-5', { method: 'evt', falseAlarmRate: 1e-5 }],
  ['sigma k=3', { method: 'sigma', k: 3 }],
  ['sigma k=6', { method: 'sigma', k: 6 }],
  ['mad k=6', { method: 'mad', k: 6 }],
  ['mad k=10', { method: 'mad', k: 10 }],
  ['percentile 99.5', { method: 'percentile', percentile: 99.5 }],
  ['percentile 99.9', { method: 'percentile', percentile: 99.9 }],
];
const VALIDATIONS: ValidationOptions[] = [
  { by: 'random', fraction: 0.2 },
  { by: 'time', fraction: 0.2 },
  { by: 'key', fraction: 0.2 },
];

const f3 = (x: number) => x.toFixed(3);
const ruleName = (r: ThresholdRule) => Object.values(r).join(' ');
const load = () => fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

async function run(d: DataSet): Promise<{ defaultGap: number }> {
  const labels = d.test.map((r) => (r[d.label] ? 1 : 0));
  console.log(`\n${d.name}: ${d.describe}; ${d.train.length.toLocaleString('en-US')} normal training rows, ${d.test.length.toLocaleString('en-US')} test rows (${labels.reduce((a: number, b) => a + b, 0)} faulty) [load ${load()}]`);
  const table: string[] = ['| threshold | validation | F1 | precision | recall | best F1 | gap |', '|---|---|---|---|---|---|---|'];
  let defaultGap = NaN;
  for (const v of VALIDATIONS) {
    const isDefault = v.by === DEFAULT_VALIDATION.by && v.fraction === DEFAULT_VALIDATION.fraction;
    const ae = new Autoencoder({ features: d.features, seed: 1, key: d.key });
    await ae.fit(d.train, { epochs: EPOCHS, batchSize: 256, validation: v });
    // The same validation rows fit() held out (same seed), to price every method on the same errors.
    const names = Object.keys(d.train[0]);
    const cols: Record<string, unknown[]> = {};
    for (const n of names) cols[n] = d.train.map((r) => r[n]);
    const held = splitRows(d.train.length, v, cols, names, 1, d.key).validation; // seed = the Autoencoder's
    const valErrors = await ae.score(Array.from(held, (i) => d.train[i]));
    const check = computeThreshold(valErrors, DEFAULT_THRESHOLD).value;
    if (Math.abs(check - ae.threshold) > 1e-6 * Math.max(1, ae.threshold)) throw new Error(`validation rows differ from fit()'s: ${check} vs ${ae.threshold}`);
    const scores = await ae.score(d.test);
    const best = bestThreshold(scores, labels);
    const row = (name: string, value: number, validation: string) => {
      const m = detectionMetrics(scores, labels, value);
      table.push(`| ${name} | ${validation} | ${f3(m.f1)} | ${f3(m.precision)} | ${f3(m.recall)} | ${f3(best.f1)} | ${(m.f1 - best.f1).toFixed(3)} |`);
      return m.f1 - best.f1;
    };
    const label = `${v.by} ${v.fraction}`;
    const gap = row(isDefault ? `**default** (${ruleName(DEFAULT_THRESHOLD)})` : `default method (${ruleName(DEFAULT_THRESHOLD)})`, ae.threshold, label);
    if (isDefault) {
      defaultGap = gap;
      console.log(`  default: ${ae.thresholdReport().summary}`);
      for (const [name, rule] of RULES) row(name, computeThreshold(valErrors, rule).value, label);
    }
    ae.dispose();
  }
  console.log(table.join('\n'));
  return { defaultGap };
}

async function main(): Promise<void> {
  console.log(`default: validation ${JSON.stringify(DEFAULT_VALIDATION)}, threshold ${JSON.stringify(DEFAULT_THRESHOLD)}; ${EPOCHS} epochs, default layers`);
  const gaps: string[] = [];
  for (const seed of SEEDS) {
    for (const name of DATASETS) {
      const { defaultGap } = await run(dataset(name, seed));
      gaps.push(`${name} seed ${seed}: ${defaultGap.toFixed(3)}`);
    }
  }
  console.log(`\ndefault F1 minus best F1: ${gaps.join('; ')}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
