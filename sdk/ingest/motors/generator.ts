/**
 * The industrial-motor data set: a deterministic generator of condition-monitoring readings
 * from a fleet of induction motors on production lines, with labelled faults. It is the
 * project's second data set, independent of the car simulator (other physics, nested payloads,
 * other label names), so that no model, reader or exported app passes its tests only on the
 * data it was written for. The same seed and options give the same readings on any machine.
 *
 * A reading as published: `{"motor":"M003","ts":…,"seq":…,"line":"line-3","rpm":1473.2,
 * "load":82.4,"temp":{"winding":96.1,"bearing":48.3},"current":51.87,"voltage":401.2,
 * "vib":{"x":1.57,"y":1.38,"z":0.48},"ambient":23.9,"fault":0,"fault_type":"none"}`.
 */
import { KafkalabError } from '../../util/errors';
import { mixSeed, Rng } from '../../util/prng';
import { resolveStart, round } from '../simulator';
import { FaultInjector, MOTOR_FAULT_TYPES, type MotorFaultType } from './faults';
import { ProductionLine } from './line';
import { MotorModel, type MotorSignals } from './machine';

export { MOTOR_FAULT_TYPES, BEARING_WEAR_LABEL_SEVERITY, OVERHEAT_LABEL_K, type MotorFaultType } from './faults';

export interface MotorReading {
  /** `M001` … */
  motor: string;
  /** Epoch milliseconds. */
  ts: number;
  /** Per-motor message counter from 0. */
  seq: number;
  /** Production line the motor belongs to (`line-1` … `line-4`); motors of a line share its regime. */
  line: string;
  /** Shaft speed, 1/min. */
  rpm: number;
  /** Load torque, % of rated. */
  load: number;
  /** Temperatures, °C. */
  temp: { winding: number; bearing: number };
  /** Phase current, A RMS. */
  current: number;
  /** Supply voltage, V line to line. */
  voltage: number;
  /** Vibration velocity, mm/s RMS: x horizontal, y vertical (both radial), z axial. */
  vib: { x: number; y: number; z: number };
  /** Hall air temperature, °C. */
  ambient: number;
  /** Ground truth: 1 when this reading is faulty. */
  fault: 0 | 1;
  fault_type: MotorFaultType | 'none';
}

/** The model inputs, named as `topic.read()` flattens the record (`temp.winding`, `vib.x`). */
export const MOTOR_FEATURES = ['rpm', 'load', 'temp.winding', 'temp.bearing', 'current', 'voltage', 'vib.x', 'vib.y', 'vib.z', 'ambient'] as const;
/** Every field of a reading, flattened, in record order (CSV column order). */
export const MOTOR_READING_FIELDS = ['motor', 'ts', 'seq', 'line', 'rpm', 'load', 'temp.winding', 'temp.bearing', 'current', 'voltage', 'vib.x', 'vib.y', 'vib.z', 'ambient', 'fault', 'fault_type'] as const;

export interface MotorReadingsOptions {
  /** Number of motors (default 20). */
  motors?: number;
  /** Readings per motor (default 1000 unless durationMs is given; Infinity for an endless stream). */
  readingsPerMotor?: number;
  /** Simulated time span instead of readingsPerMotor: readings = floor(durationMs / intervalMs). */
  durationMs?: number;
  /** Milliseconds between two readings of one motor (default 10,000: condition monitoring reports every 10 s). */
  intervalMs?: number;
  /** Timestamp of the first reading (default 2026-11-20T00:00:00Z). */
  start?: number | Date | string;
  /** PRNG seed (default 1). */
  seed?: number;
  /** Approximate fraction of readings labelled faulty (default 0.02). */
  faultRate?: number;
  /** Kinds of fault to inject (default all of MOTOR_FAULT_TYPES). */
  faultTypes?: readonly MotorFaultType[];
  /** Number of the first motor (default 1): lets several processes simulate disjoint fleets. */
  firstMotor?: number;
}

/** Production lines; motor n runs on line ((n - 1) mod LINES) + 1. */
const LINES = 4;

export function motorId(n: number): string {
  return `M${String(n).padStart(3, '0')}`;
}

/** Validates options and fills in defaults; shared by the generator and the publishers. */
export function normalizeMotorOptions(opts: MotorReadingsOptions = {}) {
  const motors = opts.motors ?? 20;
  const intervalMs = opts.intervalMs ?? 10_000;
  const faultRate = opts.faultRate ?? 0.02;
  const faultTypes = opts.faultTypes ?? MOTOR_FAULT_TYPES;
  const bad = (msg: string, hint?: string) => new KafkalabError(msg, { code: 'BAD_OPTION', hint });
  if (!Number.isInteger(motors) || motors < 1) throw bad(`motors must be a positive integer, got ${motors}`);
  if (!(intervalMs > 0)) throw bad(`intervalMs must be positive, got ${intervalMs}`);
  if (!(faultRate >= 0 && faultRate < 1)) throw bad(`faultRate must be in [0, 1), got ${faultRate}`);
  for (const t of faultTypes) if (!(MOTOR_FAULT_TYPES as readonly string[]).includes(t)) throw bad(`unknown fault type "${t}"`, `use one of ${MOTOR_FAULT_TYPES.join(', ')}`);
  let readingsPerMotor = opts.readingsPerMotor ?? (opts.durationMs !== undefined ? Math.floor(opts.durationMs / intervalMs) : 1000);
  if (!(readingsPerMotor >= 0)) throw bad(`readingsPerMotor must be >= 0, got ${readingsPerMotor}`);
  if (Number.isFinite(readingsPerMotor)) readingsPerMotor = Math.floor(readingsPerMotor);
  const firstMotor = opts.firstMotor ?? 1;
  if (!Number.isInteger(firstMotor) || firstMotor < 1) throw bad(`firstMotor must be a positive integer, got ${firstMotor}`);
  return { motors, intervalMs, faultRate, faultTypes, readingsPerMotor, start: resolveStart(opts.start), seed: opts.seed ?? 1, firstMotor };
}
type Normalized = ReturnType<typeof normalizeMotorOptions>;

interface SimulatedMotor {
  id: string;
  line: ProductionLine;
  /** Offset of this motor's readings inside each interval, so motors do not report in lockstep. */
  phase: number;
  model: MotorModel;
  faults: FaultInjector;
  seq: number;
}

/** Decimal places each sensor reports, as a monitoring unit quantises them. */
const DECIMALS: Record<keyof MotorSignals, number> = { rpm: 1, load: 1, current: 2, voltage: 1, winding: 1, bearing: 1, vibX: 2, vibY: 2, vibZ: 2, ambient: 1 };

function toReading(m: SimulatedMotor, ts: number, s: MotorSignals, label: MotorFaultType | 'none'): MotorReading {
  const q = (k: keyof MotorSignals) => round(s[k], DECIMALS[k]);
  return {
    motor: m.id,
    ts,
    seq: m.seq++,
    line: m.line.name,
    rpm: q('rpm'),
    load: q('load'),
    temp: { winding: q('winding'), bearing: q('bearing') },
    current: q('current'),
    voltage: q('voltage'),
    vib: { x: q('vibX'), y: q('vibY'), z: q('vibZ') },
    ambient: q('ambient'),
    fault: label === 'none' ? 0 : 1,
    fault_type: label,
  };
}

/**
 * Readings of a simulated motor fleet in time order (by `ts`, ties by motor). Synchronous and
 * lazy: an endless stream (`readingsPerMotor: Infinity`) costs memory for the motors only.
 */
export function* generateMotorReadings(options: MotorReadingsOptions = {}): Generator<MotorReading, void, undefined> {
  const o: Normalized = normalizeMotorOptions(options);
  const dt = o.intervalMs / 1000;
  // One PRNG per line and per motor, seeded from (seed, number): motor 7 is the same motor in a fleet of 20 or 200.
  const lines = Array.from({ length: LINES }, (_, i) => new ProductionLine(`line-${i + 1}`, new Rng(mixSeed(o.seed, 0x11e, i + 1))));
  const fleet: SimulatedMotor[] = [];
  for (let i = 0; i < o.motors; i++) {
    const n = o.firstMotor + i;
    const line = lines[(n - 1) % LINES];
    const rng = new Rng(mixSeed(o.seed, n));
    const phase = Math.floor(rng.next() * o.intervalMs);
    const model = new MotorModel(rng, line.state.ambient);
    fleet.push({ id: motorId(n), line, phase, model, faults: new FaultInjector(new Rng(mixSeed(o.seed, n, 0xfa17)), o), seq: 0 });
  }
  const order = [...fleet].sort((a, b) => a.phase - b.phase || (a.id < b.id ? -1 : 1));
  for (let tick = 0; tick < o.readingsPerMotor; tick++) {
    const clock = o.start + tick * o.intervalMs;
    // Every line advances whether or not its motors are in this fleet, so a motor does not depend on the fleet's size.
    for (const l of lines) l.step(dt, clock);
    for (const m of order) {
      m.faults.beforeStep(m.model);
      const signals = m.model.step(dt, m.line.state);
      const label = m.faults.afterStep(signals, m.model, m.line.state.changed);
      yield toReading(m, clock + m.phase, signals, label);
    }
  }
}

/** All readings as an array (for small sets; use the generator for large ones). */
export function motorReadings(options: MotorReadingsOptions = {}): MotorReading[] {
  return [...generateMotorReadings(options)];
}

/** A reading with its nesting flattened to `temp.winding`, `vib.x` …, the names `topic.read()` gives the columns. */
export function flatMotorReading(r: MotorReading): Record<(typeof MOTOR_READING_FIELDS)[number], number | string> {
  return {
    motor: r.motor, ts: r.ts, seq: r.seq, line: r.line, rpm: r.rpm, load: r.load,
    'temp.winding': r.temp.winding, 'temp.bearing': r.temp.bearing, current: r.current, voltage: r.voltage,
    'vib.x': r.vib.x, 'vib.y': r.vib.y, 'vib.z': r.vib.z, ambient: r.ambient, fault: r.fault, fault_type: r.fault_type,
  };
}
