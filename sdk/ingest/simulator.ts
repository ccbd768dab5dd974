/**
 * The connected-car data set: a deterministic generator of sensor readings for a fleet of
 * simulated cars, with labelled anomalies. The same seed and options give the same readings,
 * byte for byte, on any machine: every draw comes from a per-car seeded PRNG.
 */
import { KafkalabError } from '../util/errors';
import { AnomalyInjector, ANOMALY_TYPES, type AnomalyType } from './anomalies';
import { CarModel, type CarSignals } from './car-model';
import { mixSeed, Rng } from '../util/prng';

export { ANOMALY_TYPES, BEARING_LABEL_SEVERITY, TIRE_LABEL_LOSS, type AnomalyType } from './anomalies';

/** One reading, flat, as published to `cars/<carId>/sensors` and stored in `car-sensors`. */
export interface CarReading extends CarSignals {
  carId: string;
  /** Epoch milliseconds. */
  ts: number;
  /** Per-car message counter from 0. */
  seq: number;
  vin: string;
  firmware_version: string;
  anomaly: 0 | 1;
  anomaly_type: AnomalyType | 'none';
}

/** All 18 numeric sensor fields, in record order. */
export const CAR_SENSOR_FIELDS = [
  'coolant_temp', 'intake_air_temp', 'intake_air_flow', 'battery_percentage', 'battery_voltage',
  'current_draw', 'speed', 'throttle_pos', 'engine_rpm', 'engine_vibration_amplitude',
  'tire_pressure_fl', 'tire_pressure_fr', 'tire_pressure_rl', 'tire_pressure_rr',
  'accel_fl', 'accel_fr', 'accel_rl', 'accel_rr',
] as const satisfies readonly (keyof CarSignals)[];

/**
 * The default 16 autoencoder features: every sensor field except engine_rpm (a deterministic
 * function of speed and gear) and battery_percentage (a slow integral, not a per-reading signal).
 */
export const CAR_FEATURES: CarFeature[] = CAR_SENSOR_FIELDS.filter((f): f is CarFeature => f !== 'engine_rpm' && f !== 'battery_percentage');
export type CarFeature = Exclude<(typeof CAR_SENSOR_FIELDS)[number], 'engine_rpm' | 'battery_percentage'>;

/** Every field of a reading in record order (CSV column order). */
export const CAR_READING_FIELDS = ['carId', 'ts', 'seq', 'vin', 'firmware_version', ...CAR_SENSOR_FIELDS, 'anomaly', 'anomaly_type'] as const;

/** Decimal places each sensor is reported with, like a real telematics unit quantises them. */
const DECIMALS: Record<(typeof CAR_SENSOR_FIELDS)[number], number> = {
  coolant_temp: 1, intake_air_temp: 1, intake_air_flow: 2, battery_percentage: 2, battery_voltage: 2,
  current_draw: 1, speed: 1, throttle_pos: 1, engine_rpm: 0, engine_vibration_amplitude: 3,
  tire_pressure_fl: 1, tire_pressure_fr: 1, tire_pressure_rl: 1, tire_pressure_rr: 1,
  accel_fl: 4, accel_fr: 4, accel_rl: 4, accel_rr: 4,
};

/** Fixed default start, so that a data set made without `start` is reproducible. */
export const DEFAULT_START = Date.UTC(2026, 10, 20, 0, 0, 0);

export interface CarReadingsOptions {
  /** Number of cars (default 10). */
  cars?: number;
  /** Readings per car (default 1000 unless durationMs is given; Infinity for an endless stream). */
  readingsPerCar?: number;
  /** Simulated time span instead of readingsPerCar: readings = floor(durationMs / intervalMs). */
  durationMs?: number;
  /** Milliseconds between two readings of one car (default 1000). */
  intervalMs?: number;
  /** Timestamp of the first reading (default 2026-11-20T00:00:00Z). */
  start?: number | Date | string;
  /** PRNG seed (default 1). */
  seed?: number;
  /** Approximate fraction of readings labelled anomalous (default 0.01). */
  anomalyRate?: number;
  /** Kinds of anomaly to inject (default all of ANOMALY_TYPES). */
  anomalyTypes?: readonly AnomalyType[];
  /** Number of the first car (default 1): lets several processes simulate disjoint fleets. */
  firstCar?: number;
}

export function carId(n: number): string {
  return `car-${String(n).padStart(4, '0')}`;
}

const VIN_CHARS = 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789';
const VIN_VALUES: Record<string, number> = {};
'ABCDEFGH'.split('').forEach((c, i) => (VIN_VALUES[c] = i + 1));
'JKLMN'.split('').forEach((c, i) => (VIN_VALUES[c] = i + 1));
VIN_VALUES.P = 7;
VIN_VALUES.R = 9;
'STUVWXYZ'.split('').forEach((c, i) => (VIN_VALUES[c] = i + 2));
for (let d = 0; d <= 9; d++) VIN_VALUES[String(d)] = d;
const VIN_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];

/** A 17-character VIN with a valid ISO 3779 / North-American check digit in position 9. */
export function makeVin(rng: Rng): string {
  const wmi = rng.pick(['1FA', 'WVW', 'JHM', 'WBA', '5YJ', 'VF1']);
  const chars = wmi.split('');
  for (let i = 3; i < 17; i++) chars.push(i === 8 ? '0' : VIN_CHARS[rng.int(0, VIN_CHARS.length - 1)]);
  chars[9] = 'PRSTVWXY123456789ABCDEFGHJ'[rng.int(0, 25)]; // model year code
  for (let i = 11; i < 17; i++) chars[i] = String(rng.int(0, 9)); // serial number
  const sum = chars.reduce((acc, c, i) => acc + VIN_VALUES[c] * VIN_WEIGHTS[i], 0);
  chars[8] = sum % 11 === 10 ? 'X' : String(sum % 11);
  return chars.join('');
}

const FIRMWARE = ['4.2.1', '4.2.1', '4.2.1', '4.3.0', '4.3.0', '4.1.7'];

export function resolveStart(start: CarReadingsOptions['start']): number {
  if (start === undefined) return DEFAULT_START;
  const ms = start instanceof Date ? start.getTime() : typeof start === 'number' ? start : Date.parse(start);
  if (!Number.isFinite(ms)) throw new KafkalabError(`Invalid start "${String(start)}"`, { code: 'BAD_OPTION', hint: 'pass epoch milliseconds, a Date or an ISO-8601 string' });
  return ms;
}

export function round(x: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
}

interface SimulatedCar {
  id: string;
  vin: string;
  firmware: string;
  /** Offset of this car's readings inside each interval, so cars do not report in lockstep. */
  phase: number;
  model: CarModel;
  anomalies: AnomalyInjector;
  rng: Rng;
  seq: number;
}

/** Validates options and fills in defaults; shared by the generator and the publishers. */
export function normalizeCarOptions(opts: CarReadingsOptions = {}) {
  const cars = opts.cars ?? 10;
  const intervalMs = opts.intervalMs ?? 1000;
  const anomalyRate = opts.anomalyRate ?? 0.01;
  const anomalyTypes = opts.anomalyTypes ?? ANOMALY_TYPES;
  const bad = (msg: string, hint?: string) => new KafkalabError(msg, { code: 'BAD_OPTION', hint });
  if (!Number.isInteger(cars) || cars < 1) throw bad(`cars must be a positive integer, got ${cars}`);
  if (!(intervalMs > 0)) throw bad(`intervalMs must be positive, got ${intervalMs}`);
  if (!(anomalyRate >= 0 && anomalyRate < 1)) throw bad(`anomalyRate must be in [0, 1), got ${anomalyRate}`);
  for (const t of anomalyTypes) if (!(ANOMALY_TYPES as readonly string[]).includes(t)) throw bad(`unknown anomaly type "${t}"`, `use one of ${ANOMALY_TYPES.join(', ')}`);
  let readingsPerCar = opts.readingsPerCar ?? (opts.durationMs !== undefined ? Math.floor(opts.durationMs / intervalMs) : 1000);
  if (!(readingsPerCar >= 0)) throw bad(`readingsPerCar must be >= 0, got ${readingsPerCar}`);
  if (Number.isFinite(readingsPerCar)) readingsPerCar = Math.floor(readingsPerCar);
  return { cars, intervalMs, anomalyRate, anomalyTypes, readingsPerCar, start: resolveStart(opts.start), seed: opts.seed ?? 1, firstCar: opts.firstCar ?? 1 };
}

function makeCar(n: number, seed: number, o: ReturnType<typeof normalizeCarOptions>): SimulatedCar {
  // One PRNG per car, seeded from (seed, car number): car 7 is the same car in a fleet of 10 or 1000.
  const rng = new Rng(mixSeed(seed, n));
  const vin = makeVin(rng);
  const firmware = rng.pick(FIRMWARE);
  const phase = Math.floor(rng.next() * o.intervalMs);
  const model = new CarModel(rng);
  const anomalies = new AnomalyInjector(new Rng(mixSeed(seed, n, 0xa11)), o);
  return { id: carId(n), vin, firmware, phase, model, anomalies, rng, seq: 0 };
}

function nextReading(car: SimulatedCar, tick: number, o: ReturnType<typeof normalizeCarOptions>): CarReading {
  const s = car.model.step(o.intervalMs / 1000);
  const label = car.anomalies.apply(s, car.model);
  const r: Record<string, unknown> = { carId: car.id, ts: o.start + tick * o.intervalMs + car.phase, seq: car.seq++, vin: car.vin, firmware_version: car.firmware };
  for (const f of CAR_SENSOR_FIELDS) r[f] = round(s[f], DECIMALS[f]);
  r.anomaly = label === 'none' ? 0 : 1;
  r.anomaly_type = label;
  return r as unknown as CarReading;
}

/**
 * Readings of a simulated fleet in time order (by `ts`, ties by car). Synchronous and lazy:
 * an endless stream (`readingsPerCar: Infinity`) costs memory for the cars only.
 */
export function* generateCarReadings(options: CarReadingsOptions = {}): Generator<CarReading, void, undefined> {
  const o = normalizeCarOptions(options);
  const fleet: SimulatedCar[] = [];
  for (let i = 0; i < o.cars; i++) fleet.push(makeCar(o.firstCar + i, o.seed, o));
  const order = [...fleet].sort((a, b) => a.phase - b.phase || (a.id < b.id ? -1 : 1));
  for (let tick = 0; tick < o.readingsPerCar; tick++) {
    for (const car of order) yield nextReading(car, tick, o);
  }
}

/** All readings as an array (for small sets; use the generator for large ones). */
export function carReadings(options: CarReadingsOptions = {}): CarReading[] {
  return [...generateCarReadings(options)];
}
