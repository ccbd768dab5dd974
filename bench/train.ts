// Autoencoder training and scoring throughput on simulator data (1,000,000 rows x 16 features,
// 3 epochs, batch 512), per TensorFlow.js backend, next to a same-run baseline: the same
// network trained with tfjs's own `model.fit` and scored with `model.predict` at its defaults.
// Usage: node dist/bench/train.js [rows] [backends, e.g. wasm,cpu]
import { Autoencoder } from '../sdk/ml/autoencoder';
import { initBackend, tf, type BackendName } from '../sdk/runtime/score/backend';
import { buildNetwork } from '../sdk/ml/model';
import { forward } from '../sdk/runtime';
import { CAR_FEATURES, generateCarReadings } from '../sdk/ingest/simulator';
import { danfo } from '../sdk/frame/dataframe';

const ROWS = Number(process.argv[2] ?? 1_000_000);
const BACKENDS = (process.argv[3] ?? 'wasm,cpu').split(',') as BackendName[];
const EPOCHS = 3;
const BATCH = 512;

function simulatorColumns(rows: number): Record<string, Float64Array> {
  const cols: Record<string, Float64Array> = {};
  for (const f of CAR_FEATURES) cols[f] = new Float64Array(rows);
  let i = 0;
  for (const r of generateCarReadings({ cars: 100, readingsPerCar: Math.ceil(rows / 100), seed: 11, anomalyRate: 0 })) {
    if (i >= rows) break;
    const rec = r as unknown as Record<string, number>;
    for (const f of CAR_FEATURES) cols[f][i] = rec[f];
    i++;
  }
  return cols;
}

function frame(cols: Record<string, Float64Array>, rows: number) {
  const names = Object.keys(cols);
  const data: number[][] = new Array(rows);
  for (let i = 0; i < rows; i++) data[i] = names.map((n) => cols[n][i]);
  return new (danfo().DataFrame)(data as never, { columns: names, config: { lowMemoryMode: true } } as never);
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function benchBackend(name: BackendName, cols: Record<string, Float64Array>): Promise<void> {
  await initBackend(name);
  const ae = new Autoencoder({ features: [...CAR_FEATURES], layers: [14, 7, 14], seed: 1 });
  const t0 = performance.now();
  const h = await ae.fit(cols, { epochs: EPOCHS, batchSize: BATCH, validationSplit: 0, threshold: { percentile: 99.9 } });
  const fitMs = performance.now() - t0;
  console.log(`${name}: train ${fmt(h.rowsPerSec)} rows/s (${fmt(h.rows)} rows in ${EPOCHS} epochs, batch ${BATCH}; whole fit() incl. features, scaling, threshold: ${(fitMs / 1000).toFixed(1)} s, loss ${h.loss.at(-1)?.toFixed(4)})`);

  const s0 = performance.now();
  const scores = await ae.score(cols);
  const scoreMs = performance.now() - s0;
  const nf = CAR_FEATURES.length;
  const matrix = ae.matrix(cols);
  const m0 = performance.now();
  forward(ae.model, matrix, matrix.length / nf, nf, 32768);
  const modelMs = performance.now() - m0;
  console.log(`${name}: score ${fmt((scores.length / scoreMs) * 1000)} rows/s end to end (columns -> scores), ${fmt((scores.length / modelMs) * 1000)} rows/s model only (chunks of 32768)`);
  const frameRows = Math.min(ROWS, 200_000);
  const df = frame(cols, frameRows);
  const d0 = performance.now();
  await ae.score(df);
  console.log(`${name}: score ${fmt((frameRows / (performance.now() - d0)) * 1000)} rows/s from a ${fmt(frameRows)}-row danfo DataFrame (lowMemoryMode, as topic reads build them)`);

  // Baseline: tfjs's own loop and predict on the same network and rows (fewer rows: it is slow).
  const baseRows = Math.min(ROWS, 200_000);
  const net = buildNetwork({ inputSize: nf, layers: [14, 7, 14], activation: 'relu', outputActivation: 'linear', l2: 0, dropout: 0, seed: 1 });
  net.compile({ optimizer: tf.train.adam(1e-3), loss: 'meanSquaredError' });
  const x = tf.tensor2d(matrix.subarray(0, baseRows * nf), [baseRows, nf]);
  const b0 = performance.now();
  await net.fit(x, x, { epochs: 1, batchSize: BATCH, shuffle: true, verbose: 0 });
  const baseFit = (baseRows / (performance.now() - b0)) * 1000;
  const predRows = Math.min(baseRows, 50_000);
  const xp = x.slice([0, 0], [predRows, nf]);
  const p0 = performance.now();
  const y = net.predict(xp) as tf.Tensor;
  y.dataSync();
  const basePredict = (predRows / (performance.now() - p0)) * 1000;
  console.log(`${name}: baseline model.fit ${fmt(baseFit)} rows/s (${fmt(baseRows)} rows, 1 epoch), model.predict (default batchSize 32) ${fmt(basePredict)} rows/s (${fmt(predRows)} rows)`);
  tf.dispose([x, xp, y]);
  net.dispose();
  ae.dispose();
}

async function main(): Promise<void> {
  const g0 = performance.now();
  const cols = simulatorColumns(ROWS);
  console.log(`data: ${fmt(ROWS)} simulator rows x ${CAR_FEATURES.length} features (${((performance.now() - g0) / 1000).toFixed(1)} s to generate)`);
  for (const b of BACKENDS) await benchBackend(b, cols);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
