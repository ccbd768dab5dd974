/**
 * A production line: the operating regime its motors share. Motors on one line (pumps, fans,
 * conveyors of one process) run at the speed and load the line's current product and mode ask
 * for, breathe the same hall air and hang on the same supply. Regimes change over time, and
 * not only at random: as the run goes on, full-load operation becomes more frequent, products
 * change (each with its own load level) and the hall follows the time of day, so a later
 * period of data does not look like an earlier one. That is deliberate: models calibrated on
 * the first hours must cope with the next ones.
 */
import { Rng } from '../../util/prng';

export const MODES = ['full', 'partial', 'low', 'stopped'] as const;
export type Mode = (typeof MODES)[number];

interface ModeSpec {
  /** Drive (VFD) speed setpoint, rpm of the rotating field; 0 = stopped. */
  speed: number;
  /** Range of the load target, % of rated torque. */
  load: [number, number];
  /** Minutes a segment in this mode lasts. */
  minutes: [number, number];
  /** Relative weight at the start of a run and after DRIFT_HOURS. */
  weight: [number, number];
}

const MODE_SPECS: Record<Mode, ModeSpec> = {
  full: { speed: 1500, load: [78, 94], minutes: [10, 40], weight: [2, 5] },
  partial: { speed: 1200, load: [52, 70], minutes: [8, 30], weight: [3, 3] },
  low: { speed: 900, load: [28, 45], minutes: [8, 25], weight: [3, 1] },
  stopped: { speed: 0, load: [0, 0], minutes: [3, 10], weight: [0.4, 0.4] },
};
/** Hours over which the mode mix moves from its start weights to its late weights. */
const DRIFT_HOURS = 6;
/** Minutes between product changeovers (each product scales the load targets). */
const PRODUCT_MINUTES: [number, number] = [60, 180];

export interface LineState {
  mode: Mode;
  /** Speed setpoint of the drives, rpm. */
  speed: number;
  /** Load target, % of rated torque. */
  load: number;
  /** Hall air temperature, °C. */
  ambient: number;
  /** Supply voltage, V (line to line). */
  voltage: number;
  /** True on the first step of a new mode segment. */
  changed: boolean;
}

export class ProductionLine {
  private readonly ambientBase: number;
  private modeLeft = 0;
  private productLeft = 0;
  private product = 1;
  private loadBase = 0;
  private loadDev = 0;
  private voltageDev = 0;
  private ambientDev = 0;
  private elapsed = 0;
  readonly state: LineState = { mode: 'partial', speed: 0, load: 0, ambient: 20, voltage: 400, changed: false };

  constructor(readonly name: string, private readonly rng: Rng) {
    this.ambientBase = rng.range(19, 25);
    this.state.ambient = this.ambientBase;
    this.voltageDev = rng.normal(0, 0.006);
  }

  /** Advances the line by dt seconds; `clock` is the epoch ms of the step (for the time of day). */
  step(dt: number, clock: number): LineState {
    const rng = this.rng;
    const s = this.state;
    this.elapsed += dt;
    s.changed = false;
    if ((this.productLeft -= dt) <= 0) {
      this.product = rng.range(0.9, 1.1);
      this.productLeft = 60 * rng.range(...PRODUCT_MINUTES);
      s.changed = this.elapsed > dt; // a changeover mid-run is a regime change too
      this.setLoadTarget();
    }
    if ((this.modeLeft -= dt) <= 0) {
      s.mode = this.pickMode();
      this.modeLeft = 60 * rng.range(...MODE_SPECS[s.mode].minutes);
      s.speed = MODE_SPECS[s.mode].speed;
      this.setLoadTarget();
      s.changed = true;
    }
    // Slow wander of the process around the mode's load target (operators, flow demand).
    this.loadDev = ou(rng, this.loadDev, dt, 300, 2);
    s.load = s.mode === 'stopped' ? 0 : Math.max(0, this.loadBase + this.loadDev);
    // Hall air: time of day (warmest mid-afternoon) plus a slow random wander.
    const hour = ((clock / 3_600_000) % 24 + 24) % 24;
    this.ambientDev = ou(rng, this.ambientDev, dt, 1800, 0.6);
    s.ambient = this.ambientBase + 3.5 * Math.sin((2 * Math.PI * (hour - 9)) / 24) + this.ambientDev;
    // Supply voltage wanders by well under 1 %.
    this.voltageDev = ou(rng, this.voltageDev, dt, 600, 0.006);
    s.voltage = 400 * (1 + this.voltageDev);
    return s;
  }

  private setLoadTarget(): void {
    const spec = MODE_SPECS[this.state.mode];
    this.loadBase = this.product * this.rng.range(...spec.load);
  }

  private pickMode(): Mode {
    const w = Math.min(1, this.elapsed / 3600 / DRIFT_HOURS);
    const weights = MODES.map((m) => MODE_SPECS[m].weight[0] * (1 - w) + MODE_SPECS[m].weight[1] * w);
    let u = this.rng.next() * weights.reduce((a, b) => a + b, 0);
    for (let i = 0; i < MODES.length; i++) if ((u -= weights[i]) < 0) return MODES[i];
    return MODES[0];
  }
}

/**
 * One step of an Ornstein-Uhlenbeck process (mean 0, time constant tau s, stationary sd):
 * a value that wanders but keeps coming back, exact for any step length.
 */
export function ou(rng: Rng, x: number, dt: number, tau: number, sd: number): number {
  const a = Math.exp(-dt / tau);
  return x * a + rng.normal(0, sd * Math.sqrt(1 - a * a));
}
