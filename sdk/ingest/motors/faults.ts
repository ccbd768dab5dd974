/**
 * Injected, labelled motor faults. A motor has at most one episode at a time, and episodes
 * start only while it runs. `faultRate` is the target fraction of labelled readings, split
 * evenly between the enabled kinds, so that a slow, long fault (bearing wear) and a short one
 * (sensor dropout) weigh the same in the labels. Mechanical and electrical faults change the
 * machine (FaultEffects) and propagate through its physics, thermal inertia included; sensor
 * faults change only what a sensor reports. Durations are in simulated seconds, so they keep
 * their meaning at any reporting interval; time is compressed (a bearing wears out in hours).
 */
import { Rng } from '../../util/prng';
import { HEALTHY, type MotorModel, type MotorSignals } from './machine';

export const MOTOR_FAULT_TYPES = ['bearing_wear', 'imbalance', 'overheating', 'electrical', 'sensor_stuck', 'sensor_dropout'] as const;
export type MotorFaultType = (typeof MOTOR_FAULT_TYPES)[number];

type Sensor = keyof MotorSignals;

/** Mean labelled seconds per episode, which turns the rate into a start probability (measured on long runs). */
const MEAN_LABELLED_S: Record<MotorFaultType, number> = {
  bearing_wear: 3000,
  imbalance: 1400,
  overheating: 3000,
  electrical: 1000,
  sensor_stuck: 1300,
  sensor_dropout: 160,
};

/** Bearing wear is labelled once its severity (0..1) passes this. */
export const BEARING_WEAR_LABEL_SEVERITY = 0.15;
/** Overheating is labelled once the winding is this many K above what healthy cooling would give. */
export const OVERHEAT_LABEL_K = 20;

/** Sensors that can freeze, and the value a lost sensor reports (transmitter under-range, or 0). */
const STUCK_SENSORS: Sensor[] = ['vibX', 'vibY', 'current', 'load', 'rpm'];
const DROPOUT_VALUES: Partial<Record<Sensor, number>> = { winding: -50, bearing: -50, vibX: 0, vibY: 0, vibZ: 0, current: 0, rpm: 0 };
/** A stuck sensor freezes at the next regime change (when its frozen value soon contradicts the others), or after this long. */
const STUCK_MAX_WAIT_S = 1800;

type Episode =
  | { type: 'bearing_wear'; elapsed: number; ramp: number; hold: number; level: number }
  | { type: 'imbalance'; left: number; factor: number }
  | { type: 'overheating'; elapsed: number; onset: number; left: number; factor: number }
  | { type: 'electrical'; left: number; current: number; slip: number; vibZ: number }
  | { type: 'sensor_stuck'; left: number; sensor: Sensor; value: number | undefined; waitLeft: number }
  | { type: 'sensor_dropout'; left: number; sensor: Sensor };

export interface MotorFaultOptions {
  faultRate: number;
  faultTypes: readonly MotorFaultType[];
  intervalMs: number;
}

export class FaultInjector {
  private episode: Episode | undefined;
  private readonly startChance: number[];
  private readonly dt: number;
  /** The previous reading's values: a sensor that sticks at a regime change keeps the old regime's value. */
  private previous: MotorSignals | undefined;

  constructor(private readonly rng: Rng, private readonly opts: MotorFaultOptions) {
    this.dt = opts.intervalMs / 1000;
    const share = opts.faultTypes.length ? opts.faultRate / opts.faultTypes.length : 0;
    this.startChance = opts.faultTypes.map((t) => share / Math.max(1, MEAN_LABELLED_S[t] / this.dt));
  }

  /** Before the physics step: sets what the current episode does to the machine. */
  beforeStep(motor: MotorModel): void {
    if (!this.episode && motor.running) this.maybeStart();
    const f = (motor.faults = { ...HEALTHY });
    const ep = this.episode;
    if (!ep) return;
    const dt = this.dt;
    switch (ep.type) {
      case 'bearing_wear': {
        ep.elapsed += dt;
        const severity = this.bearingSeverity(ep);
        f.vibX = f.vibY = severity * ep.level;
        f.vibZ = 0.5 * severity * ep.level;
        f.vibNoise = 0.35 * severity;
        f.bearingHeat = 10 * severity;
        return;
      }
      case 'imbalance':
        f.radial = ep.factor;
        return;
      case 'overheating':
        ep.elapsed += dt;
        // Once the cause is cleared the winding cools with its own inertia, still labelled while too hot.
        if (ep.left > 0) f.cooling = 1 + (ep.factor - 1) * Math.min(1, ep.elapsed / ep.onset);
        return;
      case 'electrical':
        f.current = ep.current;
        f.currentNoise = 0.03;
        f.slip = ep.slip;
        f.vibZ = ep.vibZ;
        return;
      default:
        return;
    }
  }

  /** After the physics step: sensor faults change the readings; returns this reading's label. */
  afterStep(s: MotorSignals, motor: MotorModel, regimeChanged: boolean): MotorFaultType | 'none' {
    const previous = this.previous;
    this.previous = { ...s };
    const ep = this.episode;
    if (!ep) return 'none';
    const dt = this.dt;
    const done = (left: number) => {
      if (left <= 1e-9) this.episode = undefined;
    };
    switch (ep.type) {
      case 'bearing_wear': {
        const severity = this.bearingSeverity(ep);
        if (ep.elapsed >= ep.ramp + ep.hold) this.episode = undefined;
        return severity >= BEARING_WEAR_LABEL_SEVERITY && motor.running ? 'bearing_wear' : 'none';
      }
      case 'imbalance':
        done((ep.left -= dt));
        return motor.running ? 'imbalance' : 'none';
      case 'overheating': {
        const hot = motor.winding - motor.windingHealthy >= OVERHEAT_LABEL_K;
        if ((ep.left -= dt) <= 1e-9 && !hot) this.episode = undefined;
        return hot ? 'overheating' : 'none';
      }
      case 'electrical':
        done((ep.left -= dt));
        return motor.running ? 'electrical' : 'none';
      case 'sensor_stuck':
        if (ep.value === undefined) {
          ep.waitLeft -= dt;
          if (!regimeChanged && ep.waitLeft > 0) return 'none';
          ep.value = (previous ?? s)[ep.sensor];
        }
        s[ep.sensor] = ep.value;
        done((ep.left -= dt));
        return 'sensor_stuck';
      case 'sensor_dropout':
        s[ep.sensor] = DROPOUT_VALUES[ep.sensor]!;
        done((ep.left -= dt));
        return 'sensor_dropout';
    }
  }

  private bearingSeverity(ep: Extract<Episode, { type: 'bearing_wear' }>): number {
    return Math.pow(Math.min(1, ep.elapsed / ep.ramp), 2);
  }

  private maybeStart(): void {
    const rng = this.rng;
    const u = rng.next();
    let acc = 0;
    let type: MotorFaultType | undefined;
    for (let i = 0; i < this.startChance.length; i++) {
      acc += this.startChance[i];
      if (u < acc) {
        type = this.opts.faultTypes[i];
        break;
      }
    }
    if (!type) return;
    // Every episode lasts at least one reading, whatever the interval.
    const minutes = (lo: number, hi: number) => Math.max(60 * rng.range(lo, hi), this.dt);
    switch (type) {
      case 'bearing_wear':
        this.episode = { type, elapsed: 0, ramp: minutes(40, 120), hold: minutes(10, 30), level: rng.range(2.5, 5) };
        break;
      case 'imbalance':
        this.episode = { type, left: minutes(10, 40), factor: rng.range(2.5, 4) };
        break;
      case 'overheating':
        this.episode = { type, elapsed: 0, onset: minutes(2, 8), left: minutes(25, 60), factor: rng.range(2.2, 3.2) };
        break;
      case 'electrical':
        this.episode = { type, left: minutes(5, 30), current: rng.range(1.15, 1.35), slip: rng.range(1.4, 2), vibZ: rng.range(0.8, 1.6) };
        break;
      case 'sensor_stuck':
        this.episode = { type, left: minutes(10, 40), sensor: rng.pick(STUCK_SENSORS), value: undefined, waitLeft: STUCK_MAX_WAIT_S };
        break;
      case 'sensor_dropout':
        this.episode = { type, left: minutes(0.5, 5), sensor: rng.pick(Object.keys(DROPOUT_VALUES) as Sensor[]) };
        break;
    }
  }
}
