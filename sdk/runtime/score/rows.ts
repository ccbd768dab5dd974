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
import type { PipelineSpec } from './pipeline';
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
 * Prepares `rows` rows of `columns` in order, advancing `state` with the rows that can be
 * scored. `out`, when given, receives the matrix (rows x features at least). `at`, when given,
 * holds each row's position (its source offset) for the state's `earliest()`.
 */
export function prepareRows(spec: PipelineSpec, columns: RowColumns, rows: number, state: FeatureState, out?: Float32Array, at?: ArrayLike<number>): PreparedRows {
  const inputs = spec.inputs;
  const nf = spec.features.length;
  const cols = inputs.map((inp) => columns[inp.name]);
  const keyCol = spec.key === undefined ? undefined : columns[spec.key];
  const readings = new Float64Array(inputs.length);
  const matrix = out ?? new Float32Array(rows * nf);
  const seq = state.sequences;
  const span = seq ? seq.length * nf : 0;
  const windows = seq ? new Float32Array(rows * span) : undefined;
  const index = new Int32Array(rows);
  const problems: (string | undefined)[] = new Array(rows);
  let k = 0;
  for (let r = 0; r < rows; r++) {
    let key = '';
    if (spec.key !== undefined) {
      const v = keyCol === undefined ? undefined : keyCol[r];
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
      const v = c === undefined ? undefined : c[r];
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
    state.push(key, readings, matrix, base, at === undefined ? NaN : at[r]);
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
