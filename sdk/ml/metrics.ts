/**
 * Detection metrics on anomaly scores: thresholds, confusion matrix, precision/recall/F1,
 * ROC-AUC. Pure functions on arrays, usable without a model (e.g. on scores from an app).
 */
import { KafkalabError } from '../util/errors';

export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export interface DetectionMetrics {
  precision: number;
  recall: number;
  f1: number;
  /** ROC-AUC (probability that a random anomaly scores above a random normal row; ties count half). */
  auc: number;
  accuracy: number;
  confusion: Confusion;
  threshold: number;
  /** Rows evaluated, anomalies among them. */
  rows: number;
  positives: number;
}

export interface TypeMetrics {
  /** Rows of this kind. */
  count: number;
  detected: number;
  recall: number;
  /** Against the normal rows only: the figures of a test set holding normal rows and this kind. */
  precision: number;
  f1: number;
  auc: number;
}

export interface Evaluation extends DetectionMetrics {
  /** Per anomaly kind, when the data has a type column (`anomaly_type`). */
  perType?: Record<string, TypeMetrics>;
}

/** Linear-interpolated percentile (like numpy's default), p in [0, 100]; NaN values are ignored. */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (!(p >= 0 && p <= 100)) throw new KafkalabError(`percentile must be between 0 and 100, got ${p}`, { code: 'BAD_OPTION' });
  const sorted = Float64Array.from(values).filter((v) => !Number.isNaN(v)).sort();
  if (!sorted.length) return NaN;
  const pos = ((sorted.length - 1) * p) / 100;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function meanStd(values: ArrayLike<number>): { mean: number; std: number } {
  let n = 0;
  let sum = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) (sum += values[i]), n++;
  const mean = n ? sum / n : NaN;
  let sq = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) sq += (values[i] - mean) ** 2;
  return { mean, std: n ? Math.sqrt(sq / n) : NaN };
}

function checkLengths(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): void {
  if (scores.length !== labels.length) {
    throw new KafkalabError(`${scores.length} scores but ${labels.length} labels`, { code: 'BAD_INPUT', hint: 'score the same rows the labels belong to' });
  }
}

const isPositive = (v: number | boolean): boolean => v === true || (typeof v === 'number' && v > 0);

/** Rows with score > threshold are predicted anomalous (the same rule as `ae.predict`). */
export function confusion(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>, threshold: number): Confusion {
  checkLengths(scores, labels);
  const c: Confusion = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < scores.length; i++) {
    const predicted = scores[i] > threshold;
    if (isPositive(labels[i])) predicted ? c.tp++ : c.fn++;
    else predicted ? c.fp++ : c.tn++;
  }
  return c;
}

export function precisionRecallF1(c: Confusion): { precision: number; recall: number; f1: number } {
  const precision = c.tp + c.fp ? c.tp / (c.tp + c.fp) : 0;
  const recall = c.tp + c.fn ? c.tp / (c.tp + c.fn) : 0;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1 };
}

/**
 * ROC-AUC by the rank statistic (Mann-Whitney U): average ranks over tied scores, so ties count
 * one half. NaN when only one class is present.
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): number {
  checkLengths(scores, labels);
  const n = scores.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => scores[a] - scores[b]);
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (isPositive(labels[order[k]])) (rankSum += rank), pos++;
    i = j + 1;
  }
  const neg = n - pos;
  if (!pos || !neg) return NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

export function detectionMetrics(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>, threshold: number): DetectionMetrics {
  const c = confusion(scores, labels, threshold);
  const rows = scores.length;
  return {
    ...precisionRecallF1(c),
    auc: rocAuc(scores, labels),
    accuracy: rows ? (c.tp + c.tn) / rows : 0,
    confusion: c,
    threshold,
    rows,
    positives: c.tp + c.fn,
  };
}

/**
 * Metrics overall and per anomaly kind. `types[i]` is the kind of row i ('none' or empty for
 * normal rows); a kind's precision, F1 and AUC are computed on the normal rows plus that kind.
 */
export function evaluateScores(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>, threshold: number, types?: ArrayLike<unknown>): Evaluation {
  const out: Evaluation = detectionMetrics(scores, labels, threshold);
  if (!types) return out;
  const kinds = new Set<string>();
  for (let i = 0; i < types.length; i++) {
    const t = types[i];
    if (isPositive(labels[i]) && t !== null && t !== undefined && t !== '' && t !== 'none') kinds.add(String(t));
  }
  out.perType = {};
  for (const kind of [...kinds].sort()) {
    const s: number[] = [];
    const l: number[] = [];
    for (let i = 0; i < scores.length; i++) {
      const positive = isPositive(labels[i]);
      if (!positive || String(types[i]) === kind) {
        s.push(scores[i]);
        l.push(positive ? 1 : 0);
      }
    }
    const m = detectionMetrics(s, l, threshold);
    out.perType[kind] = { count: m.positives, detected: m.confusion.tp, recall: m.recall, precision: m.precision, f1: m.f1, auc: m.auc };
  }
  return out;
}

/**
 * The threshold that maximises F1 (or another metric) on labelled scores: each distinct score is
 * a candidate, evaluated in one sorted pass. Returns the threshold and the metrics there.
 */
export function bestThreshold(
  scores: ArrayLike<number>,
  labels: ArrayLike<number | boolean>,
  opts: { metric?: 'f1' | 'precision' | 'recall'; minRecall?: number; minPrecision?: number } = {},
): { threshold: number; precision: number; recall: number; f1: number } {
  checkLengths(scores, labels);
  const metric = opts.metric ?? 'f1';
  const n = scores.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => scores[b] - scores[a]);
  let totalPos = 0;
  for (let i = 0; i < n; i++) if (isPositive(labels[i])) totalPos++;
  let best = { threshold: Infinity, precision: 0, recall: 0, f1: 0 };
  let bestValue = -1;
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < n; ) {
    // Predict positive for every row scoring >= scores[order[i]], i.e. threshold just below it.
    let j = i;
    while (j < n && scores[order[j]] === scores[order[i]]) {
      isPositive(labels[order[j]]) ? tp++ : fp++;
      j++;
    }
    const precision = tp / (tp + fp);
    const recall = totalPos ? tp / totalPos : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    const value = metric === 'f1' ? f1 : metric === 'precision' ? precision : recall;
    const ok = (opts.minRecall === undefined || recall >= opts.minRecall) && (opts.minPrecision === undefined || precision >= opts.minPrecision);
    if (ok && value > bestValue) {
      bestValue = value;
      // Midway to the next lower score, so that `score > threshold` reproduces this cut.
      const next = j < n ? scores[order[j]] : scores[order[i]] - 1;
      best = { threshold: (scores[order[i]] + next) / 2, precision, recall, f1 };
    }
    i = j;
  }
  return best;
}
