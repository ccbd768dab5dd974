/**
 * Drift: how far live feature rows have moved from the rows a model was trained on, per feature,
 * as the population stability index (PSI) over the training distribution's deciles.
 *
 * At fit time `featureDistribution` bins each feature of the scaled training matrix at its
 * deciles and records the fraction of training rows in each bin; pipeline.json carries that as
 * `distribution`. A `DriftMonitor` (the notebook's `ae.drift`/`ae.watch` and the exported app's
 * `/metrics` hold one each) bins live scaled rows on the same edges and reports
 *   PSI = sum over bins (live - train) * ln(live / train),
 * empty bins counted as 1e-4 so an empty bin does not make it infinite. Usual reading: below 0.1
 * stable, 0.1 to 0.25 a shift worth a look, above 0.25 a different population.
 *
 * Bins are in the model's scaled units, the space the app already has each row in; the scaler
 * is monotone, so the bins are the same as in raw units.
 */
import type { PipelineSpec } from './pipeline';

export interface FeatureBins {
  /** Inner cut points, ascending and distinct: bin i holds values v with edges[i-1] < v <= edges[i]. */
  edges: number[];
  /** Fraction of training rows in each bin (edges.length + 1 of them, summing to 1). */
  fractions: number[];
}

/** The training distribution pipeline.json carries (`distribution`). */
export interface DistributionSpec {
  space: 'scaled';
  /** Training rows the bins were measured on. */
  rows: number;
  /** One per model feature, in feature order. */
  features: FeatureBins[];
}

/** PSI of a bin count below this floor (as a fraction) uses the floor: an empty bin is rare, not impossible. */
export const PSI_FLOOR = 1e-4;
export const DRIFT_BINS = 10;

/** Bin of `v` among ascending `edges`: the number of edges strictly below it. NaN goes to the last bin. */
export function binOf(edges: ArrayLike<number>, v: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return v === v ? lo : edges.length;
}

/**
 * Decile bins of every feature of a row-major matrix (`width` features), measured on its rows,
 * or on `maxRows` of them evenly spread through it.
 */
export function featureDistribution(matrix: ArrayLike<number>, width: number, bins = DRIFT_BINS, maxRows = 100_000): DistributionSpec {
  const all = Math.floor(matrix.length / width);
  const rows = Math.min(all, maxRows);
  const step = all / Math.max(rows, 1);
  const column = new Float64Array(rows);
  const features: FeatureBins[] = [];
  for (let f = 0; f < width; f++) {
    for (let r = 0; r < rows; r++) column[r] = matrix[Math.floor(r * step) * width + f];
    column.sort();
    const edges: number[] = [];
    for (let b = 1; b < bins && rows > 0; b++) {
      const e = column[Math.min(rows - 1, Math.floor((b * rows) / bins))];
      // Ties (a constant or mostly constant feature) give fewer, wider bins.
      if (Number.isFinite(e) && (edges.length === 0 || e > edges[edges.length - 1])) edges.push(e);
    }
    if (edges.length && edges[edges.length - 1] >= column[rows - 1]) edges.pop();
    const counts = new Float64Array(edges.length + 1);
    for (let r = 0; r < rows; r++) counts[binOf(edges, column[r])]++;
    features.push({ edges, fractions: Array.from(counts, (c) => (rows ? c / rows : 0)) });
  }
  return { space: 'scaled', rows, features };
}

/** Population stability index of live bin counts against expected fractions. */
export function psi(expected: ArrayLike<number>, counts: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  if (total === 0) return 0;
  let sum = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i], PSI_FLOOR);
    const a = Math.max(counts[i] / total, PSI_FLOOR);
    sum += (a - e) * Math.log(a / e);
  }
  return sum;
}

export interface DriftReport {
  /** Live rows the figures cover (between one and two windows of them). */
  rows: number;
  /** PSI per feature, by name, in feature order. */
  psi: Record<string, number>;
  /** The largest PSI and its feature. */
  max: number;
  feature: string | undefined;
}

/**
 * Counts live scaled rows into the training bins over a sliding window: the figures cover the
 * last `window` to 2 x `window` rows (two halves, the older dropped when the newer fills), so
 * memory stays bounded and old traffic ages out.
 */
export class DriftMonitor {
  readonly features: string[];
  private readonly bins: FeatureBins[];
  private readonly offsets: Int32Array;
  /** Every feature's edges end to end (feature f's from edgeAt[f]), for observe()'s inner loop. */
  private readonly edges: Float64Array;
  private readonly edgeAt: Int32Array;
  private current: Float64Array;
  private previous: Float64Array;
  private currentRows = 0;
  private previousRows = 0;

  constructor(
    spec: PipelineSpec,
    readonly window = 50_000,
  ) {
    if (!spec.distribution) throw new Error('pipeline: no training distribution (train with a kafkalab version that records `distribution`, then save or publish again)');
    if (spec.distribution.features.length !== spec.features.length) throw new Error('pipeline: the training distribution does not cover every feature');
    this.features = spec.features;
    this.bins = spec.distribution.features;
    this.offsets = new Int32Array(this.bins.length + 1);
    for (let f = 0; f < this.bins.length; f++) this.offsets[f + 1] = this.offsets[f] + this.bins[f].edges.length + 1;
    this.edgeAt = new Int32Array(this.bins.length + 1);
    for (let f = 0; f < this.bins.length; f++) this.edgeAt[f + 1] = this.edgeAt[f] + this.bins[f].edges.length;
    this.edges = Float64Array.from(this.bins.flatMap((b) => b.edges));
    this.current = new Float64Array(this.offsets[this.bins.length]);
    this.previous = new Float64Array(this.current.length);
  }

  /** Whether a pipeline can be monitored (older pipeline.json files have no distribution). */
  static supports(spec: PipelineSpec): boolean {
    return spec.distribution !== undefined && spec.distribution.features.length === spec.features.length;
  }

  get rows(): number {
    return this.currentRows + this.previousRows;
  }

  /** Counts `rows` scaled feature rows (row-major, the model's width). */
  observe(matrix: ArrayLike<number>, rows: number): void {
    const width = this.bins.length;
    const { edges, edgeAt, offsets } = this;
    for (let r = 0; r < rows; r++) {
      const base = r * width;
      const counts = this.current; // rotate() swaps the halves
      for (let f = 0; f < width; f++) {
        // binOf over this feature's slice of the flat edges (the hot path: one row at a time)
        const v = matrix[base + f];
        const from = edgeAt[f];
        const n = edgeAt[f + 1] - from;
        let lo = 0;
        let hi = n;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (edges[from + mid] < v) lo = mid + 1;
          else hi = mid;
        }
        counts[offsets[f] + (v === v ? lo : n)]++;
      }
      if (++this.currentRows >= this.window) this.rotate();
    }
  }

  reset(): void {
    this.current.fill(0);
    this.previous.fill(0);
    this.currentRows = this.previousRows = 0;
  }

  /** PSI per feature over the rows in the window. */
  values(): Float64Array {
    const out = new Float64Array(this.bins.length);
    for (let f = 0; f < this.bins.length; f++) {
      const n = this.bins[f].fractions.length;
      const counts = new Float64Array(n);
      const at = this.offsets[f];
      for (let i = 0; i < n; i++) counts[i] = this.current[at + i] + this.previous[at + i];
      out[f] = psi(this.bins[f].fractions, counts);
    }
    return out;
  }

  report(): DriftReport {
    const values = this.values();
    const byName: Record<string, number> = {};
    let max = 0;
    let feature: string | undefined;
    values.forEach((v, f) => {
      byName[this.features[f]] = v;
      if (v > max || feature === undefined) {
        max = v;
        feature = this.features[f];
      }
    });
    return { rows: this.rows, psi: byName, max, feature };
  }

  private rotate(): void {
    const old = this.previous;
    this.previous = this.current;
    this.previousRows = this.currentRows;
    old.fill(0);
    this.current = old;
    this.currentRows = 0;
  }
}
