/**
 * From a model's reconstruction to what a score says: the per-feature squared errors, the score
 * (their mean over the features of a row) and the features that contribute most to it.
 */

/** Per-feature squared reconstruction errors, row-major like the input. */
export function featureErrors(input: ArrayLike<number>, output: ArrayLike<number>): Float32Array {
  const out = new Float32Array(input.length);
  for (let i = 0; i < input.length; i++) {
    const d = input[i] - output[i];
    out[i] = d * d;
  }
  return out;
}

/** The anomaly score of each row: the mean squared reconstruction error over its features. */
export function rowScores(input: ArrayLike<number>, output: ArrayLike<number>, features: number): Float32Array {
  const rows = Math.floor(input.length / features);
  const out = new Float32Array(rows);
  for (let r = 0, i = 0; r < rows; r++) {
    let sum = 0;
    for (let f = 0; f < features; f++, i++) {
      const d = input[i] - output[i];
      sum += d * d;
    }
    out[r] = sum / features;
  }
  return out;
}

/** Indexes of the `n` largest per-feature errors of one row, largest first ("which sensors"). */
export function topFeatures(errors: ArrayLike<number>, features: number, row: number, n = 3): number[] {
  const out = new Int32Array(Math.max(0, Math.min(n, features)));
  return Array.from(out.subarray(0, topFeaturesInto(errors, features, row, out)));
}

/**
 * topFeatures written into `out`, without allocating (the streaming app names the top features
 * of every published result). Largest error first, ties (and NaN differences) by feature order.
 * Returns how many were written (out.length, at most the feature count).
 */
export function topFeaturesInto(errors: ArrayLike<number>, width: number, row: number, out: Int32Array): number {
  const n = Math.min(out.length, width);
  const base = row * width;
  let filled = 0;
  for (let f = 0; f < width; f++) {
    const e = errors[base + f];
    // Insertion into the short sorted prefix; a later feature passes only a strictly larger error.
    let at = filled;
    while (at > 0 && e - errors[base + out[at - 1]] > 0) at--;
    if (at >= n) continue;
    for (let k = Math.min(filled, n - 1); k > at; k--) out[k] = out[k - 1];
    out[at] = f;
    if (filled < n) filled++;
  }
  return filled;
}
