/**
 * pipeline.topFeatures without its per-row index array and sort: the streaming app names the top
 * features of every published result, and that allocation showed up in profiles. Same order:
 * largest error first, ties (and NaN differences) by feature order.
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
