/**
 * Sequence models (pipeline.json `sequence: { length }`): the network reads each key's last
 * `length` scaled feature rows, the current one last, and reconstructs them all. A key's first
 * rows, before it has `length` of them, repeat its oldest row in front. The score of a row is
 * the mean squared error over the whole window (every step, every feature), so evidence that
 * builds up over several readings (a bearing wearing out) adds up; the error of a feature is its
 * mean over the window's steps.
 *
 * One SequenceState per ordered stream, beside the FeatureState of the windowed features; the
 * notebook (fit, score) and the exported app fill windows through it alike.
 */
export class SequenceState {
  /** Per key: the last `length` rows (a ring), how many were pushed, and where each held row's inputs begin (`push`'s `from`). */
  private readonly keys = new Map<string, { rows: Float32Array; count: number; from: Float64Array }>();

  constructor(
    readonly length: number,
    readonly width: number,
  ) {}

  get size(): number {
    return this.keys.size;
  }

  reset(): void {
    this.keys.clear();
  }

  /**
   * Appends `row` (width values at `from[at..]`) to `key`'s history and writes its window, oldest
   * step first, at `out[offset..]`. `since` is the source position of the first reading the row's
   * feature values depend on (FeatureState.lastSince), for `earliest()`.
   */
  push(key: string, from: ArrayLike<number>, at: number, out: Float32Array, offset: number, since = NaN): void {
    const { length: n, width } = this;
    let st = this.keys.get(key);
    if (!st) {
      st = { rows: new Float32Array(n * width), count: 0, from: new Float64Array(n) };
      this.keys.set(key, st);
    }
    const slot = (st.count % n) * width;
    for (let f = 0; f < width; f++) st.rows[slot + f] = from[at + f];
    st.from[st.count % n] = since;
    st.count++;
    const have = Math.min(st.count, n);
    for (let step = 0; step < n; step++) {
      // Step s of the window holds reading (count - n + s); before the first reading, the first one again.
      const back = Math.min(n - 1 - step, have - 1);
      const src = ((st.count - 1 - back) % n) * width;
      out.set(st.rows.subarray(src, src + width), offset + step * width);
    }
  }

  /**
   * The smallest source position any held row depends on: re-feeding every reading from there,
   * in order, into empty states rebuilds every key's last `length` rows exactly (see
   * FeatureState.earliest). Undefined when no key has a row; NaN when a row came without one.
   */
  earliest(): number | undefined {
    let min: number | undefined;
    for (const st of this.keys.values()) {
      const oldest = st.from[st.count > this.length ? st.count % this.length : 0];
      if (Number.isNaN(oldest)) return NaN;
      if (min === undefined || oldest < min) min = oldest;
    }
    return min;
  }

  /** A copy of another state's histories (same length and width). */
  inherit(other: SequenceState): boolean {
    if (other.length !== this.length || other.width !== this.width) return false;
    this.keys.clear();
    for (const [k, st] of other.keys) this.keys.set(k, { rows: st.rows.slice(), count: st.count, from: st.from.slice() });
    return true;
  }
}

/** Per-feature errors of windows: the squared error of each feature averaged over the steps (rows x width). */
export function windowFeatureErrors(input: ArrayLike<number>, output: ArrayLike<number>, steps: number, width: number): Float32Array {
  const rows = Math.floor(input.length / (steps * width));
  const out = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    const base = r * steps * width;
    for (let f = 0; f < width; f++) {
      let sum = 0;
      for (let s = 0; s < steps; s++) {
        const i = base + s * width + f;
        const d = input[i] - output[i];
        sum += d * d;
      }
      out[r * width + f] = sum / steps;
    }
  }
  return out;
}
