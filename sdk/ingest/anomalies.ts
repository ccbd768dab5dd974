/**
 * Injected, labelled anomalies. Each car has at most one episode at a time. `anomalyRate` is
 * the target fraction of labelled readings, split evenly between the enabled kinds, so that a
 * rare long episode (bearing wear) and a frequent short one (vibration spike) weigh the same in
 * the labels. Durations are in simulated seconds (then converted to readings), so they keep
 * their meaning at any reporting interval. Time is compressed: a bearing wears out in minutes.
 */
import type { CarModel, CarSignals } from './car-model';
import { Rng } from '../util/prng';

export const ANOMALY_TYPES = ['vibration_spike', 'bearing_wear', 'stuck_sensor', 'sensor_dropout', 'tire_pressure_loss'] as const;
export type AnomalyType = (typeof ANOMALY_TYPES)[number];

type SignalName = keyof CarSignals;
const WHEELS = ['fl', 'fr', 'rl', 'rr'] as const;
type Wheel = (typeof WHEELS)[number];

/** Mean labelled seconds per episode, used to turn the rate into a start probability. */
const MEAN_LABELLED_S: Record<AnomalyType, number> = {
  vibration_spike: 2,
  sensor_dropout: 11,
  stuck_sensor: 75,
  tire_pressure_loss: 300,
  bearing_wear: 315,
};

/**
 * Sensors whose frozen value soon contradicts the others once the car changes pace. A sensor
 * freezes as the car begins a large change of speed (joining or leaving a highway, stopping),
 * the moment a real fault shows: a value that no longer follows what the car does.
 */
const STUCK_PACE_CHANGE_KMH = 50;
const STUCK_SENSORS: SignalName[] = ['speed', 'throttle_pos', 'accel_fl', 'accel_fr', 'accel_rl', 'accel_rr'];

/** Values a sensor reports when its signal is lost: 0, or the rail of its range (OBD-II limits). */
const DROPOUT_VALUES: Partial<Record<SignalName, number[]>> = {
  coolant_temp: [-40, 215],
  intake_air_temp: [-40, 215],
  intake_air_flow: [655.35],
  battery_voltage: [0],
  speed: [255],
  throttle_pos: [100],
  engine_vibration_amplitude: [50],
  tire_pressure_fl: [0],
  tire_pressure_fr: [0],
  tire_pressure_rl: [0],
  tire_pressure_rr: [0],
  accel_fl: [16],
  accel_fr: [16],
  accel_rl: [16],
  accel_rr: [16],
};

/** Bearing wear is labelled once its severity (0..1) passes this. */
export const BEARING_LABEL_SEVERITY = 0.35;
/** Tyre pressure loss is labelled once the tyre is this fraction below its healthy pressure. */
export const TIRE_LABEL_LOSS = 0.1;

type Episode =
  | { type: 'vibration_spike'; left: number; factor: number }
  | { type: 'sensor_dropout'; left: number; sensor: SignalName; value: number }
  | { type: 'stuck_sensor'; left: number; sensor: SignalName; value: number | undefined; waitLeft: number }
  | { type: 'tire_pressure_loss'; elapsed: number; deflate: number; hold: number; loss: number; wheel: Wheel }
  | { type: 'bearing_wear'; elapsed: number; ramp: number; hold: number; wheel: Wheel };

export interface AnomalyOptions {
  anomalyRate: number;
  anomalyTypes: readonly AnomalyType[];
  intervalMs: number;
}

export class AnomalyInjector {
  private episode: Episode | undefined;
  private readonly startChance: number[];
  private readonly dt: number;

  constructor(private readonly rng: Rng, private readonly opts: AnomalyOptions) {
    this.dt = opts.intervalMs / 1000;
    const share = opts.anomalyTypes.length ? opts.anomalyRate / opts.anomalyTypes.length : 0;
    this.startChance = opts.anomalyTypes.map((t) => share / Math.max(1, MEAN_LABELLED_S[t] / this.dt));
  }

  /** Applies the current episode to `s` in place; returns the label of this reading. */
  apply(s: CarSignals, car: CarModel): AnomalyType | 'none' {
    if (!this.episode) this.maybeStart();
    const ep = this.episode;
    if (!ep) return 'none';
    const dt = this.dt;
    switch (ep.type) {
      case 'vibration_spike': {
        s.engine_vibration_amplitude *= ep.factor * (1 + this.rng.normal(0, 0.1));
        for (const w of WHEELS) s[`accel_${w}`] += 0.015 * ep.factor;
        if ((ep.left -= dt) <= 1e-9) this.episode = undefined;
        return 'vibration_spike';
      }
      case 'sensor_dropout': {
        s[ep.sensor] = ep.value;
        if ((ep.left -= dt) <= 1e-9) this.episode = undefined;
        return 'sensor_dropout';
      }
      case 'stuck_sensor': {
        if (ep.value === undefined) {
          ep.waitLeft -= dt;
          if (car.paceChange < STUCK_PACE_CHANGE_KMH && ep.waitLeft > 0) return 'none';
          ep.value = s[ep.sensor];
        }
        s[ep.sensor] = ep.value;
        if ((ep.left -= dt) <= 1e-9) this.episode = undefined;
        return 'stuck_sensor';
      }
      case 'tire_pressure_loss': {
        ep.elapsed += dt;
        const loss = ep.loss * Math.min(1, ep.elapsed / ep.deflate);
        s[`tire_pressure_${ep.wheel}`] *= 1 - loss;
        if (ep.elapsed >= ep.deflate + ep.hold) this.episode = undefined;
        return loss >= TIRE_LABEL_LOSS ? 'tire_pressure_loss' : 'none';
      }
      case 'bearing_wear': {
        ep.elapsed += dt;
        const severity = Math.pow(Math.min(1, ep.elapsed / ep.ramp), 1.5);
        s[`accel_${ep.wheel}`] += severity * (0.12 + 0.004 * s.speed) * (1 + this.rng.normal(0, 0.08));
        s.engine_vibration_amplitude += severity * 0.35;
        if (ep.elapsed >= ep.ramp + ep.hold) this.episode = undefined;
        return severity >= BEARING_LABEL_SEVERITY ? 'bearing_wear' : 'none';
      }
    }
  }

  private maybeStart(): void {
    const rng = this.rng;
    const u = rng.next();
    let acc = 0;
    let type: AnomalyType | undefined;
    for (let i = 0; i < this.startChance.length; i++) {
      acc += this.startChance[i];
      if (u < acc) {
        type = this.opts.anomalyTypes[i];
        break;
      }
    }
    if (!type) return;
    // Every episode lasts at least one reading, whatever the interval.
    const seconds = (lo: number, hi: number) => Math.max(rng.range(lo, hi), this.dt);
    switch (type) {
      case 'vibration_spike':
        this.episode = { type, left: seconds(1, 3), factor: rng.range(3.5, 7) };
        break;
      case 'sensor_dropout': {
        const sensor = rng.pick(Object.keys(DROPOUT_VALUES) as SignalName[]);
        this.episode = { type, left: seconds(2, 20), sensor, value: rng.pick(DROPOUT_VALUES[sensor]!) };
        break;
      }
      case 'stuck_sensor':
        this.episode = { type, left: seconds(30, 120), sensor: rng.pick(STUCK_SENSORS), value: undefined, waitLeft: 600 };
        break;
      case 'tire_pressure_loss':
        this.episode = { type, elapsed: 0, deflate: seconds(90, 300), hold: seconds(60, 240), loss: rng.range(0.3, 0.6), wheel: rng.pick(WHEELS) };
        break;
      case 'bearing_wear':
        this.episode = { type, elapsed: 0, ramp: seconds(180, 600), hold: seconds(60, 180), wheel: rng.pick(WHEELS) };
        break;
    }
  }
}
