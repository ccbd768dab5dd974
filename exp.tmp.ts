import { Autoencoder } from './sdk/ml/autoencoder';
import { bestThreshold, detectionMetrics, percentile, meanStd, rocAuc } from './sdk/ml/metrics';
import { fitParetoTail, tailQuantile, medianMad, MAD_TO_SIGMA } from './sdk/ml/tail';
import { motorReadings, flatMotorReading, MOTOR_FEATURES } from './sdk/ingest/motors/generator';
import { carReadings, CAR_FEATURES } from './sdk/ingest/simulator';
import { mulberry32 } from './sdk/ingest/prng';

type Row = Record<string, any>;
function sets(name: string) {
  if (name === 'motors') {
    const rows = motorReadings({ motors: 20, readingsPerMotor: Number(process.env.N ?? 1000), faultRate: 0.05, seed: Number(process.env.SEED ?? 3) }).map(flatMotorReading) as Row[];
    return { rows, features: MOTOR_FEATURES.filter((f) => !(process.env.DROP ?? '').split(',').includes(f)), key: 'motor', label: 'fault' };
  }
  const rows = carReadings({ cars: 20, readingsPerCar: Number(process.env.CN ?? 4000), anomalyRate: 0.03, seed: Number(process.env.SEED ?? 3) }) as unknown as Row[];
  return { rows, features: [...CAR_FEATURES], key: 'carId', label: 'anomaly' };
}
function split(rows: Row[], by: string, fraction: number, key: string, seed = 1): [Row[], Row[]] {
  const n = rows.length; const nv = Math.round(n * fraction);
  if (by === 'time') { const idx = rows.map((_, i) => i).sort((a, b) => rows[a].ts - rows[b].ts); const v = new Set(idx.slice(n - nv)); return [rows.filter((_, i) => !v.has(i)), rows.filter((_, i) => v.has(i))]; }
  if (by === 'last') return [rows.slice(0, n - nv), rows.slice(n - nv)];
  const rnd = mulberry32(seed);
  if (by === 'random') { const v = new Set<number>(); const idx = rows.map((_, i) => i); for (let i = n - 1; i > 0; i--) { const j = Math.floor(rnd() * (i + 1)); [idx[i], idx[j]] = [idx[j], idx[i]]; } idx.slice(0, nv).forEach((i) => v.add(i)); return [rows.filter((_, i) => !v.has(i)), rows.filter((_, i) => v.has(i))]; }
  const keys = [...new Set(rows.map((r) => r[key]))]; for (let i = keys.length - 1; i > 0; i--) { const j = Math.floor(rnd() * (i + 1)); [keys[i], keys[j]] = [keys[j], keys[i]]; }
  const held = new Set<string>(); let c = 0; const counts = new Map<string, number>(); rows.forEach((r) => counts.set(r[key], (counts.get(r[key]) ?? 0) + 1));
  for (const k of keys) { if (c >= nv) break; held.add(k); c += counts.get(k)!; }
  return [rows.filter((r) => !held.has(r[key])), rows.filter((r) => held.has(r[key]))];
}
(async () => {
  for (const ds of (process.env.DS ?? 'motors,cars').split(',')) {
    const { rows, features, key, label } = sets(ds);
    const t = rows.map((r) => r.ts).sort((a, b) => a - b); const cut = t[Math.floor(t.length * Number(process.env.CUT ?? 0.5))];
    const trainAll = rows.filter((r) => r.ts < cut && r[label] === 0);
    const test = rows.filter((r) => r.ts >= cut);
    const labels = test.map((r) => r[label]);
    console.log(`== ${ds}: train ${trainAll.length} normal rows, test ${test.length} (${labels.filter(Boolean).length} positives)`);
    for (const by of (process.env.BY ?? 'last,random,time,key').split(',')) {
      const [tr, va] = split(trainAll, by, Number(process.env.FRAC ?? 0.2), key);
      const ae = new Autoencoder({ features, seed: 1, layers: process.env.L ? process.env.L.split(',').map(Number) : undefined });
      await ae.fit(tr, { epochs: Number(process.env.E ?? 20), batchSize: 256, validationSplit: 0 });
      const ve = await ae.score(va); const te = await ae.score(test);
      const best = bestThreshold(te, labels);
      const { mean, std } = meanStd(ve); const { median, mad } = medianMad(ve);
      const tail = fitParetoTail(ve, 0.05);
      const cands: Record<string, number> = {
        'p99.5': percentile(ve, 99.5), 'p99.9': percentile(ve, 99.9), 'max': Math.max(...ve),
        'sigma3': mean + 3 * std, 'sigma4': mean + 4 * std, 'sigma6': mean + 6 * std,
        'mad6': median + 6 * MAD_TO_SIGMA * mad, 'mad10': median + 10 * MAD_TO_SIGMA * mad,
        'evt1e-3': tailQuantile(tail, 1e-3), 'evt3e-4': tailQuantile(tail, 3e-4), 'evt1e-4': tailQuantile(tail, 1e-4), 'evt1e-5': tailQuantile(tail, 1e-5),
        'p99': percentile(ve, 99), 'mad8': median + 8 * MAD_TO_SIGMA * mad,
      };
      const line = Object.entries(cands).map(([k, v]) => { const m = detectionMetrics(te, labels, v); return `${k}=${(m.f1 - best.f1).toFixed(2)}`; }).join(' ');
      console.log(`${by}: best ${best.f1.toFixed(3)} @${best.threshold.toFixed(3)} auc ${rocAuc(te, labels).toFixed(3)} xi ${tail.shape.toFixed(2)} | ${line}`);
      ae.dispose();
    }
  }
})();
