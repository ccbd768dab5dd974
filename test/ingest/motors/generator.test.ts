/**
 * The motor data set: deterministic, nested, labelled at the requested rates, with physics and
 * regimes that a model has to learn (and that change over time).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  MOTOR_FAULT_TYPES, MOTOR_FEATURES, MOTOR_READING_FIELDS, flatMotorReading, generateMotorReadings, motorReadings, type MotorReading,
} from '../../../sdk/ingest/motors/generator';

const byMotor = (rows: MotorReading[]) => {
  const m = new Map<string, MotorReading[]>();
  for (const r of rows) (m.get(r.motor) ?? m.set(r.motor, []).get(r.motor)!).push(r);
  return m;
};
const corr = (xs: number[], ys: number[]) => {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
};

test('same seed and options give identical readings; another seed differs', () => {
  const a = JSON.stringify(motorReadings({ motors: 5, readingsPerMotor: 300, seed: 7, faultRate: 0.1 }));
  const b = JSON.stringify(motorReadings({ motors: 5, readingsPerMotor: 300, seed: 7, faultRate: 0.1 }));
  const c = JSON.stringify(motorReadings({ motors: 5, readingsPerMotor: 300, seed: 8, faultRate: 0.1 }));
  assert.is(a, b);
  assert.is.not(a, c);
});

test('a motor is the same motor in a small and a large fleet', () => {
  const small = motorReadings({ motors: 3, readingsPerMotor: 200, seed: 3 }).filter((r) => r.motor === 'M003');
  const large = motorReadings({ motors: 40, readingsPerMotor: 200, seed: 3 }).filter((r) => r.motor === 'M003');
  assert.is(small.length, 200);
  assert.equal(small, large);
});

test('records: nested temp and vib objects, 20 motors by default, time order, per-motor seq and interval', () => {
  const rows = motorReadings({ readingsPerMotor: 50, start: '2026-01-01T00:00:00Z' });
  assert.is(rows.length, 20 * 50);
  for (let i = 1; i < rows.length; i++) assert.ok(rows[i].ts >= rows[i - 1].ts, 'time order');
  const motors = byMotor(rows);
  assert.is(motors.size, 20);
  for (const [id, list] of motors) {
    assert.match(id, /^M\d{3}$/);
    assert.equal(list.map((r) => r.seq), list.map((_, i) => i));
    assert.is(list[1].ts - list[0].ts, 10_000, 'condition monitoring reports every 10 s by default');
    assert.is(new Set(list.map((r) => r.line)).size, 1);
  }
  const r = rows[0];
  assert.equal(Object.keys(r), ['motor', 'ts', 'seq', 'line', 'rpm', 'load', 'temp', 'current', 'voltage', 'vib', 'ambient', 'fault', 'fault_type']);
  assert.equal(Object.keys(r.temp), ['winding', 'bearing']);
  assert.equal(Object.keys(r.vib), ['x', 'y', 'z']);
  for (const v of [r.rpm, r.load, r.current, r.voltage, r.ambient, r.temp.winding, r.temp.bearing, r.vib.x, r.vib.y, r.vib.z]) assert.type(v, 'number');
  assert.match(JSON.stringify(r), /"vib":\{"x":[\d.]+,"y":[\d.]+,"z":[\d.]+\}/);
  assert.match(r.line, /^line-[1-4]$/);
  // The flat view names columns as topic.read() does, and holds every feature.
  const flat = flatMotorReading(r);
  assert.equal(Object.keys(flat), [...MOTOR_READING_FIELDS]);
  for (const f of MOTOR_FEATURES) assert.type(flat[f], 'number', f);
  assert.is(flat['vib.x'], r.vib.x);
  assert.is(flat['temp.winding'], r.temp.winding);
});

test('fault labels come at the requested rate, of every kind, and only of the kinds asked for', () => {
  const counts: Record<string, number> = {};
  let n = 0;
  let faulty = 0;
  for (const r of generateMotorReadings({ motors: 20, readingsPerMotor: 12000, faultRate: 0.05, seed: 11 })) {
    n++;
    counts[r.fault_type] = (counts[r.fault_type] ?? 0) + 1;
    assert.is(r.fault, r.fault_type === 'none' ? 0 : 1);
    if (r.fault) faulty++;
  }
  const rate = faulty / n;
  assert.ok(rate > 0.035 && rate < 0.065, `fault rate ${rate} for a requested 0.05`);
  for (const t of MOTOR_FAULT_TYPES) {
    const share = (counts[t] ?? 0) / n;
    // Split evenly between kinds: each near 0.05 / 6 = 0.0083, within the spread of 6-250 episodes.
    assert.ok(share > 0.002 && share < 0.02, `${t}: ${share}`);
  }
  const only = motorReadings({ motors: 10, readingsPerMotor: 2000, faultRate: 0.1, faultTypes: ['imbalance', 'sensor_dropout'], seed: 2 });
  assert.equal(new Set(only.map((r) => r.fault_type)), new Set(['none', 'imbalance', 'sensor_dropout']));
  assert.ok(motorReadings({ motors: 5, readingsPerMotor: 2000, faultRate: 0, seed: 2 }).every((r) => r.fault === 0));
});

test('faults change what they should: dropout rails, frozen sensors, hot windings, radial vibration', () => {
  const rows = motorReadings({ motors: 20, readingsPerMotor: 3000, faultRate: 0.2, seed: 5 });
  const healthy = rows.filter((r) => r.fault === 0 && r.rpm > 1400);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const of = (t: string) => rows.filter((r) => r.fault_type === t && r.rpm > 1400);
  const dropout = rows.filter((r) => r.fault_type === 'sensor_dropout');
  assert.ok(dropout.length > 0);
  for (const r of dropout) assert.ok([r.temp.winding, r.temp.bearing, r.vib.x, r.vib.y, r.vib.z, r.current, r.rpm].some((v) => v === 0 || v === -50), JSON.stringify(r));
  // A stuck sensor repeats one value for its whole episode.
  const stuck = byMotor(rows.filter((r) => r.fault_type === 'sensor_stuck'));
  assert.ok(stuck.size > 0);
  for (const [, list] of stuck) {
    const first = list[0];
    const frozen = (['rpm', 'load', 'current'] as const).filter((k) => list.slice(0, 5).every((r) => r[k] === first[k])).length + (list.slice(0, 5).every((r) => r.vib.x === first.vib.x || r.vib.y === first.vib.y) ? 1 : 0);
    assert.ok(frozen >= 1, `a frozen value in ${JSON.stringify(list.slice(0, 3))}`);
  }
  const hot = of('overheating');
  assert.ok(hot.length > 0 && mean(hot.map((r) => r.temp.winding)) > mean(healthy.map((r) => r.temp.winding)) + 15, 'overheating windings run hot');
  const imb = of('imbalance');
  assert.ok(imb.length > 0 && mean(imb.map((r) => r.vib.x / r.vib.z)) > 2 * mean(healthy.map((r) => r.vib.x / r.vib.z)), 'imbalance is radial');
  const elec = of('electrical');
  assert.ok(elec.length > 0 && mean(elec.map((r) => r.current / Math.max(1, r.load))) > 1.1 * mean(healthy.map((r) => r.current / Math.max(1, r.load))), 'electrical faults draw more current for the load');
  const wear = of('bearing_wear');
  assert.ok(wear.length > 0 && mean(wear.map((r) => r.vib.y)) > mean(healthy.map((r) => r.vib.y)) + 0.5, 'worn bearings vibrate');
});

test('physics: slip grows with load, current follows load, vibration follows speed, the winding lags the load', () => {
  const rows = motorReadings({ motors: 8, readingsPerMotor: 2000, faultRate: 0, seed: 2 });
  const full = rows.filter((r) => r.rpm > 1400);
  assert.ok(corr(full.map((r) => r.load), full.map((r) => 1500 - r.rpm)) > 0.5, 'slip ~ load');
  const running = rows.filter((r) => r.rpm > 100);
  assert.ok(corr(running.map((r) => r.load), running.map((r) => r.current)) > 0.9, 'current ~ load');
  assert.ok(corr(running.map((r) => r.rpm), running.map((r) => r.vib.x)) > 0.8, 'vibration ~ speed');
  for (const [, list] of byMotor(rows)) {
    // Thermal inertia: the winding follows the load's recent past better than its present.
    const i2 = list.map((r) => r.current ** 2);
    const smooth: number[] = [];
    let s = i2[0];
    for (const x of i2) smooth.push((s += (x - s) * (1 - Math.exp(-10 / 900))));
    const w = list.map((r) => r.temp.winding - r.ambient);
    assert.ok(corr(smooth, w) > corr(i2, w) + 0.05, `winding lags: ${corr(smooth, w)} vs ${corr(i2, w)}`);
    assert.ok(Math.max(...w) < 110, 'healthy windings stay within class F');
  }
});

test('regimes: lines stop, run at three speeds, and later hours run at full load more often than the first', () => {
  const rows = motorReadings({ motors: 20, readingsPerMotor: 8 * 360, faultRate: 0, seed: 4 });
  const speeds = new Set(rows.map((r) => (r.rpm < 10 ? 0 : Math.round(r.rpm / 300) * 300)));
  for (const s of [0, 900, 1200, 1500]) assert.ok(speeds.has(s), `speed ${s}`);
  const hour = (r: MotorReading) => Math.floor((r.ts - rows[0].ts) / 3_600_000);
  const fullShare = (h0: number, h1: number) => {
    const sel = rows.filter((r) => hour(r) >= h0 && hour(r) < h1);
    return sel.filter((r) => r.rpm > 1400).length / sel.length;
  };
  assert.ok(fullShare(6, 8) > fullShare(0, 2) + 0.1, `full load: ${fullShare(0, 2)} early vs ${fullShare(6, 8)} late`);
});

test('bad options say what is wrong', () => {
  assert.throws(() => motorReadings({ motors: 0 }), /motors must be a positive integer/);
  assert.throws(() => motorReadings({ faultRate: 1 }), /faultRate must be in \[0, 1\)/);
  assert.throws(() => motorReadings({ faultTypes: ['rust' as never] }), /unknown fault type "rust"/);
  assert.throws(() => motorReadings({ start: 'yesterday' }), /Invalid start/);
});

test.run();
