// Autoencoder training and scoring throughput on simulator data (1,000,000 rows x 16 features,
// layers 14-7-14, 3 epochs, batch 512), next to same-run baselines: PyTorch (Debian's
// python3-torch, one thread, the same network, Adam, batch and scaled rows; bench/train_baseline.py)
// and, per TensorFlow.js backend, kafkalab's tfjs trainer and tfjs's own `model.fit` / `model.predict`.
// Usage: node dist/bench/train.js [rows] [backends, e.g. wasm,cpu] [--no-python]
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Autoencoder } from '../sdk/ml/autoencoder';
import { initBackend, tf, type BackendName } from '../sdk/runtime/score/backend';
import { buildNetwork } from '../sdk/ml/model';
import { forward } from '../sdk/runtime';
import { CAR_FEATURES, generateCarReadings } from '../sdk/ingest/simulator';
import { danfo } from '../sdk/frame/dataframe';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const ROWS = Number(args[0] ?? 1_000_000);
const BACKENDS = (args[1] ?? 'wasm').split(',') as BackendName[];
const PYTHON = !process.argv.includes('--no-python');
const EPOCHS = 3;
const BATCH = 512;
const LAYERS = [14, 7, 14];

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
const load = () => fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

interface TorchResult {
  rows_per_sec: number;
  step_rows_per_sec: number;
  step_rows_per_cpu_sec: number;
  loss: number;
  torch: string;
  threads: number;
}

/** PyTorch on the same scaled rows (the matrix the Autoencoder trains on). */
function pytorch(matrix: Float32Array, features: number): TorchResult | string {
  const python = '/usr/bin/python3';
  try {
    execFileSync(python, ['-c', 'import torch, numpy'], { stdio: 'ignore' });
  } catch {
    return 'python3-torch not installed (apt-get install -y python3-torch)';
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-bench-train-'));
  try {
    const file = path.join(dir, 'matrix.f32');
    fs.writeFileSync(file, Buffer.from(matrix.buffer, matrix.byteOffset, matrix.byteLength));
    const script = path.resolve(__dirname, '..', '..', 'bench', 'train_baseline.py');
    const out = execFileSync(python, [script, file, '--features', String(features), '--layers', LAYERS.join(','), '--epochs', String(EPOCHS), '--batch', String(BATCH), '--threads', '1'], { encoding: 'utf8', maxBuffer: 1 << 20 });
    return JSON.parse(out.trim().split('\n').pop()!) as TorchResult;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function trainWith(trainer: 'fused' | 'tfjs', cols: Record<string, Float64Array>) {
  const ae = new Autoencoder({ features: [...CAR_FEATURES], layers: LAYERS, seed: 1 });
  const t0 = performance.now();
  const h = await ae.fit(cols, { epochs: EPOCHS, batchSize: BATCH, validationSplit: 0, threshold: { percentile: 99.9 }, trainer });
  return { ae, h, fitMs: performance.now() - t0 };
}

async function benchBackend(name: BackendName, cols: Record<string, Float64Array>, fusedAe: Autoencoder): Promise<void> {
  await initBackend(name);
  const { ae, h, fitMs } = await trainWith('tfjs', cols);
  console.log(`${name}: kafkalab tfjs trainer ${fmt(h.rowsPerSec)} rows/s (${fmt(h.rowsPerCpuSec ?? 0)} per CPU second; loss ${h.loss.at(-1)?.toFixed(4)}, fit() ${(fitMs / 1000).toFixed(1)} s) [load ${load()}]`);
  ae.dispose();

  // Scoring with the fused-trained weights: scoring is tfjs's, unchanged by the trainer.
  const s0 = performance.now();
  const sc0 = process.cpuUsage();
  const scores = await fusedAe.score(cols);
  const scoreMs = performance.now() - s0;
  const scoreCpu = process.cpuUsage(sc0);
  const scoreCpuS = (scoreCpu.user + scoreCpu.system) / 1e6;
  const nf = CAR_FEATURES.length;
  const matrix = fusedAe.matrix(cols);
  const m0 = performance.now();
  forward(fusedAe.model, matrix, matrix.length / nf, nf, 32768);
  const modelMs = performance.now() - m0;
  console.log(`${name}: score ${fmt((scores.length / scoreMs) * 1000)} rows/s end to end (columns -> scores; ${fmt(scores.length / scoreCpuS)} per CPU second), ${fmt((scores.length / modelMs) * 1000)} rows/s model only (chunks of 32768) [load ${load()}]`);
  const frameRows = Math.min(ROWS, 200_000);
  const df = frame(cols, frameRows);
  const d0 = performance.now();
  await fusedAe.score(df);
  console.log(`${name}: score ${fmt((frameRows / (performance.now() - d0)) * 1000)} rows/s from a ${fmt(frameRows)}-row danfo DataFrame (lowMemoryMode, as topic reads build them)`);

  // tfjs's own loop and predict on the same network and rows (fewer rows: it is slow).
  const baseRows = Math.min(ROWS, 200_000);
  const net = buildNetwork({ inputSize: nf, layers: LAYERS, activation: 'relu', outputActivation: 'linear', l2: 0, dropout: 0, seed: 1 });
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
  console.log(`${name}: tfjs model.fit ${fmt(baseFit)} rows/s (${fmt(baseRows)} rows, 1 epoch), model.predict (default batchSize 32) ${fmt(basePredict)} rows/s (${fmt(predRows)} rows)`);
  tf.dispose([x, xp, y]);
  net.dispose();
}

async function main(): Promise<void> {
  const g0 = performance.now();
  const cols = simulatorColumns(ROWS);
  console.log(`data: ${fmt(ROWS)} simulator rows x ${CAR_FEATURES.length} features, layers ${LAYERS.join('-')}, ${EPOCHS} epochs, batch ${BATCH} (${((performance.now() - g0) / 1000).toFixed(1)} s to generate) [load ${load()}]`);

  const fused = await trainWith('fused', cols);
  const fusedRate = fused.h.rowsPerSec;
  console.log(`kafkalab fused trainer (default): ${fmt(fusedRate)} rows/s in training steps (${fmt(fused.h.rowsPerCpuSec ?? 0)} per CPU second), ${fmt((ROWS * EPOCHS * 1000) / fused.fitMs)} rows/s over the whole fit() incl. features, scaling, shuffles, threshold (${(fused.fitMs / 1000).toFixed(1)} s, loss ${fused.h.loss.at(-1)?.toFixed(4)}) [load ${load()}]`);
  if (PYTHON) {
    const t = pytorch(fused.ae.matrix(cols), CAR_FEATURES.length);
    if (typeof t === 'string') console.log(`pytorch: skipped, ${t}`);
    else {
      console.log(`pytorch ${t.torch} (${t.threads} thread, same network, Adam, batch ${BATCH}): ${fmt(t.step_rows_per_sec)} rows/s in training steps (${fmt(t.step_rows_per_cpu_sec)} per CPU second), ${fmt(t.rows_per_sec)} rows/s incl. shuffles (loss ${t.loss.toFixed(4)}) [load ${load()}]`);
      console.log(`fused / pytorch: ${(fusedRate / t.step_rows_per_sec).toFixed(2)}x wall, ${((fused.h.rowsPerCpuSec ?? 0) / t.step_rows_per_cpu_sec).toFixed(2)}x per CPU second (training steps, same run; on a busy machine the CPU figure is the fair one)`);
    }
  }
  for (const b of BACKENDS) await benchBackend(b, cols, fused.ae);
  fused.ae.dispose();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
