// Sequence autoencoder against the dense one on the car simulator: both trained on the same
// normal readings (default threshold, no labels), tested on other cars with every kind of
// anomaly; F1 / precision / recall at the default threshold, the best F1 any threshold reaches
// (bestThreshold) and ROC-AUC, overall and per kind (bearing wear is the slow one).
// Usage: node dist/bench/sequence.js [epochs, default 5] [sequence length, default 16]
import * as os from 'node:os';
import { Autoencoder, bestThreshold, carReadings, CAR_FEATURES } from '../sdk';

const EPOCHS = Number(process.argv[2] ?? 5);
const LENGTH = Number(process.argv[3] ?? 16);
const load = () => os.loadavg().map((x) => x.toFixed(1)).join(' ');
const f3 = (x: number) => x.toFixed(3);

async function main(): Promise<void> {
  type Row = Record<string, unknown>;
  const train = carReadings({ cars: 20, readingsPerCar: 1500, anomalyRate: 0, seed: 1 }) as unknown as Row[];
  const test = carReadings({ cars: 20, readingsPerCar: 1500, anomalyRate: 0.05, seed: 2, firstCar: 100 }) as unknown as Row[];
  const labels = test.map((r) => (r.anomaly ? 1 : 0));
  console.log(`train ${train.length.toLocaleString('en-US')} normal readings (20 cars x 1500 s), test ${test.length.toLocaleString('en-US')} readings of 20 other cars (${labels.reduce((a: number, b) => a + b, 0)} anomalous, every kind); ${EPOCHS} epochs, default threshold [load ${load()}]`);
  const table = ['| model | F1 | precision | recall | best F1 | AUC | bearing_wear F1 (best) | per kind F1 | train rows/s |', '|---|---|---|---|---|---|---|---|---|'];
  for (const [name, extra] of [['dense', {}], [`sequence ${LENGTH}`, { sequence: { length: LENGTH } }]] as const) {
    const ae = new Autoencoder({ features: [...CAR_FEATURES], key: 'carId', seed: 1, ...extra });
    const h = await ae.fit(train, { epochs: EPOCHS });
    const scores = await ae.score(test);
    const e = ae.evaluate(test, { label: 'anomaly', scores });
    const best = bestThreshold(scores, labels);
    const bearing = test.map((r, i) => (r.anomaly_type === 'bearing_wear' || !r.anomaly ? i : -1)).filter((i) => i >= 0);
    const bestBearing = bestThreshold(bearing.map((i) => scores[i]), bearing.map((i) => labels[i]));
    const kinds = Object.entries(e.perType ?? {}).map(([k, m]) => `${k} ${f3(m.f1)}`).join(', ');
    table.push(`| ${name} | ${f3(e.f1)} | ${f3(e.precision)} | ${f3(e.recall)} | ${f3(best.f1)} | ${f3(e.auc)} | ${f3(e.perType?.bearing_wear?.f1 ?? NaN)} (${f3(bestBearing.f1)}) | ${kinds} | ${Math.round(h.rowsPerSec).toLocaleString('en-US')} (${h.trainer}) |`);
    ae.dispose();
  }
  console.log(table.join('\n'));
  console.log(`[load ${load()}]`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
