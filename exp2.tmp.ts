import { Autoencoder } from './sdk/ml/autoencoder';
import { percentile } from './sdk/ml/metrics';
import { motorReadings, flatMotorReading, MOTOR_FEATURES } from './sdk/ingest/motors/generator';
(async () => {
  const rows = motorReadings({ motors: 20, readingsPerMotor: 1000, faultRate: 0.05, seed: 3 }).map(flatMotorReading) as any[];
  const t = rows.map((r) => r.ts).sort((a, b) => a - b); const cut = t[Math.floor(t.length * 0.5)];
  const trainAll = rows.filter((r) => r.ts < cut && r.fault === 0);
  const n = trainAll.length, nv = Math.round(n * 0.2);
  const tr = trainAll.slice(0, n - nv), va = trainAll.slice(n - nv);
  const test = rows.filter((r) => r.ts >= cut);
  const ae = new Autoencoder({ features: [...MOTOR_FEATURES], seed: 1 });
  await ae.fit(tr, { epochs: 20, batchSize: 256, validationSplit: 0 });
  const ve = await ae.score(va); const te = await ae.score(test);
  const thr = percentile(ve, 99.9);
  const fe = await ae.scoreFeatures(test as any);
  const bad = test.map((r, i) => ({ r, s: te[i], i })).filter((x) => x.r.fault === 0 && x.s > thr);
  console.log('thr', thr, 'normal test above', bad.length, 'of', test.filter(r => !r.fault).length);
  const byMotor: Record<string, number> = {}; for (const b of bad) byMotor[b.r.motor] = (byMotor[b.r.motor] ?? 0) + 1; console.log(byMotor);
  const top: Record<string, number> = {};
  for (const b of bad) { const f = (fe as any)[b.i] ?? null; }
  const ex = await ae.explain(test.filter((r, i) => r.fault === 0 && te[i] > thr) as any, { top: 1 } as any);
  console.log(JSON.stringify(ex).slice(0, 300));
  for (const b of bad.filter((_, k) => k % Math.ceil(bad.length / 12) === 0)) console.log(b.s.toFixed(2), JSON.stringify(b.r));
})();
