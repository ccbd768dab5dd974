/**
 * The fused trainer against tfjs: from the same initial weights, over the same batches, the
 * per-batch losses and the final weights agree within float32 rounding, for every activation
 * and with L2; fit() uses it by default for dense autoencoders and falls back to tfjs where it
 * cannot apply; the trained weights live in the tfjs model (save/load keep the scores).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Autoencoder } from '../../sdk/ml/autoencoder';
import { initBackend, tf } from '../../sdk/runtime/score/backend';
import { ACTIVATIONS, buildNetwork, type Activation } from '../../sdk/ml/model';
import { BatchTrainer } from '../../sdk/ml/train';
import { FusedTrainer, fusedLayers } from '../../sdk/ml/fused-trainer';
import { makeTrainer } from '../../sdk/ml/fit';
import { MOTOR_FEATURES, flatMotorReading, motorReadings } from '../../sdk/ingest/motors/generator';

const F = 10;
/** Standardised motor readings: real structure, not noise. */
function data(rows: number): Float32Array {
  const recs = motorReadings({ motors: 10, readingsPerMotor: Math.ceil(rows / 10), seed: 3, faultRate: 0 }).slice(0, rows).map(flatMotorReading);
  const m = new Float32Array(rows * F);
  MOTOR_FEATURES.forEach((f, j) => {
    const col = recs.map((r) => r[f] as number);
    const mean = col.reduce((a, b) => a + b, 0) / rows;
    const sd = Math.sqrt(col.reduce((a, b) => a + (b - mean) ** 2, 0) / rows) || 1;
    col.forEach((v, i) => (m[i * F + j] = (v - mean) / sd));
  });
  return m;
}

async function curves(activation: Activation, l2: number, steps: number, batch: number, engine: 'simd' | 'js') {
  const m = data(steps * batch);
  const net = () => buildNetwork({ inputSize: F, layers: [8, 4, 8], activation, outputActivation: 'linear', l2, dropout: 0, seed: 5 });
  const a = net();
  const b = net();
  const ref = new BatchTrainer(a, F, 1e-3, l2);
  const layers = fusedLayers(b);
  assert.ok(typeof layers !== 'string', String(layers));
  const fused = new FusedTrainer(b, F, 1e-3, l2, layers as never, engine);
  assert.is(fused.net.kind, engine);
  const la: number[] = [];
  const lb: number[] = [];
  // Two passes: the fused trainer keeps its Adam state between them, as tfjs's optimizer does.
  for (let pass = 0; pass < 2; pass++) {
    await ref.pass(m, batch, (_, l) => la.push(l));
    await fused.pass(m, batch, (_, l) => lb.push(l));
  }
  const wa = a.getWeights().map((w) => Array.from(w.dataSync()));
  const wb = b.getWeights().map((w) => Array.from(w.dataSync()));
  ref.dispose();
  fused.dispose();
  a.dispose();
  b.dispose();
  return { la, lb, wa, wb };
}

test('same initial weights, same batches: per-batch losses and final weights agree with tfjs, every activation, both engines', async () => {
  await initBackend();
  const runs: [Activation, 'simd' | 'js'][] = [...ACTIVATIONS.map((a): [Activation, 'js'] => [a, 'js']), ['relu', 'simd']];
  for (const [activation, engine] of runs) {
    const { la, lb, wa, wb } = await curves(activation, 0, 60, 128, engine);
    assert.is(la.length, 120);
    assert.is(lb.length, 120);
    let worst = 0;
    for (let i = 0; i < la.length; i++) worst = Math.max(worst, Math.abs(la[i] - lb[i]) / Math.max(1e-6, Math.abs(la[i])));
    assert.ok(worst < 1e-4, `${activation} (${engine}): worst relative loss difference ${worst}`);
    assert.ok(lb[lb.length - 1] < lb[0], `${activation}: the loss falls (${lb[0]} -> ${lb[lb.length - 1]})`);
    let wmax = 0;
    wa.forEach((w, k) => w.forEach((v, i) => (wmax = Math.max(wmax, Math.abs(v - wb[k][i])))));
    // 120 Adam steps of lr 1e-3 move a weight by up to ~0.12; float32 vs float64 rounding leaves ~1e-6.
    assert.ok(wmax < 1e-4, `${activation} (${engine}): largest weight difference ${wmax}`);
  }
});

test('with an L2 penalty too (the reported loss includes it, as tfjs reports it), both engines', async () => {
  for (const engine of ['simd', 'js'] as const) {
    const { la, lb } = await curves('relu', 1e-3, 40, 256, engine);
    for (let i = 0; i < la.length; i++) assert.ok(Math.abs(la[i] - lb[i]) / la[i] < 1e-4, `${engine} step ${i}: ${la[i]} vs ${lb[i]}`);
  }
});

test('the SIMD engine grows with the batch size and keeps its weights; odd widths are padded', async () => {
  const m = data(3000);
  const net = buildNetwork({ inputSize: F, layers: [9, 3, 9], activation: 'relu', outputActivation: 'linear', l2: 0, dropout: 0, seed: 2 });
  const ref = buildNetwork({ inputSize: F, layers: [9, 3, 9], activation: 'relu', outputActivation: 'linear', l2: 0, dropout: 0, seed: 2 });
  const a = new FusedTrainer(net, F, 1e-3, 0, fusedLayers(net) as never, 'simd');
  const b = new BatchTrainer(ref, F, 1e-3, 0);
  assert.is(a.net.kind, 'simd');
  for (const batch of [100, 1000, 3000]) {
    const la: number[] = [];
    const lb: number[] = [];
    await a.pass(m, batch, (_, l) => la.push(l));
    await b.pass(m, batch, (_, l) => lb.push(l));
    la.forEach((l, i) => assert.ok(Math.abs(l - lb[i]) / lb[i] < 1e-4, `batch ${batch} step ${i}: ${l} vs ${lb[i]}`));
  }
  b.dispose();
  net.dispose();
  ref.dispose();
});

test('fit(): fused by default for dense autoencoders, tfjs on request or where it cannot apply; same loss curve', async () => {
  const rows = motorReadings({ motors: 10, readingsPerMotor: 400, seed: 8, faultRate: 0 }).map(flatMotorReading);
  const fit = async (opts: Record<string, unknown>, aeOpts: Record<string, unknown> = {}) => {
    const ae = new Autoencoder({ features: [...MOTOR_FEATURES], layers: [8, 4, 8], seed: 3, ...aeOpts });
    const h = await ae.fit(rows, { epochs: 4, batchSize: 128, ...opts });
    const scores = await ae.score(rows);
    return { ae, h, scores };
  };
  const fused = await fit({});
  const tfjs = await fit({ trainer: 'tfjs' });
  assert.is(fused.h.trainer, 'fused');
  assert.ok((fused.h.rowsPerCpuSec ?? 0) > 0);
  assert.is(tfjs.h.trainer, 'tfjs');
  for (let e = 0; e < 4; e++) {
    assert.ok(Math.abs(fused.h.loss[e] - tfjs.h.loss[e]) / tfjs.h.loss[e] < 1e-3, `epoch ${e + 1} loss ${fused.h.loss[e]} vs ${tfjs.h.loss[e]}`);
    assert.ok(Math.abs(fused.h.valLoss[e] - tfjs.h.valLoss[e]) / tfjs.h.valLoss[e] < 1e-3, `epoch ${e + 1} val loss ${fused.h.valLoss[e]} vs ${tfjs.h.valLoss[e]}`);
  }
  assert.ok(Math.abs(fused.ae.threshold - tfjs.ae.threshold) / tfjs.ae.threshold < 1e-3, `thresholds ${fused.ae.threshold} vs ${tfjs.ae.threshold}`);

  // The weights are in the tfjs model: save and load give the same scores.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-fused-'));
  try {
    await fused.ae.save(dir);
    const loaded = await Autoencoder.load(dir);
    const again = await loaded.score(rows);
    for (let i = 0; i < again.length; i++) assert.ok(Math.abs(again[i] - fused.scores[i]) <= 1e-6 * Math.max(1, fused.scores[i]));
    loaded.dispose();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const dropout = await fit({}, { dropout: 0.1 });
  assert.is(dropout.h.trainer, 'tfjs', 'dropout needs tfjs');
  let err: Error | undefined;
  await fit({ trainer: 'fused' }, { dropout: 0.1 }).catch((e: Error) => (err = e));
  assert.match(err!.message, /fused trainer cannot train this network \(a Dropout layer\)/);
  await fit({ trainer: 'gpu' }).then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /'auto', 'fused' or 'tfjs'/));
  for (const r of [fused, tfjs, dropout]) r.ae.dispose();
});

test('KAFKALAB_TRAINER sets the default', () => {
  const model = buildNetwork({ inputSize: 4, layers: [3], activation: 'relu', outputActivation: 'linear', l2: 0, dropout: 0, seed: 1 });
  const before = process.env.KAFKALAB_TRAINER;
  try {
    process.env.KAFKALAB_TRAINER = 'tfjs';
    assert.is(makeTrainer(model, 4, 1e-3, 0).kind, 'tfjs');
    process.env.KAFKALAB_TRAINER = 'fused';
    assert.is(makeTrainer(model, 4, 1e-3, 0).kind, 'fused');
    process.env.KAFKALAB_TRAINER = 'fast';
    assert.throws(() => makeTrainer(model, 4, 1e-3, 0), /KAFKALAB_TRAINER="fast" is not a trainer/);
  } finally {
    if (before === undefined) delete process.env.KAFKALAB_TRAINER;
    else process.env.KAFKALAB_TRAINER = before;
    model.dispose();
  }
});

test.run();
