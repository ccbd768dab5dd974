/**
 * Turning the reconstruction errors of normal (validation) rows into an anomaly threshold.
 */
import { KafkalabError } from '../util/errors';
import { meanStd, percentile } from './metrics';
import type { ThresholdSpec } from './pipeline';

/** `{ percentile: 99.5 }` of the validation errors, `{ k: 3 }` for mean + 3 std, or a fixed `{ value }`. */
export type ThresholdRule = { percentile: number } | { k: number } | { value: number };

export const DEFAULT_THRESHOLD: ThresholdRule = { percentile: 99.5 };

export function computeThreshold(errors: ArrayLike<number>, rule: ThresholdRule = DEFAULT_THRESHOLD): ThresholdSpec {
  const { mean, std } = meanStd(errors);
  const samples = errors.length;
  if ('value' in rule) {
    if (!Number.isFinite(rule.value)) throw new KafkalabError(`threshold value must be finite, got ${rule.value}`, { code: 'BAD_OPTION' });
    return { value: rule.value, method: 'fixed', mean, std, samples };
  }
  if (!samples) {
    throw new KafkalabError('No rows to derive a threshold from', { code: 'NO_DATA', hint: 'train on more rows, or pass threshold: { value: <number> }' });
  }
  if ('percentile' in rule) {
    if (!(rule.percentile > 0 && rule.percentile <= 100)) throw new KafkalabError(`threshold percentile must be in (0, 100], got ${rule.percentile}`, { code: 'BAD_OPTION', hint: 'e.g. threshold: { percentile: 99.5 }' });
    return { value: percentile(errors, rule.percentile), method: 'percentile', percentile: rule.percentile, mean, std, samples };
  }
  if ('k' in rule) {
    if (!(rule.k >= 0)) throw new KafkalabError(`threshold k must be >= 0, got ${rule.k}`, { code: 'BAD_OPTION', hint: 'e.g. threshold: { k: 3 } for mean + 3 standard deviations' });
    return { value: mean + rule.k * std, method: 'k', k: rule.k, mean, std, samples };
  }
  throw new KafkalabError(`Unknown threshold rule ${JSON.stringify(rule)}`, { code: 'BAD_OPTION', hint: 'use { percentile: 99.5 }, { k: 3 } or { value: 0.8 }' });
}
