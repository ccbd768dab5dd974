import { Autoencoder } from './sdk/ml/autoencoder';
import { percentile } from './sdk/ml/metrics';
import { motorReadings, flatMotorReading, MOTOR_FEATURES } from './sdk/ingest/motors/generator';
(async () => {
  const seed = Number(process.env.SEED ?? 4);
  const rows = motorReadings({ motors: 20, readingsPerMotor: 3240, faultRate: 0.05, seed }).map(flatMotorReading) as any[];
  const t = rows.map((r) => r.ts).sort((a, b) => a - b); const cut = t[Math.floor(t.length * 0.667)];
  const trainAll = rows.filter((r) => r.ts < cut && r.fault === 0);
  const test = rows.filter((r) => r.ts >= cut);
  const ae = new Autoencoder({ features: [...MOTOR_FEATURES], seed: 1 });
  await ae.fit(trainAll, { epochs: 20, batchSize: 256, validationSplit: 0.2 });
  const te = await ae.score(test);
  const thr = ae.threshold;
  const idx = test.map((_, i) => i).filter((i) => test[i].fault === 0 && te[i] > thr * 1.5).sort((a, b) => te[b] - te[a]);
  console.log('normal test rows above 1.5x p99.5:', idx.length);
  const ex = await ae.explain(idx.map((i) => test[i]) as any, { top: 1 } as any) as any[];
  const cnt: Record<string, number> = {}; ex.forEach((e) => (cnt[e.top[0].feature] = (cnt[e.top[0].feature] ?? 0) + 1)); console.log(cnt);
  const bym: Record<string, number> = {}; idx.forEach((i) => (bym[test[i].motor] = (bym[test[i].motor] ?? 0) + 1)); console.log(bym);
  const trAmb = trainAll.map(r => r.ambient); console.log('train ambient range', Math.min(...trAmb), Math.max(...trAmb), 'test', Math.min(...test.map(r => r.ambient)), Math.max(...test.map(r => r.ambient)));
  const trLoad = trainAll.map(r => r.load); console.log('train load max', Math.max(...trLoad), 'test', Math.max(...test.map(r => r.load)));
  for (const i of idx.filter((_, k) => k % Math.max(1, Math.floor(idx.length / 10)) === 0)) { const r = test[i]; console.log(te[i].toFixed(2), r.motor, r.line, r.seq, 'rpm', r.rpm, 'load', r.load, 'w', r['temp.winding'], 'b', r['temp.bearing'], 'I', r.current, 'V', r.voltage, 'vx', r['vib.x'], 'vy', r['vib.y'], 'vz', r['vib.z'], 'amb', r.ambient); }
})();
