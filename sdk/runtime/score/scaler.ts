/**
 * The scaler a model's inputs go through: fitted once on the training features, saved in
 * pipeline.json, applied to every feature row before the model call (float32, as the model reads).
 */
import type { ScalerSpec } from './pipeline';

/** Fits a scaler on a row-major matrix; a constant feature gets scale 1 so it cannot divide by 0. */
export function fitScaler(kind: ScalerSpec['kind'], matrix: ArrayLike<number>, features: number): ScalerSpec {
  const rows = Math.floor(matrix.length / features);
  const offset = new Array<number>(features).fill(0);
  const scale = new Array<number>(features).fill(1);
  if (kind === 'none' || rows === 0) return { kind, offset, scale };
  for (let f = 0; f < features; f++) {
    if (kind === 'standard') {
      let sum = 0;
      for (let r = 0; r < rows; r++) sum += matrix[r * features + f];
      const mean = sum / rows;
      let sq = 0;
      for (let r = 0; r < rows; r++) {
        const d = matrix[r * features + f] - mean;
        sq += d * d;
      }
      const std = Math.sqrt(sq / rows);
      offset[f] = mean;
      scale[f] = std > 1e-12 ? std : 1;
    } else {
      let min = Infinity;
      let max = -Infinity;
      for (let r = 0; r < rows; r++) {
        const v = matrix[r * features + f];
        if (v < min) min = v;
        if (v > max) max = v;
      }
      offset[f] = min;
      scale[f] = max - min > 1e-12 ? max - min : 1;
    }
  }
  return { kind, offset, scale };
}

/** Scales a row-major matrix in place (Float32 results, as the model consumes them). */
export function scaleInPlace(scaler: ScalerSpec, matrix: Float32Array): Float32Array {
  const nf = scaler.offset.length;
  for (let at = 0; at < matrix.length; at += nf) scaleRow(scaler, matrix, at);
  return matrix;
}

/** Scales the one feature row that starts at matrix[at]. */
export function scaleRow(scaler: ScalerSpec, matrix: Float32Array, at: number): void {
  const { offset, scale } = scaler;
  for (let f = 0; f < offset.length; f++) matrix[at + f] = (matrix[at + f] - offset[f]) / scale[f];
}
