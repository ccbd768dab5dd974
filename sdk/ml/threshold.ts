/**
 * Turning the reconstruction errors of normal (validation) rows into an anomaly threshold, and
 * recording how (the threshold report that pipeline.json carries).
 *
 * Methods: `{ method: 'evt', falseAlarmRate }` fits a generalized Pareto distribution to the
 * errors' upper tail and solves for the level normal rows exceed at that rate; `{ method:
 * 'sigma', k }` mean + k·std; `{ method: 'mad', k }` median + k·1.4826·MAD (robust to a few
 * anomalies among the validation rows); `{ method: 'percentile', percentile }`; `{ value }`.
 * The short forms `{ percentile }` and `{ k }` are kept.
 */
import { KafkalabError } from '../util/errors';
import { badOption, checkOptions } from '../util/options';
import { meanStd, percentile } from './metrics';
import type { ThresholdSpec } from '../runtime';
import type { ValidationInfo } from './split';
import { fitParetoTail, MAD_TO_SIGMA, medianMad, tailQuantile, tailRate } from './tail';

/** A rule in its explicit form. */
export type MethodRule =
  | { method: 'percentile'; percentile: number }
  | { method: 'sigma'; k: number }
  | { method: 'mad'; k: number }
  | { method: 'evt'; falseAlarmRate: number; tailFraction?: number }
  | { method: 'fixed'; value: number };

/** An explicit rule, or the short forms `{ percentile }`, `{ k }` (mean + k·std), `{ value }`. */
export type ThresholdRule = MethodRule | { percentile: number } | { k: number } | { value: number };

export const THRESHOLD_METHODS = ['evt', 'sigma', 'mad', 'percentile', 'fixed'] as const;
/** Every key a rule may have (checked against typos). */
export const THRESHOLD_RULE_KEYS = ['method', 'percentile', 'k', 'value', 'falseAlarmRate', 'tailFraction'] as const;
const LEGACY_KEYS = ['percentile', 'k', 'value'] as const;

/** Chosen on the motor data set and a later period of the car simulator: see README and bench/calibration.ts. */
export const DEFAULT_THRESHOLD: ThresholdRule = { method: 'evt', falseAlarmRate: 3e-4 };

const EXAMPLE = "threshold: { method: 'evt', falseAlarmRate: 1e-3 }, { method: 'mad', k: 8 }, { percentile: 99.5 } or { value: 0.8 }";

/** A rule's shape and range, checked before any training; throws BAD_OPTION. */
export function checkThresholdRule(rule: ThresholdRule, what = 'fit()'): void {
  checkOptions(`${what} threshold`, rule ?? null, THRESHOLD_RULE_KEYS);
  const r = rule as Record<string, unknown>;
  if ('method' in r) {
    if (!(THRESHOLD_METHODS as readonly string[]).includes(r.method as string)) throw badOption(what, 'threshold.method', r.method, THRESHOLD_METHODS.join(', '), EXAMPLE);
    const needs = { evt: ['falseAlarmRate', 'tailFraction'], sigma: ['k'], mad: ['k'], percentile: ['percentile'], fixed: ['value'] }[r.method as (typeof THRESHOLD_METHODS)[number]];
    const extra = Object.keys(r).filter((k) => k !== 'method' && !needs.includes(k));
    if (extra.length || !(needs[0] in r)) throw badOption(what, 'threshold', rule, `{ method: '${r.method}', ${needs[0]} }${needs[1] ? ` (optionally ${needs[1]})` : ''}`, EXAMPLE);
  } else {
    const given = LEGACY_KEYS.filter((k) => k in r);
    if (given.length !== 1 || Object.keys(r).length !== 1) throw badOption(what, 'threshold', rule, "exactly one of percentile, k, value, or a { method } rule", EXAMPLE);
  }
  computeThreshold([0, 1, 2], rule);
}

/** Everything known about where the errors came from, for the report. */
export interface ThresholdContext {
  validation?: ValidationInfo;
  /** Rows per hour the data arrived at (all keys together). */
  rowsPerHour?: number;
}

/** The method and its parameter(s), whichever form the rule was written in. */
function normalise(rule: ThresholdRule): MethodRule {
  const r = rule as Record<string, unknown>;
  if ('method' in r) return rule as never;
  if ('percentile' in r) return { method: 'percentile', percentile: r.percentile as number };
  if ('k' in r) return { method: 'sigma', k: r.k as number };
  return { method: 'fixed', value: r.value as number };
}

export function computeThreshold(errors: ArrayLike<number>, rule: ThresholdRule = DEFAULT_THRESHOLD, context: ThresholdContext = {}): ThresholdSpec {
  const { mean, std } = meanStd(errors);
  const samples = errors.length;
  const n = normalise(rule);
  const bad = (msg: string, hint: string) => new KafkalabError(msg, { code: 'BAD_OPTION', hint });
  const legacyK = !('method' in (rule as object)) && 'k' in (rule as object);
  const base = { mean, std, samples, ...(context.validation ? { validation: { ...context.validation } } : {}) };
  if (n.method === 'fixed') {
    if (typeof n.value !== 'number' || !Number.isFinite(n.value)) throw bad(`threshold value must be finite, got ${n.value}`, 'e.g. threshold: { value: 0.8 }');
    return withExpectations({ value: n.value, method: 'fixed', ...base }, errors, context);
  }
  if (n.method === 'percentile' && !(typeof n.percentile === 'number' && n.percentile > 0 && n.percentile <= 100)) throw bad(`threshold percentile must be in (0, 100], got ${n.percentile}`, 'e.g. threshold: { percentile: 99.5 }');
  if ((n.method === 'sigma' || n.method === 'mad') && !(typeof n.k === 'number' && n.k >= 0 && n.k < Infinity)) {
    throw bad(`threshold k must be >= 0, got ${n.k}`, n.method === 'mad' ? "e.g. threshold: { method: 'mad', k: 8 }" : 'e.g. threshold: { k: 3 } for mean + 3 standard deviations');
  }
  if (n.method === 'evt') {
    if (!(typeof n.falseAlarmRate === 'number' && n.falseAlarmRate > 0 && n.falseAlarmRate < 1)) throw bad(`threshold falseAlarmRate must be in (0, 1), got ${n.falseAlarmRate}`, "e.g. threshold: { method: 'evt', falseAlarmRate: 1e-3 }");
    if (n.tailFraction !== undefined && !(n.tailFraction > 0 && n.tailFraction <= 0.5)) throw bad(`threshold tailFraction must be in (0, 0.5], got ${n.tailFraction}`, 'the default 0.05 fits the top 5 % of the errors');
  }
  if (!samples) throw new KafkalabError('No rows to derive a threshold from', { code: 'NO_DATA', hint: 'train on more rows, or pass threshold: { value: <number> }' });
  const { median, mad } = medianMad(errors);
  const spec: ThresholdSpec = { value: NaN, method: n.method, ...base, median, mad };
  switch (n.method) {
    case 'percentile':
      spec.value = percentile(errors, n.percentile);
      spec.percentile = n.percentile;
      break;
    case 'sigma':
      spec.value = mean + n.k * std;
      spec.k = n.k;
      if (legacyK) spec.method = 'k';
      break;
    case 'mad':
      spec.value = median + n.k * MAD_TO_SIGMA * mad;
      spec.k = n.k;
      break;
    case 'evt': {
      const tail = fitParetoTail(errors, n.tailFraction ?? 0.05);
      spec.tail = { threshold: tail.threshold, rate: tail.rate, shape: tail.shape, scale: tail.scale, exceedances: tail.exceedances };
      spec.falseAlarmRate = n.falseAlarmRate;
      // A rate the data covers needs no extrapolation: the empirical quantile is the better estimate.
      spec.value = n.falseAlarmRate >= tail.rate ? percentile(errors, 100 * (1 - n.falseAlarmRate)) : tailQuantile(tail, n.falseAlarmRate);
      break;
    }
  }
  return withExpectations(spec, errors, context);
}

/** Fills `expected`: the fraction of validation errors above the threshold (from the tail fit beyond the data), and per hour. */
export function withExpectations(spec: ThresholdSpec, errors: ArrayLike<number>, context: ThresholdContext): ThresholdSpec {
  let above = 0;
  let n = 0;
  for (let i = 0; i < errors.length; i++) {
    if (Number.isNaN(errors[i])) continue;
    n++;
    if (errors[i] > spec.value) above++;
  }
  let rate = n ? above / n : NaN;
  if (spec.method === 'evt' && spec.falseAlarmRate !== undefined) rate = spec.falseAlarmRate;
  else if (above < 5 && n >= 20) {
    // Too few exceedances to count: estimate from the tail instead.
    const tail = spec.tail ?? fitParetoTail(errors);
    const r = tailRate(tail as never, spec.value);
    if (Number.isFinite(r)) rate = r;
  }
  spec.expected = { falseAlarmRate: rate };
  if (context.rowsPerHour !== undefined && Number.isFinite(rate)) {
    spec.expected.rowsPerHour = context.rowsPerHour;
    spec.expected.falseAlarmsPerHour = rate * context.rowsPerHour;
  }
  return spec;
}

/** One line for people: method (parameters) → value, where the errors came from, the false alarms to expect. */
export function describeThreshold(t: ThresholdSpec): string {
  const params =
    t.method === 'percentile' ? `p${t.percentile}` :
    t.method === 'sigma' || t.method === 'k' ? `mean + ${t.k}·std` :
    t.method === 'mad' ? `median + ${t.k}·1.4826·MAD` :
    t.method === 'evt' ? `false-alarm rate ${t.falseAlarmRate}${t.tail ? `, GPD tail ξ ${t.tail.shape.toFixed(2)} σ ${t.tail.scale.toPrecision(3)} over ${t.tail.exceedances} errors` : ''}` :
    t.method === 'labels' && t.labels ? `best ${t.labels.target} on ${t.labels.rows.toLocaleString('en-US')} labelled rows (precision ${t.labels.precision.toFixed(3)}, recall ${t.labels.recall.toFixed(3)}, F1 ${t.labels.f1.toFixed(3)})` :
    'set by hand';
  const v = t.validation;
  const rows = v ? v.rows.toLocaleString('en-US') : '';
  const from = !v ? '' :
    v.by === 'time' ? ` from the latest ${rows} rows (held out by time)` :
    v.by === 'key' ? ` from ${rows} rows of ${v.keys}${v.totalKeys ? ` of ${v.totalKeys}` : ''} keys held out` :
    v.by === 'random' ? ` from ${rows} random held-out rows` :
    ` from ${rows} ${v.by === 'last' ? 'last' : v.by === 'labelled' ? 'labelled' : 'training'} rows`;
  const e = t.expected;
  const fa = e && Number.isFinite(e.falseAlarmRate) ? `; expected false alarms ${(e.falseAlarmRate * 100).toPrecision(2)} % of normal rows${e.falseAlarmsPerHour !== undefined ? `, ${e.falseAlarmsPerHour.toPrecision(2)}/h at ${Math.round(e.rowsPerHour!).toLocaleString('en-US')} rows/h` : ''}` : '';
  return `${t.method} (${params}) → ${t.value.toPrecision(6)}${from}${fa}`;
}
