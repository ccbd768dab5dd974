/**
 * Calibrating a threshold on labelled rows (`ae.calibrate(df, { label, target })`): when some
 * anomalies are known, the threshold that best meets a target on them, recorded with what it
 * achieved there. Without labels, thresholds come from validation errors (threshold.ts).
 */
import { KafkalabError } from '../util/errors';
import { badOption, checkOptions, optionKeys } from '../util/options';
import { bestThreshold, meanStd } from './metrics';
import type { ThresholdSpec } from '../runtime';
import { withExpectations } from './threshold';
import { medianMad } from './tail';

export interface CalibrateOptions {
  /** Label column: 1/true = anomalous (default `anomaly`, else `fault`, else `label`, whichever exists). */
  label?: string;
  /** 'f1' (default): the F1-best threshold; `{ precision: 0.9 }`: the best recall at that precision or more; `{ recall: 0.9 }`: the best precision at that recall or more. */
  target?: 'f1' | { precision: number } | { recall: number };
}

export const CALIBRATE_OPTIONS = optionKeys<CalibrateOptions>()(['label', 'target']);
const LABEL_COLUMNS = ['anomaly', 'fault', 'label'];

export function checkCalibrateOptions(opts: CalibrateOptions): void {
  const what = 'calibrate()';
  checkOptions(what, opts, CALIBRATE_OPTIONS);
  const t = opts.target;
  if (t === undefined || t === 'f1') return;
  const ok = t && typeof t === 'object' && Object.keys(t).length === 1 && (('precision' in t && t.precision > 0 && t.precision <= 1) || ('recall' in t && t.recall > 0 && t.recall <= 1));
  if (!ok) throw badOption(what, 'target', t, "'f1', { precision: p } or { recall: r } with 0 < p, r <= 1", 'target: { precision: 0.95 }');
}

export function labelColumn(names: string[], explicit?: string): string {
  if (explicit) return explicit;
  const found = LABEL_COLUMNS.find((c) => names.includes(c));
  if (!found) throw new KafkalabError(`No label column (tried ${LABEL_COLUMNS.join(', ')})`, { code: 'UNKNOWN_COLUMN', hint: "name it: ae.calibrate(df, { label: 'is_fault' })" });
  return found;
}

export const toLabel = (v: unknown): 0 | 1 => (v === true || (typeof v === 'number' && v > 0) || v === '1' || v === 'true' ? 1 : 0);

/** The threshold meeting `target` on labelled scores, as a ThresholdSpec with its report. */
export function calibrateThreshold(scores: ArrayLike<number>, labels: ArrayLike<0 | 1>, opts: CalibrateOptions, rowsPerHour?: number): ThresholdSpec {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i];
  if (positives === 0 || positives === labels.length) {
    throw new KafkalabError(`calibrate() needs both labelled anomalies and normal rows; got ${positives} anomalous of ${labels.length}`, { code: 'NO_DATA', hint: 'pass rows that include known anomalies, or use an unlabelled threshold rule in fit()' });
  }
  const t = opts.target ?? 'f1';
  const target = t === 'f1' ? 'f1' : 'precision' in t ? `recall at precision >= ${t.precision}` : `precision at recall >= ${t.recall}`;
  const best = t === 'f1' ? bestThreshold(scores, labels) : 'precision' in t ? bestThreshold(scores, labels, { metric: 'recall', minPrecision: t.precision }) : bestThreshold(scores, labels, { metric: 'precision', minRecall: t.recall });
  if (!Number.isFinite(best.threshold)) throw new KafkalabError(`No threshold reaches the target (${target}) on these rows`, { code: 'NO_THRESHOLD', hint: 'lower the target, or label more rows' });
  const normal: number[] = [];
  for (let i = 0; i < scores.length; i++) if (!labels[i]) normal.push(scores[i]);
  const { mean, std } = meanStd(normal);
  const { median, mad } = medianMad(normal);
  const spec: ThresholdSpec = {
    value: best.threshold,
    method: 'labels',
    mean,
    std,
    median,
    mad,
    samples: normal.length,
    validation: { by: 'labelled', fraction: 1, rows: scores.length },
    labels: { target, precision: best.precision, recall: best.recall, f1: best.f1, rows: scores.length, positives },
  };
  return withExpectations(spec, normal, { rowsPerHour });
}
