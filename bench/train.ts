// Autoencoder training and scoring throughput on simulator data (1,000,000 rows x 16 features,
// layers 14-7-14, 3 epochs, batch 512), next to same-run baselines: PyTorch (Debian's
// python3-torch, one thread, the same network, Adam, batch and scaled rows; bench/train_baseline.py)
// and, per TensorFlow.js backend, kafkalab's tfjs trainer and tfjs's own `model.fit` / `model.predict`.
// Scoring: `ae.score()` end to end (columns or a DataFrame in, scores out) and the network alone,
// on the SIMD forward pass (the default for this network) and on tfjs, beside PyTorch scoring the
// same columns in the same run (numpy in, numpy out; bench/train_baseline.py). Best of 3 each.
// Usage: node dist/bench/train.js [rows] [backends, e.g. wasm,cpu] [--no-python]
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Autoencoder } from '../sdk/ml/autoencoder';
import { initBackend, tf, type BackendName } from '../sdk/runtime/score/backend';
import { buildNetwork } from '../sdk/ml/model';
import { forward, Scorer } from '../sdk/runtime';
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
  score_rows_per_sec?: number;
  score_rows_per_cpu_sec?: number;
  score_network_rows_per_sec?: number;
  step_rows_per_sec: number;
  step_rows_per_cpu_sec: number;
  loss: number;
  torch: string;
  threads: number;
}

/** PyTorch on the same scaled rows (the matrix the Autoencoder trains on); scoring from the raw columns and the scaler. */
function pytorch(matrix: Float32Array, features: number, cols: Record<string, Float64Array>, scaler: { offset: number[]; scale: number[] }): TorchResult | string {
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
    const raw = path.join(dir, 'raw.f64');
    const fd = fs.openSync(raw, 'w');
    for (const f of CAR_FEATURES) fs.writeSync(fd, Buffer.from(cols[f].buffer, cols[f].byteOffset, cols[f].byteLength));
    fs.closeSync(fd);
    const scalerFile = path.join(dir, 'scaler.json');
    fs.writeFileSync(scalerFile, JSON.stringify(scaler));
    const script = path.resolve(__dirname, '..', '..', 'bench', 'train_baseline.py');
    const out = execFileSync(python, [script, file, '--features', String(features), '--layers', LAYERS.join(','), '--epochs', String(EPOCHS), '--batch', String(BATCH), '--threads', '1', '--raw', raw, '--scaler', scalerFile], { encoding: 'utf8', maxBuffer: 1 << 20 });
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

/** Best of 3 of `run` over `rows` rows: rows per second of wall time, and per CPU second. */
async function best(rows: number, run: () => unknown): Promise<{ wall: number; cpu: number }> {
  let wall = 0;
  let cpu = 0;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await run();
    const ms = performance.now() - t0;
    const c = process.cpuUsage(c0);
    wall = Math.max(wall, (rows / ms) * 1000);
    cpu = Math.max(cpu, rows / ((c.user + c.system) / 1e6));
  }
  return { wall, cpu };
}

async function benchBackend(name: BackendName, cols: Record<string, Float64Array>, fusedAe: Autoencoder, torch: TorchResult | string): Promise<void> {
  await initBackend(name);
  const { ae, h, fitMs } = await trainWith('tfjs', cols);
  console.log(`${name}: kafkalab tfjs trainer ${fmt(h.rowsPerSec)} rows/s (${fmt(h.rowsPerCpuSec ?? 0)} per CPU second; loss ${h.loss.at(-1)?.toFixed(4)}, fit() ${(fitMs / 1000).toFixed(1)} s) [load ${load()}]`);
  ae.dispose();

  // Scoring with the fused-trained weights, on the engine the Scorer picks (SIMD for this
  // network) and on tfjs (the same model loaded with KAFKALAB_SCORE_ENGINE=tfjs).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-bench-score-'));
  await fusedAe.save(dir);
  process.env.KAFKALAB_SCORE_ENGINE = 'tfjs';
  const onTfjs = await Autoencoder.load(dir);
  delete process.env.KAFKALAB_SCORE_ENGINE;
  fs.rmSync(dir, { recursive: true, force: true });
  const nf = CAR_FEATURES.length;
  const matrix = fusedAe.matrix(cols);
  const rows = matrix.length / nf;
  const a = await fusedAe.score(cols);
  const b = await onTfjs.score(cols);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  const e2e = await best(rows, () => fusedAe.score(cols));
  const e2eTfjs = await best(rows, () => onTfjs.score(cols));
  const out = new Float32Array(matrix.length);
  const scorer = new Scorer(fusedAe.spec, fusedAe.model);
  const net = await best(rows, () => scorer.reconstruct(matrix, rows, out));
  const netTfjs = await best(rows, () => forward(fusedAe.model, matrix, rows, nf, 32768));
  console.log(`${name}: score end to end (columns -> scores, ${fmt(rows)} rows): ${fmt(e2e.wall)} rows/s on the ${scorer.engine} forward pass (${fmt(e2e.cpu)} per CPU second), ${fmt(e2eTfjs.wall)} rows/s on tfjs (${fmt(e2eTfjs.cpu)}); scores agree within ${diff.toExponential(1)} [load ${load()}]`);
  console.log(`${name}: network only (scaled rows -> reconstructions): ${fmt(net.wall)} rows/s ${scorer.engine} (${fmt(net.cpu)} per CPU second), ${fmt(netTfjs.wall)} rows/s tfjs in chunks of 32768 (${fmt(netTfjs.cpu)})`);
  if (typeof torch !== 'string' && torch.score_rows_per_sec !== undefined) {
    console.log(`${name}: pytorch scoring the same columns: ${fmt(torch.score_rows_per_sec)} rows/s end to end (numpy columns -> scores; ${fmt(torch.score_rows_per_cpu_sec ?? 0)} per CPU second), ${fmt(torch.score_network_rows_per_sec ?? 0)} rows/s network only; kafkalab / pytorch end to end ${(e2e.wall / torch.score_rows_per_sec).toFixed(2)}x wall, ${(e2e.cpu / (torch.score_rows_per_cpu_sec ?? NaN)).toFixed(2)}x per CPU second`);
  }
  const frameRows = Math.min(ROWS, 200_000);
  const df = frame(cols, frameRows);
  const fromFrame = await best(frameRows, () => fusedAe.score(df));
  const predicted = await best(frameRows, () => fusedAe.predict(df));
  console.log(`${name}: from a ${fmt(frameRows)}-row danfo DataFrame (lowMemoryMode, as topic reads build them): score ${fmt(fromFrame.wall)} rows/s (${fmt(fromFrame.cpu)} per CPU second), predict (frame + score, anomaly, top_feature) ${fmt(predicted.wall)} rows/s (${fmt(predicted.cpu)})`);
  onTfjs.dispose();

  // tfjs's own loop and predict on the same network and rows (fewer rows: it is slow).
  const baseRows = Math.min(ROWS, 200_000);
  const base = buildNetwork({ inputSize: nf, layers: LAYERS, activation: 'relu', outputActivation: 'linear', l2: 0, dropout: 0, seed: 1 });
  base.compile({ optimizer: tf.train.adam(1e-3), loss: 'meanSquaredError' });
  const x = tf.tensor2d(matrix.subarray(0, baseRows * nf), [baseRows, nf]);
  const b0 = performance.now();
  await base.fit(x, x, { epochs: 1, batchSize: BATCH, shuffle: true, verbose: 0 });
  const baseFit = (baseRows / (performance.now() - b0)) * 1000;
  const predRows = Math.min(baseRows, 50_000);
  const xp = x.slice([0, 0], [predRows, nf]);
  const p0 = performance.now();
  const y = base.predict(xp) as tf.Tensor;
  y.dataSync();
  const basePredict = (predRows / (performance.now() - p0)) * 1000;
  console.log(`${name}: tfjs model.fit ${fmt(baseFit)} rows/s (${fmt(baseRows)} rows, 1 epoch), model.predict (default batchSize 32) ${fmt(basePredict)} rows/s (${fmt(predRows)} rows)`);
  tf.dispose([x, xp, y]);
  base.dispose();
}

async function main(): Promise<void> {
  const g0 = performance.now();
  const cols = simulatorColumns(ROWS);
  console.log(`data: ${fmt(ROWS)} simulator rows x ${CAR_FEATURES.length} features, layers ${LAYERS.join('-')}, ${EPOCHS} epochs, batch ${BATCH} (${((performance.now() - g0) / 1000).toFixed(1)} s to generate) [load ${load()}]`);

  const fused = await trainWith('fused', cols);
  const fusedRate = fused.h.rowsPerSec;
  console.log(`kafkalab fused trainer (default): ${fmt(fusedRate)} rows/s in training steps (${fmt(fused.h.rowsPerCpuSec ?? 0)} per CPU second), ${fmt((ROWS * EPOCHS * 1000) / fused.fitMs)} rows/s over the whole fit() incl. features, scaling, shuffles, threshold (${(fused.fitMs / 1000).toFixed(1)} s, loss ${fused.h.loss.at(-1)?.toFixed(4)}) [load ${load()}]`);
  let torch: TorchResult | string = 'not run (--no-python)';
  if (PYTHON) {
    const t = (torch = pytorch(fused.ae.matrix(cols), CAR_FEATURES.length, cols, fused.ae.spec.scaler));
    if (typeof t === 'string') console.log(`pytorch: skipped, ${t}`);
    else {
      console.log(`pytorch ${t.torch} (${t.threads} thread, same network, Adam, batch ${BATCH}): ${fmt(t.step_rows_per_sec)} rows/s in training steps (${fmt(t.step_rows_per_cpu_sec)} per CPU second), ${fmt(t.rows_per_sec)} rows/s incl. shuffles (loss ${t.loss.toFixed(4)}) [load ${load()}]`);
      console.log(`fused / pytorch: ${(fusedRate / t.step_rows_per_sec).toFixed(2)}x wall, ${((fused.h.rowsPerCpuSec ?? 0) / t.step_rows_per_cpu_sec).toFixed(2)}x per CPU second (training steps, same run; on a busy machine the CPU figure is the fair one)`);
    }
  }
  for (const b of BACKENDS) await benchBackend(b, cols, fused.ae, torch);
  fused.ae.dispose();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
