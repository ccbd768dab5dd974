/**
 * Physics of one simulated induction motor (30 kW, 4 poles, 400 V, on a variable-frequency
 * drive): the drive ramps the field towards the line's speed setpoint; the rotor slips behind
 * it in proportion to the load torque (more at low voltage); the current is the magnetising
 * current plus the torque-producing one; copper and iron losses heat the winding through a
 * thermal resistance that grows as the shaft fan slows (self-ventilated motor), with the
 * winding's and the bearing's own thermal inertia; vibration velocity grows with speed and a
 * little with load, differently on each axis, and creeps up as the machine ages.
 *
 * Values here are the true signals. Faults act through `faults` (mechanical and electrical
 * causes, which then propagate through the physics) or on the sensor readings afterwards.
 */
import { Rng } from '../../util/prng';
import type { LineState } from './line';

/** Sensor values of one reading, in the units of the published record. */
export interface MotorSignals {
  rpm: number;
  load: number;
  current: number;
  voltage: number;
  winding: number;
  bearing: number;
  vibX: number;
  vibY: number;
  vibZ: number;
  ambient: number;
}

/** What a fault changes in the machine itself; 1 / 0 = healthy. Set by the fault injector before each step. */
export interface FaultEffects {
  /** Multiplies the thermal resistance of the winding (blocked fan, clogged fins). */
  cooling: number;
  /** Multiplies the slip (broken rotor bar, phase loss). */
  slip: number;
  /** Multiplies the current, and the relative current noise added on top. */
  current: number;
  currentNoise: number;
  /** Multiplies the radial (x, y) vibration (imbalance). */
  radial: number;
  /** Vibration added, mm/s RMS, per axis, before the speed scaling (bearing defects, electrical). */
  vibX: number;
  vibY: number;
  vibZ: number;
  /** Relative burstiness of the vibration (spalled bearing races). */
  vibNoise: number;
  /** Extra steady-state bearing temperature, K (friction of a worn bearing). */
  bearingHeat: number;
}

export const HEALTHY: Readonly<FaultEffects> = Object.freeze({ cooling: 1, slip: 1, current: 1, currentNoise: 0, radial: 1, vibX: 0, vibY: 0, vibZ: 0, vibNoise: 0, bearingHeat: 0 });

const RATED_SYNC_RPM = 1500;
const RATED_VOLTAGE = 400;
/** The drive changes the field speed by at most this much per second. */
const RAMP_RPM_PER_S = 150;
/** Thermal steps no longer than this, so any reporting interval integrates alike. */
const MAX_STEP_S = 5;

export class MotorModel {
  // Per-unit constants: no two motors of the series are quite alike.
  private readonly ratedCurrent: number;
  private readonly magnetising: number; // fraction of rated current
  private readonly ratedSlip: number;
  private readonly ratedRise: number; // K of winding rise at rated load and speed
  private readonly tauWinding: number; // s
  private readonly tauBearing: number; // s
  private readonly bearingRise: number; // K at full speed
  private readonly bearingCoupling: number;
  private readonly vibBase: number; // mm/s RMS at full speed
  private readonly ratioY: number;
  private readonly ratioZ: number;
  private readonly agingPerHour: number;

  // State.
  private field = 0; // rpm of the rotating field
  winding: number;
  /** The winding temperature a healthy cooling system would give: labels overheating against it. */
  windingHealthy: number;
  private bearing: number;
  private ageHours = 0;
  faults: FaultEffects = { ...HEALTHY };

  constructor(private readonly rng: Rng, ambient: number) {
    this.ratedCurrent = 54 * rng.range(0.97, 1.03);
    this.magnetising = rng.range(0.32, 0.38);
    this.ratedSlip = rng.range(0.017, 0.023);
    this.ratedRise = rng.range(68, 80);
    this.tauWinding = 60 * rng.range(12, 18);
    this.tauBearing = 60 * rng.range(25, 35);
    this.bearingRise = rng.range(12, 18);
    this.bearingCoupling = rng.range(0.18, 0.28);
    this.vibBase = rng.range(1.0, 1.4);
    this.ratioY = rng.range(0.75, 0.95);
    this.ratioZ = rng.range(0.3, 0.5);
    this.agingPerHour = rng.range(0.002, 0.01);
    this.winding = this.windingHealthy = ambient + rng.range(0, 10);
    this.bearing = ambient + rng.range(0, 6);
  }

  /** Advances by dt seconds under the line's regime; returns the true signals. */
  step(dt: number, line: LineState): MotorSignals {
    const rng = this.rng;
    const f = this.faults;
    this.ageHours += dt / 3600;
    const ramp = RAMP_RPM_PER_S * dt;
    this.field += Math.max(-ramp, Math.min(ramp, line.speed - this.field));
    const speedFrac = this.field / RATED_SYNC_RPM;
    const running = this.field > 1;
    const loadFrac = running ? line.load / 100 : 0;
    const vRatio = RATED_VOLTAGE / line.voltage;

    const slip = this.ratedSlip * loadFrac * vRatio * vRatio * f.slip;
    const rpm = running ? this.field * (1 - slip) + rng.normal(0, 0.8) : 0;

    let current = 0;
    if (running) {
      const mag = this.magnetising * Math.min(1, speedFrac / 0.1);
      const torque = Math.sqrt(1 - this.magnetising ** 2) * loadFrac * vRatio * f.slip ** 0.5;
      current = this.ratedCurrent * Math.hypot(mag, torque) * f.current * (1 + rng.normal(0, 0.008 + f.currentNoise));
    }

    // Losses (per unit of rated losses) and a thermal resistance that grows as the shaft fan slows.
    const perUnitI = current / this.ratedCurrent;
    const losses = 0.75 * perUnitI * perUnitI + 0.25 * Math.pow(speedFrac, 1.5);
    const resistance = 1 / (0.35 + 0.65 * speedFrac);
    const windingSteady = line.ambient + this.ratedRise * losses * resistance;
    for (let left = dt; left > 1e-9; left -= MAX_STEP_S) {
      const h = Math.min(left, MAX_STEP_S);
      const tau = this.tauWinding * resistance;
      this.winding += (line.ambient + this.ratedRise * losses * resistance * f.cooling - this.winding) * (1 - Math.exp(-h / (tau * Math.sqrt(f.cooling))));
      this.windingHealthy += (windingSteady - this.windingHealthy) * (1 - Math.exp(-h / tau));
      const bearingSteady = line.ambient + this.bearingRise * Math.pow(speedFrac, 1.2) + this.bearingCoupling * (this.winding - line.ambient) + f.bearingHeat;
      this.bearing += (bearingSteady - this.bearing) * (1 - Math.exp(-h / (this.tauBearing * Math.sqrt(resistance))));
    }

    const aging = 1 + this.agingPerHour * this.ageHours;
    const speedShape = Math.pow(speedFrac, 1.6);
    const base = this.vibBase * aging * speedShape * (1 + 0.15 * loadFrac);
    const burst = () => 1 + Math.abs(rng.normal(0, f.vibNoise));
    const floor = () => Math.abs(rng.normal(0, 0.02)); // sensor noise floor when still
    const vibX = (base * f.radial + f.vibX * speedShape) * (1 + rng.normal(0, 0.04)) * burst() + floor();
    const vibY = (base * this.ratioY * f.radial + f.vibY * speedShape) * (1 + rng.normal(0, 0.04)) * burst() + floor();
    const vibZ = (base * this.ratioZ + f.vibZ * speedShape) * (1 + rng.normal(0, 0.05)) * burst() + floor();

    return {
      rpm: Math.max(0, rpm),
      load: line.load * (running ? 1 : 0) + (running ? rng.normal(0, 0.4) : 0),
      current: Math.max(0, current),
      voltage: line.voltage + rng.normal(0, 0.4),
      winding: this.winding + rng.normal(0, 0.15),
      bearing: this.bearing + rng.normal(0, 0.1),
      vibX: Math.max(0, vibX),
      vibY: Math.max(0, vibY),
      vibZ: Math.max(0, vibZ),
      ambient: line.ambient + rng.normal(0, 0.1),
    };
  }

  get running(): boolean {
    return this.field > 1;
  }
}
