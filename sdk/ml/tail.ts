/**
 * Statistics of the reconstruction errors of normal rows that thresholds are made from: a
 * generalized Pareto fit of their upper tail (peaks over threshold, extreme value theory) and
 * robust centre and spread (median, MAD).
 *
 * Why a tail model: a percentile of a few thousand validation errors is estimated from the
 * handful of rows above it, so a 99.9th percentile rests on 2-5 points; the Pickands-Balkema-de
 * Haan theorem says excesses over a high level u follow a generalized Pareto distribution
 * whatever the errors' own distribution, so fitting it to the top few percent extrapolates a
 * rate like 1e-4 from many more points (the approach of SPOT, Siffer et al., KDD 2017).
 */

export interface ParetoTail {
  /** The level u the excesses are measured from (a high empirical quantile of the errors). */
  threshold: number;
  /** Fraction of all errors above u. */
  rate: number;
  /** GPD shape ξ (> 0 heavy tail, 0 exponential, < 0 bounded) and scale σ. */
  shape: number;
  scale: number;
  exceedances: number;
  samples: number;
}

function sortedFinite(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).filter((v) => Number.isFinite(v)).sort();
}

/** Linear-interpolated quantile of an ascending array, q in [0, 1]. */
function quantileSorted(s: Float64Array, q: number): number {
  if (!s.length) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/**
 * Fits a generalized Pareto distribution to the excesses of `values` over their
 * (1 - tailFraction) quantile by probability-weighted moments (Hosking & Wallis 1987): with the
 * excesses y ascending, a0 = mean(y), a1 = mean((n - j) / (n - 1) · y_j) (j = 1..n), the shape is
 * ξ = 2 - a0 / (a0 - 2·a1) and the scale σ = 2·a0·a1 / (a0 - 2·a1). PWM is robust on the small
 * samples a validation tail gives, and unbiased enough for ξ < 0.5.
 */
export function fitParetoTail(values: ArrayLike<number>, tailFraction = 0.05, minExceedances = 20): ParetoTail {
  const s = sortedFinite(values);
  const n = s.length;
  // Enough excesses for a stable fit: widen the tail on small samples.
  const frac = Math.min(0.5, Math.max(tailFraction, minExceedances / Math.max(1, n)));
  const u = quantileSorted(s, 1 - frac);
  const y: number[] = [];
  for (let i = 0; i < n; i++) if (s[i] > u) y.push(s[i] - u);
  const m = y.length;
  if (m < 3) return { threshold: u, rate: m / Math.max(1, n), shape: 0, scale: m ? y.reduce((a, b) => a + b, 0) / m : 0, exceedances: m, samples: n };
  let a0 = 0;
  let a1 = 0;
  for (let j = 0; j < m; j++) {
    a0 += y[j];
    a1 += ((m - 1 - j) / (m - 1)) * y[j];
  }
  a0 /= m;
  a1 /= m;
  const d = a0 - 2 * a1;
  let shape = d > 0 ? 2 - a0 / d : 0;
  let scale = d > 0 ? (2 * a0 * a1) / d : a0;
  if (!(scale > 0) || !Number.isFinite(shape)) {
    shape = 0;
    scale = a0;
  }
  return { threshold: u, rate: m / n, shape, scale, exceedances: m, samples: n };
}

/**
 * The level exceeded with probability `rate` under the fitted tail:
 * u + σ/ξ · ((rate / P(X > u))^(-ξ) - 1), or u - σ·ln(rate / P(X > u)) when ξ = 0.
 * Rates at or above P(X > u) are inside the data: the caller takes an empirical quantile.
 */
export function tailQuantile(t: ParetoTail, rate: number): number {
  const r = rate / t.rate;
  if (Math.abs(t.shape) < 1e-9) return t.threshold - t.scale * Math.log(r);
  return t.threshold + (t.scale / t.shape) * (Math.pow(r, -t.shape) - 1);
}

/** P(X > x) under the fitted tail (for x ≥ u). */
export function tailRate(t: ParetoTail, x: number): number {
  if (x <= t.threshold) return NaN;
  const z = (x - t.threshold) / t.scale;
  if (Math.abs(t.shape) < 1e-9) return t.rate * Math.exp(-z);
  const base = 1 + t.shape * z;
  return base <= 0 ? 0 : t.rate * Math.pow(base, -1 / t.shape);
}

/** Median and median absolute deviation (unscaled). */
export function medianMad(values: ArrayLike<number>): { median: number; mad: number } {
  const s = sortedFinite(values);
  const median = quantileSorted(s, 0.5);
  const dev = Float64Array.from(s, (v) => Math.abs(v - median)).sort();
  return { median, mad: quantileSorted(dev, 0.5) };
}

/** 1.4826 · MAD estimates σ for normally distributed values. */
export const MAD_TO_SIGMA = 1.4826;
