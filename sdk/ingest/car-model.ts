/**
 * Physics of one simulated car: a drive cycle (idle, city with stops, highway) drives speed;
 * speed and gear give engine rpm; rpm and throttle give air flow, vibration and heat; the
 * alternator and the electrical load move the battery; tyres warm with speed; wheel
 * accelerometers follow road roughness and speed. Values here are the true, healthy signals;
 * sensor faults and mechanical anomalies are applied on top by anomalies.ts.
 */
import { Rng } from '../util/prng';

export type Segment = 'idle' | 'city' | 'stop' | 'highway';

/** Healthy sensor values of one reading, in the units of the published record. */
export interface CarSignals {
  coolant_temp: number;
  intake_air_temp: number;
  intake_air_flow: number;
  battery_percentage: number;
  battery_voltage: number;
  current_draw: number;
  speed: number;
  throttle_pos: number;
  engine_rpm: number;
  engine_vibration_amplitude: number;
  tire_pressure_fl: number;
  tire_pressure_fr: number;
  tire_pressure_rl: number;
  tire_pressure_rr: number;
  accel_fl: number;
  accel_fr: number;
  accel_rl: number;
  accel_rr: number;
}

const GEAR_RATIOS = [3.5, 2.1, 1.45, 1.1, 0.87, 0.7];
const UPSHIFT_KMH = [0, 20, 35, 52, 70, 88];
const FINAL_DRIVE = 3.7;
const WHEEL_CIRCUMFERENCE_M = 2.0;
const DISPLACEMENT_L = 2.0;
const AIR_DENSITY_G_PER_L = 1.18;
const BATTERY_AH = 60;
/** Physics runs in sub-steps of at most this many seconds, so any reporting interval is stable. */
const MAX_STEP_S = 0.5;

export class CarModel {
  // Per-car constants: no two cars are the same vehicle.
  private readonly ambient: number;
  private readonly thermostat: number;
  private readonly idleRpm: number;
  private readonly engineFactor: number;
  private readonly baseLoad: number;
  private readonly coldPressure: [number, number, number, number];

  // State.
  segment: Segment = 'idle';
  /** |new target - current speed| (km/h) when a segment began during the last step, else 0. */
  paceChange = 0;
  private segmentLeft: number;
  private target = 0; // km/h
  private v = 0; // m/s
  private a = 0; // m/s²
  private coolant: number;
  private soak = 0; // °C of under-bonnet heat soak on top of ambient at the intake
  private soc: number; // 0..1
  private fanOn = false;
  private tireTemp: number;
  private roughness = 1;
  private citySegments = 0;

  constructor(private readonly rng: Rng) {
    this.ambient = rng.range(4, 28);
    this.thermostat = rng.range(87, 92);
    this.idleRpm = rng.range(740, 860);
    this.engineFactor = rng.range(0.9, 1.1);
    this.baseLoad = rng.range(12, 20);
    const cold = rng.range(225, 245);
    this.coldPressure = [0, 1, 2, 3].map(() => cold + rng.normal(0, 1.5)) as [number, number, number, number];
    this.coolant = this.ambient + rng.range(0, 8);
    this.tireTemp = this.ambient;
    this.soc = rng.range(0.55, 0.95);
    this.segmentLeft = rng.range(20, 90);
  }

  /** Advances the car by dt seconds and returns the healthy readings at the end of it. */
  step(dtSeconds: number): CarSignals {
    this.paceChange = 0;
    const n = Math.max(1, Math.ceil(dtSeconds / MAX_STEP_S));
    const h = dtSeconds / n;
    let rpm = this.idleRpm;
    let throttle = 0;
    let load = this.baseLoad;
    let batteryCurrent = 0;
    for (let i = 0; i < n; i++) {
      this.advanceDriveCycle(h);
      this.advanceSpeed(h);
      rpm = this.rpmFor(this.kmh);
      throttle = this.throttleFor(this.kmh, this.a);
      this.advanceCoolant(h, rpm, throttle);
      load = this.baseLoad + (this.fanOn ? 18 : 0) + 0.0025 * rpm;
      batteryCurrent = this.advanceBattery(h, rpm, load);
      this.advanceTyres(h);
      this.advanceIntake(h);
    }
    return this.sensors(rpm, throttle, load, batteryCurrent);
  }

  private get kmh(): number {
    return this.v * 3.6;
  }

  private advanceDriveCycle(h: number): void {
    this.segmentLeft -= h;
    if (this.segmentLeft > 0) return;
    const r = this.rng.next();
    let next: Segment;
    if (this.segment === 'idle') next = 'city';
    else if (this.segment === 'stop') next = r < 0.9 ? 'city' : 'idle';
    else if (this.segment === 'highway') next = r < 0.65 ? 'highway' : 'city';
    else next = r < 0.35 ? 'stop' : r < 0.8 || this.citySegments < 2 ? 'city' : 'highway';
    this.citySegments = next === 'city' ? this.citySegments + 1 : next === 'highway' ? 0 : this.citySegments;
    this.segment = next;
    switch (next) {
      case 'idle':
        this.target = 0;
        this.segmentLeft = this.rng.range(30, 120);
        break;
      case 'stop':
        this.target = 0;
        this.segmentLeft = this.rng.range(8, 45);
        break;
      case 'city':
        this.target = this.rng.range(25, 60);
        this.segmentLeft = this.rng.range(20, 90);
        break;
      case 'highway':
        this.target = this.rng.range(90, 130);
        this.segmentLeft = this.rng.range(60, 300);
        break;
    }
    this.paceChange = Math.max(this.paceChange, Math.abs(this.target - this.kmh));
  }

  private advanceSpeed(h: number): void {
    const errMs = this.target / 3.6 - this.v;
    let a = Math.max(-3.0, Math.min(2.2, errMs * 0.25));
    if (this.v > 1) a += this.rng.normal(0, this.segment === 'city' ? 0.25 : 0.12);
    this.a = a;
    this.v = Math.max(0, this.v + a * h);
    // Road surface changes slowly; cities are rougher than highways.
    const bias = this.segment === 'highway' ? 0.75 : 1.15;
    this.roughness += (bias - this.roughness) * 0.01 * h + this.rng.normal(0, 0.03) * Math.sqrt(h);
    this.roughness = Math.max(0.5, Math.min(1.8, this.roughness));
  }

  private rpmFor(kmh: number): number {
    if (kmh < 6) return this.idleRpm + kmh * 40;
    // Hard acceleration holds a gear longer before shifting up.
    const shiftKmh = kmh - Math.max(0, this.a) * 4;
    let gear = 1;
    for (let g = 1; g < UPSHIFT_KMH.length; g++) if (shiftKmh >= UPSHIFT_KMH[g]) gear = g + 1;
    const wheelRpm = (kmh / 3.6 / WHEEL_CIRCUMFERENCE_M) * 60;
    return Math.max(this.idleRpm, wheelRpm * GEAR_RATIOS[gear - 1] * FINAL_DRIVE);
  }

  private throttleFor(kmh: number, a: number): number {
    if (kmh < 1 && this.target === 0) return 0;
    // Rolling resistance, aerodynamic drag (~v²) and acceleration demand.
    const pct = 3 + 0.0017 * kmh * kmh + 15 * a;
    return Math.max(0, Math.min(100, pct));
  }

  private advanceCoolant(h: number, rpm: number, throttle: number): void {
    const heat = 0.08 + 0.06 * (rpm / 1000) * (0.5 + throttle / 100);
    const passive = 0.0008 * (this.coolant - this.ambient);
    // The thermostat opens the radiator circuit above its set point; airflow helps it.
    const radiator = this.coolant > this.thermostat ? 0.05 * (this.coolant - this.thermostat) * (1 + this.kmh / 60) : 0;
    const fan = this.fanOn ? 0.12 : 0;
    this.coolant += (heat - passive - radiator - fan) * h;
    if (this.coolant > this.thermostat + 8) this.fanOn = true;
    else if (this.coolant < this.thermostat + 3) this.fanOn = false;
  }

  /** Returns the battery current (A, positive = charging). */
  private advanceBattery(h: number, rpm: number, load: number): number {
    const alternatorMax = 120 * Math.max(0, Math.min(1, (rpm - 700) / 1800));
    // A full battery accepts little charge; the regulator cuts the alternator back.
    const acceptance = 4 + 90 * Math.pow(1 - this.soc, 1.5);
    const current = Math.min(alternatorMax - load, acceptance);
    this.soc = Math.max(0, Math.min(1, this.soc + (current * h) / (BATTERY_AH * 3600)));
    return current;
  }

  private advanceTyres(h: number): void {
    const target = this.ambient + 0.18 * this.kmh + 2 * Math.abs(this.a);
    this.tireTemp += ((target - this.tireTemp) * h) / 300;
  }

  private advanceIntake(h: number): void {
    // Heat soak from the engine bay dominates at low speed; ram air clears it at speed.
    const target = Math.max(0, this.coolant - this.ambient) * (this.kmh < 20 ? 0.3 : 0.08);
    this.soak += ((target - this.soak) * h) / 60;
  }

  private sensors(rpm: number, throttle: number, load: number, batteryCurrent: number): CarSignals {
    const rng = this.rng;
    const kmh = this.kmh;
    const ocv = 11.9 + 0.8 * this.soc;
    const voltage = batteryCurrent > 0 ? Math.min(14.4, ocv + 0.9 + 0.045 * batteryCurrent) : ocv + 0.012 * batteryCurrent;
    const ve = 0.18 + 0.0075 * throttle;
    const maf = ((DISPLACEMENT_L * rpm) / 120) * AIR_DENSITY_G_PER_L * ve;
    const vibration = this.engineFactor * (0.25 + 0.00032 * rpm + 0.0035 * throttle);
    const pressureScale = (273.15 + this.tireTemp) / (273.15 + this.ambient);
    const road = this.roughness * (0.012 + 0.0022 * kmh) + 0.004 * (rpm / 1000);
    const wheel = (scale: number) => Math.max(0, road * scale * (1 + rng.normal(0, 0.06)));
    return {
      coolant_temp: this.coolant + rng.normal(0, 0.2),
      intake_air_temp: this.ambient + this.soak + rng.normal(0, 0.3),
      intake_air_flow: Math.max(0, maf * (1 + rng.normal(0, 0.02))),
      battery_percentage: this.soc * 100,
      battery_voltage: voltage + rng.normal(0, 0.03),
      current_draw: Math.max(0, load + rng.normal(0, 1.2)),
      speed: kmh,
      throttle_pos: Math.max(0, Math.min(100, throttle + (throttle > 0 ? rng.normal(0, 0.8) : 0))),
      engine_rpm: rpm + rng.normal(0, 12),
      engine_vibration_amplitude: Math.max(0, vibration * (1 + rng.normal(0, 0.05))),
      tire_pressure_fl: this.coldPressure[0] * pressureScale + rng.normal(0, 0.4),
      tire_pressure_fr: this.coldPressure[1] * pressureScale + rng.normal(0, 0.4),
      tire_pressure_rl: this.coldPressure[2] * pressureScale + rng.normal(0, 0.4),
      tire_pressure_rr: this.coldPressure[3] * pressureScale + rng.normal(0, 0.4),
      accel_fl: wheel(1),
      accel_fr: wheel(1),
      accel_rl: wheel(0.9),
      accel_rr: wheel(0.9),
    };
  }
}
