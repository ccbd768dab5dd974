/**
 * From decoded rows to the model's input: which rows can be scored (and why not), their window
 * state, their scaled feature rows. Autoencoder.score/predict/explain and the exported app both
 * come through here, so a row is scored, or dead-lettered with the same reason, in both.
 *
 * A row cannot be scored when it lacks the window key, has none of the model inputs (a missing
 * reading is not a reason by itself: it takes the fill chosen at training, and a sensor that
 * dropped out is what the model should flag), or holds a reading beyond float32's range (the
 * model reads float32). Such a row leaves the window state untouched.
 */
import { ColumnSet, rowColumns } from '../decode/columns';
import { FLOAT32_MAX, isMissing, toNumber } from '../decode/values';
import { FeatureState } from './features';
import { featurePlan, type PipelineSpec } from './pipeline';
import { scaleRow } from './scaler';

/** Column arrays by name (undefined: the column is absent); one value per row. */
export type RowColumns = Record<string, ArrayLike<unknown> | undefined>;

export const ROW_PROBLEM = {
  noKey: (key: string) => `record has no "${key}"`,
  noInputs: (inputs: string[]) => `record has none of the model inputs (${inputs.join(', ')})`,
  outOfRange: (input: string, v: number) => `"${input}" is ${v}, beyond the float32 range the model reads`,
  notFinite: (feature: string) => `feature "${feature}" is not finite after scaling`,
};

export interface PreparedRows {
  /** Scaled feature rows of the rows that can be scored, row-major (`rows` x features). */
  matrix: Float32Array;
  /** What the model reads: `matrix` itself, or for a sequence model each row's window (`rows` x length x features, sequence.ts). */
  input: Float32Array;
  rows: number;
  /** For each prepared row, its index among the input rows. */
  index: Int32Array;
  /** Per input row: why it cannot be scored, or undefined. */
  problems: (string | undefined)[];
}

/**
 * Prepares rows [from, from + rows) of `columns` in order, advancing `state` with the rows that
 * can be scored; `index` and `problems` count from `from`. `out`, when given, receives the matrix
 * (rows x features at least). `at`, when given, holds each row's position (its source offset,
 * indexed like the columns) for the state's `earliest()`.
 */
export function prepareRows(spec: PipelineSpec, columns: RowColumns, rows: number, state: FeatureState, out?: Float32Array, at?: ArrayLike<number>, from = 0): PreparedRows {
  const cols = spec.inputs.map((inp) => columns[inp.name]);
  const keyCol = spec.key === undefined ? undefined : columns[spec.key];
  const matrix = out ?? new Float32Array(rows * spec.features.length);
  if (!state.sequences && spec.windows.length === 0 && cols.every((c) => c === undefined || c instanceof Float64Array || c instanceof Float32Array)) {
    return prepareNumeric(spec, cols as (Float64Array | Float32Array | undefined)[], keyCol, rows, from, matrix);
  }
  const inputs = spec.inputs;
  const nf = spec.features.length;
  const readings = new Float64Array(inputs.length);
  const seq = state.sequences;
  const span = seq ? seq.length * nf : 0;
  const windows = seq ? new Float32Array(rows * span) : undefined;
  const index = new Int32Array(rows);
  const problems: (string | undefined)[] = new Array(rows);
  let k = 0;
  for (let r = 0; r < rows; r++) {
    const row = from + r;
    let key = '';
    if (spec.key !== undefined) {
      const v = keyCol === undefined ? undefined : keyCol[row];
      if (isMissing(v)) {
        problems[r] = ROW_PROBLEM.noKey(spec.key);
        continue;
      }
      key = String(v);
    }
    let present = 0;
    let far = -1;
    for (let i = 0; i < cols.length; i++) {
      const c = cols[i];
      const v = c === undefined ? undefined : c[row];
      if (isMissing(v)) {
        readings[i] = NaN;
        continue;
      }
      present++;
      const x = (readings[i] = toNumber(v));
      if ((x > FLOAT32_MAX || x < -FLOAT32_MAX) && far < 0) far = i;
    }
    if (present === 0) {
      problems[r] = ROW_PROBLEM.noInputs(inputs.map((i) => i.name));
      continue;
    }
    if (far >= 0) {
      problems[r] = ROW_PROBLEM.outOfRange(inputs[far].name, readings[far]);
      continue;
    }
    const base = k * nf;
    state.push(key, readings, matrix, base, at === undefined ? NaN : at[row]);
    scaleRow(spec.scaler, matrix, base);
    let bad = -1;
    for (let f = 0; f < nf && bad < 0; f++) if (!Number.isFinite(matrix[base + f])) bad = f;
    if (bad >= 0) {
      // Window statistics or scaling overflowed float32: the state has advanced, as it would in any path.
      problems[r] = ROW_PROBLEM.notFinite(spec.features[bad]);
      continue;
    }
    seq?.push(key, matrix, base, windows!, k * span, state.lastSince);
    index[k++] = r;
  }
  const m = matrix.subarray(0, k * nf);
  return { matrix: m, input: windows ? windows.subarray(0, k * span) : m, rows: k, index: index.subarray(0, k), problems };
}

/**
 * prepareRows for float columns and a pipeline without windows or sequences (no state to
 * advance): the same checks, fills, float32 rounding and scaling, a column at a time instead of a
 * row at a time (a typed column read in order, no per-cell type tests). Must give the bits the
 * row loop gives (test/runtime/score/rows.test.ts compares them on random tables).
 */
function prepareNumeric(spec: PipelineSpec, cols: (Float64Array | Float32Array | undefined)[], keyCol: ArrayLike<unknown> | undefined, rows: number, from: number, matrix: Float32Array): PreparedRows {
  if (spec.key === undefined && everyCellInRange(spec, cols, rows, from, matrix)) {
    const index = new Int32Array(rows);
    for (let r = 0; r < rows; r++) index[r] = r;
    const m = matrix.subarray(0, rows * spec.features.length);
    return { matrix: m, input: m, rows, index, problems: new Array(rows) };
  }
  const inputs = spec.inputs;
  const nf = spec.features.length;
  const problems: (string | undefined)[] = new Array(rows);
  // Which rows cannot be scored: counted only on the rare cells (missing, or beyond float32).
  let missing: Int32Array | undefined;
  let far: Int32Array | undefined;
  let given = 0;
  for (let i = 0; i < cols.length; i++) {
    const c = cols[i];
    if (c === undefined) continue;
    given++;
    for (let r = 0, at = from; r < rows; r++, at++) {
      const v = c[at];
      if (v >= -FLOAT32_MAX && v <= FLOAT32_MAX) continue;
      if (v !== v) (missing ??= new Int32Array(rows))[r]++;
      else if ((far ??= new Int32Array(rows).fill(-1))[r] < 0) far[r] = i;
    }
  }
  const index = new Int32Array(rows);
  let k = 0;
  if (given === 0 || missing !== undefined || far !== undefined || spec.key !== undefined) {
    for (let r = 0; r < rows; r++) {
      if (spec.key !== undefined && isMissing(keyCol === undefined ? undefined : keyCol[from + r])) problems[r] = ROW_PROBLEM.noKey(spec.key);
      else if (given === 0 || (missing !== undefined && missing[r] === given)) problems[r] = ROW_PROBLEM.noInputs(inputs.map((i) => i.name));
      else if (far !== undefined && far[r] >= 0) problems[r] = ROW_PROBLEM.outOfRange(inputs[far[r]].name, cols[far[r]]![from + r]);
      else index[k++] = r;
    }
  } else {
    for (let r = 0; r < rows; r++) index[r] = r;
    k = rows;
  }
  const { sources } = featurePlan(spec);
  const { offset, scale } = spec.scaler;
  const all = k === rows;
  let overflow = false;
  for (let f = 0; f < nf; f++) {
    const input = sources[f].input;
    const c = cols[input];
    const off = offset[f];
    const sc = scale[f];
    // A missing reading takes the fill; the feature row is float32 before it is scaled (as in
    // FeatureState.push, then scaleRow), and float32 after.
    const fill = Math.fround(inputs[input].fill);
    if (c === undefined) {
      const z = Math.fround((fill - off) / sc);
      if (z - z !== 0) overflow = true;
      for (let j = 0, o = f; j < k; j++, o += nf) matrix[o] = z;
    } else if (all) {
      for (let r = 0, o = f, at = from; r < rows; r++, o += nf, at++) {
        const v = c[at];
        const z = Math.fround((Math.fround(v === v ? v : fill) - off) / sc);
        if (z - z !== 0) overflow = true;
        matrix[o] = z;
      }
    } else {
      for (let j = 0, o = f; j < k; j++, o += nf) {
        const v = c[from + index[j]];
        const z = Math.fround((Math.fround(v === v ? v : fill) - off) / sc);
        if (z - z !== 0) overflow = true;
        matrix[o] = z;
      }
    }
  }
  if (!overflow) {
    const m = matrix.subarray(0, k * nf);
    return { matrix: m, input: m, rows: k, index: index.subarray(0, k), problems };
  }
  // Scaling overflowed float32 somewhere (a reading near its limit over a small scale): those rows drop out.
  let kept = 0;
  for (let j = 0; j < k; j++) {
    const base = j * nf;
    let bad = -1;
    for (let f = 0; f < nf && bad < 0; f++) if (!Number.isFinite(matrix[base + f])) bad = f;
    if (bad >= 0) {
      problems[index[j]] = ROW_PROBLEM.notFinite(spec.features[bad]);
      continue;
    }
    if (kept !== j) {
      matrix.copyWithin(kept * nf, base, base + nf);
      index[kept] = index[j];
    }
    kept++;
  }
  const m = matrix.subarray(0, kept * nf);
  return { matrix: m, input: m, rows: kept, index: index.subarray(0, kept), problems };
}

/** Rows per pass of everyCellInRange: their feature rows (16 features: 16 KiB) stay in L1. */
const TILE = 256;

/**
 * The common case of prepareNumeric, in one read of each column: every input present and within
 * float32 in every row, and no scaled value overflowing. Writes the scaled rows and returns true;
 * returns false as soon as a cell breaks that (prepareNumeric then does the general pass).
 */
function everyCellInRange(spec: PipelineSpec, cols: (Float64Array | Float32Array | undefined)[], rows: number, from: number, matrix: Float32Array): boolean {
  const nf = spec.features.length;
  const { sources } = featurePlan(spec);
  const read = new Set(sources.map((s) => s.input));
  if (cols.some((c, i) => c === undefined || !read.has(i))) return false;
  const { offset, scale } = spec.scaler;
  for (let t = 0; t < rows; t += TILE) {
    const end = Math.min(rows, t + TILE);
    for (let f = 0; f < nf; f++) {
      const c = cols[sources[f].input]!;
      const off = offset[f];
      const sc = scale[f];
      for (let r = t, o = t * nf + f, at = from + t; r < end; r++, o += nf, at++) {
        const v = c[at];
        if (!(v >= -FLOAT32_MAX && v <= FLOAT32_MAX)) return false;
        const z = Math.fround((Math.fround(v) - off) / sc);
        if (z - z !== 0) return false;
        matrix[o] = z;
      }
    }
  }
  return true;
}

/** Why one record (a row object or parsed JSON, nested fields flattened) cannot be scored on its own, or undefined. */
export function recordProblem(spec: PipelineSpec, record: unknown): string | undefined {
  const set = new ColumnSet(undefined, 16);
  const failed = set.addValue(record);
  if (failed) return failed;
  const names = spec.key === undefined ? spec.inputs.map((i) => i.name) : [...spec.inputs.map((i) => i.name), spec.key];
  return prepareRows(spec, rowColumns(set, names), 1, new FeatureState(spec)).problems[0];
}

/** A label per kind of reason (metrics, dead-letter counts): the reason with its specifics left out. */
export function reasonKind(reason: string): string {
  if (reason.startsWith('record has no ')) return 'no_key';
  if (reason.startsWith('record has none of')) return 'no_inputs';
  if (reason.includes('beyond the float32 range')) return 'out_of_range';
  if (reason.startsWith('feature ')) return 'not_finite';
  if (reason.startsWith('schema id ')) return reason.includes('not in the') ? 'schema_not_found' : reason.includes('does not compile') ? 'schema_invalid' : reason.includes(' is ') ? 'schema_type' : 'schema_not_loaded';
  if (/^(Avro|Protobuf) payload/.test(reason)) return `${reason.slice(0, reason.indexOf(' ')).toLowerCase()}_payload`;
  return reason.replace(/[^a-z0-9]+/gi, '_').replace(/^_|_$/g, '').toLowerCase();
}
