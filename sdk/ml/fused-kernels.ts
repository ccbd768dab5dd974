/**
 * Generated kernels for one dense layer of a given size: the loops over a layer's units and
 * inputs are unrolled, with the per-row accumulators in locals, because at these sizes (7-16
 * units) the loop bookkeeping and the stores of partial sums cost more than the arithmetic.
 * Generated once per layer shape when a FusedDense is built (Function(), no eval of user input:
 * the source is made only of numbers and the fixed text below). Measured on a 16-14-7-14-16
 * network: ~4x the throughput of the same loops written generically. Past UNROLL weights a
 * layer gets plain loops instead (same summation order): V8 does not optimize a function that
 * large (a sequence model's 256-output layer ran 3x slower unrolled than tfjs).
 */

/** z[r, j] = b[j] + Σ_i x[r, i] · W[i, j] for n rows. */
export type ForwardKernel = (x: Float64Array, W: Float64Array, b: Float64Array, z: Float64Array, n: number) => void;
/** gW[i, j] = Σ_r x[r, i] · dz[r, j] and gb[j] = Σ_r dz[r, j]. */
export type GradWeightsKernel = (x: Float64Array, dz: Float64Array, gW: Float64Array, gb: Float64Array, n: number) => void;
/** dx[r, i] = Σ_j dz[r, j] · W[i, j]; with `maskZeroInputs`, 0 where x[r, i] is 0 (a ReLU below has no gradient there). */
export type GradInputsKernel = (x: Float64Array, dz: Float64Array, W: Float64Array, dx: Float64Array, n: number) => void;

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function compile<T>(params: string[], body: string): T {
  return new Function(...params, `'use strict';\n${body}`) as T;
}

/** Weights (inputs x units) up to which a layer's kernels are unrolled. */
const UNROLL = 1024;

export function forwardKernel(inputs: number, units: number): ForwardKernel {
  if (inputs * units > UNROLL) {
    return (x, W, b, z, n) => {
      for (let r = 0; r < n; r++) {
        const xo = r * inputs;
        const zo = r * units;
        for (let j = 0; j < units; j++) z[zo + j] = b[j];
        for (let i = 0; i < inputs; i++) {
          const v = x[xo + i];
          if (v === 0) continue;
          const wo = i * units;
          for (let j = 0; j < units; j++) z[zo + j] += v * W[wo + j];
        }
      }
    };
  }
  const J = range(units);
  let s = `for (let r = 0; r < n; r++) {\nconst xo = r * ${inputs}, zo = r * ${units};\n`;
  s += J.map((j) => `let z${j} = b[${j}];`).join(' ') + '\n';
  for (let i = 0; i < inputs; i++) {
    // Skipping zero inputs pays: a third to a half of a ReLU layer's outputs are 0.
    s += `{ const v = x[xo + ${i}]; if (v !== 0) { ${J.map((j) => `z${j} += v * W[${i * units + j}];`).join(' ')} } }\n`;
  }
  s += J.map((j) => `z[zo + ${j}] = z${j};`).join(' ') + '\n}';
  return compile<ForwardKernel>(['x', 'W', 'b', 'z', 'n'], s);
}

export function gradWeightsKernel(inputs: number, units: number): GradWeightsKernel {
  if (inputs * units > UNROLL) {
    return (x, dz, gW, gb, n) => {
      gb.fill(0, 0, units);
      gW.fill(0, 0, inputs * units);
      for (let r = 0; r < n; r++) {
        const zo = r * units;
        for (let j = 0; j < units; j++) gb[j] += dz[zo + j];
        for (let i = 0; i < inputs; i++) {
          const v = x[r * inputs + i];
          if (v === 0) continue;
          const wo = i * units;
          for (let j = 0; j < units; j++) gW[wo + j] += v * dz[zo + j];
        }
      }
    };
  }
  const J = range(units);
  let s = J.map((j) => `let c${j} = 0;`).join(' ') + '\n';
  s += `for (let r = 0; r < n; r++) { const zo = r * ${units}; ${J.map((j) => `c${j} += dz[zo + ${j}];`).join(' ')} }\n`;
  s += J.map((j) => `gb[${j}] = c${j};`).join(' ') + '\n';
  s += `for (let i = 0; i < ${inputs}; i++) {\n${J.map((j) => `let a${j} = 0;`).join(' ')}\n`;
  s += `for (let r = 0; r < n; r++) { const v = x[r * ${inputs} + i]; if (v === 0) continue; const zo = r * ${units}; ${J.map((j) => `a${j} += v * dz[zo + ${j}];`).join(' ')} }\n`;
  s += `const wo = i * ${units}; ${J.map((j) => `gW[wo + ${j}] = a${j};`).join(' ')}\n}`;
  return compile<GradWeightsKernel>(['x', 'dz', 'gW', 'gb', 'n'], s);
}

export function gradInputsKernel(inputs: number, units: number, maskZeroInputs: boolean): GradInputsKernel {
  if (inputs * units > UNROLL) {
    return (x, dz, W, dx, n) => {
      for (let r = 0; r < n; r++) {
        const xo = r * inputs;
        const zo = r * units;
        for (let i = 0; i < inputs; i++) {
          if (maskZeroInputs && x[xo + i] === 0) {
            dx[xo + i] = 0;
            continue;
          }
          const wo = i * units;
          let s = 0;
          for (let j = 0; j < units; j++) s += dz[zo + j] * W[wo + j];
          dx[xo + i] = s;
        }
      }
    };
  }
  const J = range(units);
  let s = `for (let r = 0; r < n; r++) {\nconst xo = r * ${inputs}, zo = r * ${units};\n`;
  s += J.map((j) => `const g${j} = dz[zo + ${j}];`).join(' ') + '\n';
  for (let i = 0; i < inputs; i++) {
    const sum = J.map((j) => `g${j} * W[${i * units + j}]`).join(' + ');
    s += maskZeroInputs ? `dx[xo + ${i}] = x[xo + ${i}] === 0 ? 0 : ${sum};\n` : `dx[xo + ${i}] = ${sum};\n`;
  }
  s += '}';
  return compile<GradInputsKernel>(['x', 'dz', 'W', 'dx', 'n'], s);
}
