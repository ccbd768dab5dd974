import { Autoencoder } from './sdk/ml/autoencoder';
import { motorReadings, flatMotorReading, MOTOR_FEATURES } from './sdk/ingest/motors/generator';
(async () => {
  const all = motorReadings({ motors: 20, readingsPerMotor: 1000, faultRate: 0.05, seed: 3 });
  const rows = all.map(flatMotorReading) as any[];
  const t = rows.map((r) => r.ts).sort((a, b) => a - b); const cut = t[Math.floor(t.length * 0.5)];
  const trainAll = rows.filter((r) => r.ts < cut && r.fault === 0);
  const test = rows.filter((r) => r.ts >= cut);
  const ae = new Autoencoder({ features: [...MOTOR_FEATURES], seed: 1 });
  await ae.fit(trainAll, { epochs: 20, batchSize: 256, validationSplit: 0.2 });
  const te = await ae.score(test);
  const idx = test.map((_, i) => i).filter((i) => test[i].fault === 0).sort((a, b) => te[b] - te[a]);
  const ex = await ae.explain(idx.slice(0, 400).map((i) => test[i]) as any, { top: 1 } as any) as any[];
  const cnt: Record<string, number> = {};
  ex.forEach((e) => (cnt[e.top[0].feature] = (cnt[e.top[0].feature] ?? 0) + 1));
  console.log('top feature among 400 worst normal test rows', cnt);
  // previous fault of same motor
  const lastFault = new Map<string, { type: string; seq: number }>();
  const info: string[] = [];
  const bySeq = new Map<string, any[]>(); for (const r of rows) (bySeq.get(r.motor) ?? bySeq.set(r.motor, []).get(r.motor)!).push(r);
  for (const i of idx.slice(0, 40).filter((_, k) => k % 3 === 0)) {
    const r = test[i]; const hist = bySeq.get(r.motor)!; let lf = 'none';
    for (let s = r.seq; s >= 0; s--) if (hist[s].fault) { lf = `${hist[s].fault_type}@-${r.seq - s}`; break; }
    let nf = 'none'; for (let s = r.seq; s < hist.length; s++) if (hist[s].fault) { nf = `${hist[s].fault_type}@+${s - r.seq}`; break; }
    console.log(te[i].toFixed(2), r.motor, r.seq, 'rpm', r.rpm, 'load', r.load, 'w', r['temp.winding'], 'b', r['temp.bearing'], 'vx', r['vib.x'], 'vy', r['vib.y'], 'vz', r['vib.z'], 'amb', r.ambient, 'prev', lf, 'next', nf);
  }
  console.log('thr', ae.threshold);
})();
