/**
 * From a row's raw readings to its feature row: the fill for a missing reading, the rolling
 * statistics per key, the features in the spec's order. One FeatureState per ordered stream of
 * rows: it must see each key's rows in time order (a topic's partition order when the window
 * key is the partitioning key).
 */
import { recordColumns } from '../decode/columns';
import { toNumber } from '../decode/values';
import { featurePlan, type FeatureSource, type PipelineSpec } from './pipeline';
import { SequenceState } from './sequence';

interface KeyState {
  /** One ring buffer of `size` values per window; `count` readings seen so far. */
  rings: Float64Array[];
  count: number;
  last: Float64Array;
  /** Where each of the last `depth` readings came from (a source offset, see `push`'s `at`), a ring like the others. */
  at: Float64Array;
}

export class FeatureState {
  readonly spec: PipelineSpec;
  private readonly sources: FeatureSource[];
  private readonly windowInput: number[];
  private readonly keys = new Map<string, KeyState>();
  private readonly values: Float64Array;
  private readonly readings: Float64Array;
  private readonly stats: Float64Array[];
  /** Each key's last scaled feature rows, for a sequence model (pipeline `sequence`). */
  readonly sequences: SequenceState | undefined;
  /** The largest window: how many of a key's latest readings its state depends on. */
  readonly depth: number;
  /**
   * The source position (`push`'s `at`) of the first reading the last pushed row's features
   * depend on: the oldest its key's windows held before it (its `diff` reads the one before it),
   * or the row's own when it is the key's first or there are no windows. A sequence model keeps
   * it with each row of its history (SequenceState.push), for `earliest()`.
   */
  lastSince = NaN;

  constructor(spec: PipelineSpec) {
    this.spec = spec;
    const plan = featurePlan(spec);
    this.sources = plan.sources;
    this.windowInput = plan.windowInput;
    this.values = new Float64Array(spec.inputs.length);
    this.readings = new Float64Array(spec.inputs.length);
    this.stats = spec.windows.map(() => new Float64Array(8));
    this.sequences = spec.sequence ? new SequenceState(spec.sequence.length, spec.features.length) : undefined;
    this.depth = spec.windows.reduce((m, w) => Math.max(m, w.size), 0);
  }

  /** Number of keys with state (e.g. cars seen). */
  get size(): number {
    return this.keys.size;
  }

  reset(): void {
    this.keys.clear();
    this.sequences?.reset();
  }

  /**
   * The smallest position (`push`'s `at`) any key's windows still hold: re-feeding every row from
   * there on, in order, into an empty state rebuilds this state's features exactly (a key's
   * window statistics depend only on its last `depth` readings, in order, and whether it had
   * any before them), and a sequence model's histories (each held row from the first reading its
   * features depend on). Undefined when no key has state (no windows and no sequence, or nothing
   * pushed yet); NaN when some pushed row carried no position.
   */
  earliest(): number | undefined {
    // A sequence model's history holds feature rows: each needs the readings its windows held then.
    let min = this.sequences?.earliest();
    if (min !== undefined && Number.isNaN(min)) return NaN;
    if (!this.depth) return min;
    for (const st of this.keys.values()) {
      const oldest = st.at[st.count > this.depth ? st.count % this.depth : 0];
      if (Number.isNaN(oldest)) return NaN;
      if (min === undefined || oldest < min) min = oldest;
    }
    return min;
  }

  /**
   * Takes a copy of another state's windows when both pipelines keep the same windows under the
   * same key (a new version of a model swapped in mid-stream), so its windowed features continue
   * instead of warming up again. Returns whether it did.
   */
  inherit(other: FeatureState): boolean {
    const same = (a: PipelineSpec) => JSON.stringify({ key: a.key, windows: a.windows });
    if (same(this.spec) !== same(other.spec)) return false;
    // Sequence histories hold scaled rows: they carry over only under the same features and scaler.
    const scaled = (a: PipelineSpec) => JSON.stringify({ features: a.features, scaler: a.scaler, sequence: a.sequence });
    if (this.sequences && other.sequences && scaled(this.spec) === scaled(other.spec)) this.sequences.inherit(other.sequences);
    this.keys.clear();
    for (const [key, st] of other.keys) this.keys.set(key, { rings: st.rings.map((r) => r.slice()), count: st.count, last: st.last.slice(), at: st.at.slice() });
    return true;
  }

  /**
   * Feeds one row and writes its feature row at `out[offset..]`. `readings[i]` is input i as a
   * number (toNumber), NaN or infinite when missing or not numeric: the input's fill takes its place.
   * `at` is where the row came from (e.g. its source offset), for `earliest()`.
   */
  push(key: string, readings: ArrayLike<number>, out: Float32Array | Float64Array, offset = 0, at = NaN): void {
    const inputs = this.spec.inputs;
    for (let i = 0; i < inputs.length; i++) {
      const v = readings[i];
      this.values[i] = Number.isFinite(v) ? v : inputs[i].fill;
    }
    if (this.spec.windows.length) this.updateWindows(key, at);
    else this.lastSince = at;
    for (let f = 0; f < this.sources.length; f++) {
      const s = this.sources[f];
      out[offset + f] = s.input >= 0 ? this.values[s.input] : this.stats[s.window][s.stat];
    }
  }

  /** `push` with input i's raw cell from `get(i)` (any type; read with toNumber). */
  row(key: string, get: (input: number) => unknown, out: Float32Array | Float64Array, offset = 0): void {
    const raw = this.readings;
    for (let i = 0; i < raw.length; i++) raw[i] = toNumber(get(i));
    this.push(key, raw, out, offset);
  }

  private updateWindows(key: string, at: number): void {
    let st = this.keys.get(key);
    if (!st) {
      st = { rings: this.spec.windows.map((w) => new Float64Array(w.size)), count: 0, last: new Float64Array(this.spec.windows.length), at: new Float64Array(this.depth) };
      this.keys.set(key, st);
    }
    this.lastSince = st.count === 0 ? at : st.at[st.count >= this.depth ? st.count % this.depth : 0];
    st.at[st.count % this.depth] = at;
    const windows = this.spec.windows;
    for (let w = 0; w < windows.length; w++) {
      const size = windows[w].size;
      const ring = st.rings[w];
      const x = this.values[this.windowInput[w]];
      ring[st.count % size] = x;
      const n = Math.min(st.count + 1, size);
      // Summed directly over the window each time, oldest reading first: exact and order-fixed,
      // so every path agrees to the bit, and the result depends only on the readings, not on
      // where the ring happens to start (a state rebuilt from the last readings alone, after a
      // rebalance, gives the same bits). Windows are small, so this costs less than it would
      // to keep it fast.
      const oldest = n < size ? 0 : (st.count + 1) % size;
      let sum = 0;
      let min = Infinity;
      let max = -Infinity;
      let peak = 0;
      for (let j = 0, i = oldest; j < n; j++, i = i + 1 === size ? 0 : i + 1) {
        const v = ring[i];
        sum += v;
        if (v < min) min = v;
        if (v > max) max = v;
        const a = Math.abs(v);
        if (a > peak) peak = a;
      }
      const mean = sum / n;
      let sq = 0;
      for (let j = 0, i = oldest; j < n; j++, i = i + 1 === size ? 0 : i + 1) {
        const d = ring[i] - mean;
        sq += d * d;
      }
      // In WINDOW_STATS order: mean, std, min, max, peak, range, diff, run.
      const out = this.stats[w];
      out[0] = mean;
      out[1] = Math.sqrt(sq / n);
      out[2] = min;
      out[3] = max;
      out[4] = peak;
      out[5] = max - min;
      out[6] = st.count === 0 ? 0 : x - st.last[w];
      let run = 1;
      const newest = st.count % size;
      while (run < n && ring[(newest - run + size) % size] === x) run++;
      out[7] = run;
      st.last[w] = x;
    }
    st.count++;
  }
}

/**
 * Feature matrix (row-major Float32Array, rows x features) from column arrays, every row taken
 * in order (training and the window helpers; scoring goes through rows.ts, which also rejects
 * rows). `columns` holds one array per input name (and the key column when the spec has one).
 * Pass `state` to continue the windows of an earlier call (consecutive micro-batches).
 */
export function featureMatrix(
  spec: PipelineSpec,
  columns: Record<string, ArrayLike<unknown> | undefined>,
  rows: number,
  state: FeatureState = new FeatureState(spec),
): Float32Array {
  const nf = spec.features.length;
  const out = new Float32Array(rows * nf);
  const cols = spec.inputs.map((inp) => columns[inp.name]);
  const keyCol = spec.key === undefined ? undefined : columns[spec.key];
  let r = 0;
  const get = (i: number): unknown => {
    const c = cols[i];
    return c === undefined ? undefined : c[r];
  };
  for (; r < rows; r++) state.row(keyCol === undefined ? '' : String(keyCol[r]), get, out, r * nf);
  return out;
}

/** Feature matrix of row objects (nested fields flattened as a read flattens them), rows taken in order. */
export function recordsMatrix(spec: PipelineSpec, records: readonly object[], state: FeatureState = new FeatureState(spec)): Float32Array {
  const { columns, rows } = recordColumns(records);
  return featureMatrix(spec, columns, rows, state);
}
