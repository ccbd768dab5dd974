import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ANOMALY_TYPES, CAR_FEATURES, CAR_SENSOR_FIELDS, carReadings, generateCarReadings, makeVin, type CarReading } from '../../sdk/ingest/simulator';
import { Rng } from '../../sdk/util/prng';

const byCar = (rows: CarReading[]) => {
  const m = new Map<string, CarReading[]>();
  for (const r of rows) (m.get(r.carId) ?? m.set(r.carId, []).get(r.carId)!).push(r);
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

test('CAR_FEATURES: the 16 sensor fields without engine_rpm and battery_percentage', () => {
  assert.is(CAR_SENSOR_FIELDS.length, 18);
  assert.is(CAR_FEATURES.length, 16);
  assert.not.ok(CAR_FEATURES.includes('engine_rpm' as never));
  assert.not.ok(CAR_FEATURES.includes('battery_percentage' as never));
});

test('same seed and options give identical readings; another seed differs', () => {
  const a = JSON.stringify(carReadings({ cars: 5, readingsPerCar: 300, seed: 7, anomalyRate: 0.05 }));
  const b = JSON.stringify(carReadings({ cars: 5, readingsPerCar: 300, seed: 7, anomalyRate: 0.05 }));
  const c = JSON.stringify(carReadings({ cars: 5, readingsPerCar: 300, seed: 8, anomalyRate: 0.05 }));
  assert.is(a, b);
  assert.is.not(a, c);
});

test('a car is the same car in a small and a large fleet', () => {
  const small = carReadings({ cars: 3, readingsPerCar: 50, seed: 3 }).filter((r) => r.carId === 'car-0002');
  const large = carReadings({ cars: 40, readingsPerCar: 50, seed: 3 }).filter((r) => r.carId === 'car-0002');
  assert.equal(small, large);
});

test('records: shape, time order, per-car seq from 0, VINs with valid check digits', () => {
  const rows = carReadings({ cars: 10, readingsPerCar: 200, intervalMs: 500, start: '2026-01-01T00:00:00Z' });
  assert.is(rows.length, 2000);
  for (let i = 1; i < rows.length; i++) assert.ok(rows[i].ts >= rows[i - 1].ts, 'time order');
  for (const [id, list] of byCar(rows)) {
    assert.match(id, /^car-\d{4}$/);
    assert.equal(list.map((r) => r.seq), list.map((_, i) => i));
    assert.is(list[1].ts - list[0].ts, 500);
    assert.is(new Set(list.map((r) => r.vin)).size, 1);
  }
  const r = rows[0];
  assert.ok(r.ts >= Date.parse('2026-01-01T00:00:00Z') && r.ts < Date.parse('2026-01-01T00:00:00.500Z'));
  assert.match(r.firmware_version, /^\d+\.\d+\.\d+$/);
  for (const f of CAR_SENSOR_FIELDS) assert.type(r[f], 'number', f);
  assert.is(r.anomaly, 0);
  const values: Record<string, number> = { A: 1, B: 2, C: 3, D: 4, E: 5, F: 6, G: 7, H: 8, J: 1, K: 2, L: 3, M: 4, N: 5, P: 7, R: 9, S: 2, T: 3, U: 4, V: 5, W: 6, X: 7, Y: 8, Z: 9 };
  const weights = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
  const rng = new Rng(5);
  for (let i = 0; i < 200; i++) {
    const vin = makeVin(rng);
    assert.is(vin.length, 17);
    assert.not.match(vin, /[IOQ]/);
    const sum = [...vin].reduce((s, c, j) => s + (/\d/.test(c) ? Number(c) : values[c]) * weights[j], 0);
    assert.is(vin[8], sum % 11 === 10 ? 'X' : String(sum % 11), vin);
  }
});

test('physics: rpm follows speed, coolant warms towards the thermostat, air flow follows rpm and throttle', () => {
  const rows = carReadings({ cars: 6, readingsPerCar: 1500, seed: 2, anomalyRate: 0 });
  const moving = rows.filter((r) => r.speed > 10);
  assert.ok(corr(moving.map((r) => r.speed), moving.map((r) => r.engine_rpm)) > 0.5, 'rpm ~ speed');
  assert.ok(corr(rows.map((r) => r.engine_rpm), rows.map((r) => r.engine_vibration_amplitude)) > 0.7, 'vibration ~ rpm');
  assert.ok(corr(rows.map((r) => r.engine_rpm * (0.18 + 0.0075 * r.throttle_pos)), rows.map((r) => r.intake_air_flow)) > 0.95, 'MAF ~ rpm x throttle');
  for (const [, list] of byCar(rows)) {
    assert.ok(list[0].coolant_temp < 45, `starts cold: ${list[0].coolant_temp}`);
    const last = list[list.length - 1].coolant_temp;
    assert.ok(last > 80 && last < 105, `warms to the thermostat: ${last}`);
    const idle = list.filter((r) => r.speed === 0);
    if (idle.length) assert.ok(Math.max(...idle.map((r) => r.engine_rpm)) < 1000, 'idle rpm');
    const tires = list.map((r) => r.tire_pressure_fl);
    assert.ok(Math.max(...tires) - Math.min(...tires) < 40, 'tyre pressure drifts slowly');
  }
  const highway = rows.filter((r) => r.speed > 90);
  const city = rows.filter((r) => r.speed > 20 && r.speed < 50);
  const mean = (xs: CarReading[], f: (r: CarReading) => number) => xs.reduce((s, r) => s + f(r), 0) / xs.length;
  assert.ok(highway.length > 100 && city.length > 100, 'drive cycle has highway and city');
  assert.ok(mean(highway, (r) => r.accel_fl) > mean(city, (r) => r.accel_fl), 'wheel vibration grows with speed');
  assert.ok(mean(highway, (r) => r.intake_air_flow) > mean(city, (r) => r.intake_air_flow));
});

test('anomalies: every kind appears, labels are consistent, the rate is respected', () => {
  const counts: Record<string, number> = {};
  let n = 0;
  for (const r of generateCarReadings({ cars: 60, readingsPerCar: 3000, seed: 4, anomalyRate: 0.03 })) {
    n++;
    counts[r.anomaly_type] = (counts[r.anomaly_type] ?? 0) + 1;
    assert.is(r.anomaly, r.anomaly_type === 'none' ? 0 : 1);
  }
  for (const t of ANOMALY_TYPES) assert.ok((counts[t] ?? 0) > 0, `${t} present: ${JSON.stringify(counts)}`);
  const rate = (n - counts.none) / n;
  assert.ok(rate > 0.015 && rate < 0.05, `anomalous fraction ${rate}`);
  assert.is(carReadings({ cars: 5, readingsPerCar: 500, anomalyRate: 0 }).filter((r) => r.anomaly).length, 0);
});

test('anomaly kinds are visible in the features', () => {
  const only = (t: (typeof ANOMALY_TYPES)[number]) => carReadings({ cars: 40, readingsPerCar: 2000, seed: 9, anomalyRate: 0.03, anomalyTypes: [t] });
  const spikes = only('vibration_spike');
  const normalVib = spikes.filter((r) => !r.anomaly).map((r) => r.engine_vibration_amplitude).sort((a, b) => a - b);
  const p999 = normalVib[Math.floor(normalVib.length * 0.999)];
  const spikeVib = spikes.filter((r) => r.anomaly).map((r) => r.engine_vibration_amplitude);
  assert.ok(spikeVib.length > 20);
  assert.ok(spikeVib.filter((v) => v > p999).length / spikeVib.length > 0.95, 'spikes stand out');

  const tires = only('tire_pressure_loss').filter((r) => r.anomaly);
  assert.ok(tires.length > 0);
  for (const r of tires) {
    const p = [r.tire_pressure_fl, r.tire_pressure_fr, r.tire_pressure_rl, r.tire_pressure_rr].sort((a, b) => a - b);
    assert.ok(p[0] < 0.92 * p[2], 'one tyre clearly below the others');
  }

  const bearing = only('bearing_wear').filter((r) => r.anomaly && r.speed > 30);
  assert.ok(bearing.length > 0);
  const ratio = bearing.map((r) => {
    const a = [r.accel_fl, r.accel_fr, r.accel_rl, r.accel_rr].sort((x, y) => x - y);
    return a[3] / a[1];
  });
  assert.ok(ratio.filter((x) => x > 1.4).length / ratio.length > 0.8, 'one wheel accelerometer well above the others');

  const dropouts = only('sensor_dropout').filter((r) => r.anomaly);
  assert.ok(dropouts.length > 0);
  for (const r of dropouts) {
    const rails = CAR_FEATURES.filter((f) => [0, -40, 215, 655.35, 255, 100, 50, 16].includes(r[f]) && !(f === 'throttle_pos' && r[f] === 0) && !(f === 'speed' && r[f] === 0));
    assert.ok(rails.length >= 1, `a sensor at 0 or a rail: ${JSON.stringify(r)}`);
  }

  const stuck = only('stuck_sensor');
  const cars = byCar(stuck);
  let frozen = 0, total = 0;
  for (const [, list] of cars) {
    for (let i = 1; i < list.length; i++) {
      if (!list[i].anomaly || !list[i - 1].anomaly) continue;
      total++;
      if (CAR_FEATURES.some((f) => list[i][f] === list[i - 1][f] && f !== 'throttle_pos')) frozen++;
      else if (list[i].throttle_pos === list[i - 1].throttle_pos) frozen++;
    }
  }
  assert.ok(total > 0 && frozen / total > 0.95, `stuck readings repeat a value (${frozen}/${total})`);
});

test('options are validated with actionable errors', () => {
  assert.throws(() => carReadings({ cars: 0 }), /cars must be a positive integer/);
  assert.throws(() => carReadings({ anomalyRate: 2 }), /anomalyRate/);
  assert.throws(() => carReadings({ anomalyTypes: ['flat_tire' as never] }), /unknown anomaly type "flat_tire".*tire_pressure_loss/);
  assert.throws(() => carReadings({ start: 'yesterday' }), /Invalid start/);
  assert.is(carReadings({ cars: 2, durationMs: 10_000, intervalMs: 2000 }).length, 10);
});

test('an endless stream is lazy', () => {
  const it = generateCarReadings({ cars: 1000, readingsPerCar: Infinity });
  let n = 0;
  for (const _ of it) if (++n === 5000) break;
  assert.is(n, 5000);
});

test.run();
