/**
 * Small seeded pseudo-random generators for simulators, data splits and tests. Math.random cannot be seeded, and a
 * data set is only reproducible when every draw comes from a seed the user chose.
 */

/** mulberry32: 32-bit state, period 2^32, good enough statistical quality for simulation. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes several integers into one well-spread 32-bit seed (splitmix32 finaliser per part). */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = (h ^ (Math.floor(p) >>> 0)) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
    h = (h + 0x9e3779b9) >>> 0;
  }
  return h;
}

export class Rng {
  private readonly u: () => number;
  private spare: number | undefined;

  constructor(seed: number) {
    this.u = mulberry32(seed);
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u();
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.u();
  }

  /** Integer uniform in [lo, hi] (both inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor((hi - lo + 1) * this.u());
  }

  chance(p: number): boolean {
    return this.u() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(items.length * this.u())];
  }

  /** Standard normal by Box-Muller; the second value of each pair is kept for the next call. */
  normal(mean = 0, sd = 1): number {
    if (this.spare !== undefined) {
      const z = this.spare;
      this.spare = undefined;
      return mean + sd * z;
    }
    let u1 = this.u();
    while (u1 <= Number.EPSILON) u1 = this.u();
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * this.u();
    this.spare = r * Math.sin(theta);
    return mean + sd * r * Math.cos(theta);
  }
}
