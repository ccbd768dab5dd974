/**
 * Turning the reconstruction errors of normal (validation) rows into an anomaly threshold.
 */
import { KafkalabError } from '../util/errors';
import { badOption, checkOptions } from '../util/options';
import { meanStd, percentile } from './metrics';
import type { ThresholdSpec } from '../runtime';

/** `{ percentile: 99.5 }` of the validation errors, `{ k: 3 }` for mean + 3 std, or a fixed `{ value }`. */
export type ThresholdRule = { percentile: number } | { k: number } | { value: number };

/** The keys of the threshold rules; a rule has exactly one of them. */
export const THRESHOLD_RULE_KEYS = ['percentile', 'k', 'value'] as const satisfies readonly RuleKey[];
type RuleKey = ThresholdRule extends infer R ? (R extends object ? keyof R : never) : never;

export const DEFAULT_THRESHOLD: ThresholdRule = { percentile: 99.5 };

/** A rule's shape and range, checked before any training; throws BAD_OPTION. */
export function checkThresholdRule(rule: ThresholdRule, what = 'fit()'): void {
  const example = 'threshold: { percentile: 99.5 }, { k: 3 } or { value: 0.8 }';
  checkOptions(`${what} threshold`, rule ?? null, THRESHOLD_RULE_KEYS);
  const given = THRESHOLD_RULE_KEYS.filter((k) => k in rule);
  if (given.length !== 1) throw badOption(what, 'threshold', rule, 'exactly one of percentile, k, value', example);
  computeThreshold([0], rule);
}

export function computeThreshold(errors: ArrayLike<number>, rule: ThresholdRule = DEFAULT_THRESHOLD): ThresholdSpec {
  const { mean, std } = meanStd(errors);
  const samples = errors.length;
  if ('value' in rule) {
    if (typeof rule.value !== 'number' || !Number.isFinite(rule.value)) throw new KafkalabError(`threshold value must be finite, got ${rule.value}`, { code: 'BAD_OPTION' });
    return { value: rule.value, method: 'fixed', mean, std, samples };
  }
  if (!samples) {
    throw new KafkalabError('No rows to derive a threshold from', { code: 'NO_DATA', hint: 'train on more rows, or pass threshold: { value: <number> }' });
  }
  if ('percentile' in rule) {
    if (!(typeof rule.percentile === 'number' && rule.percentile > 0 && rule.percentile <= 100)) throw new KafkalabError(`threshold percentile must be in (0, 100], got ${rule.percentile}`, { code: 'BAD_OPTION', hint: 'e.g. threshold: { percentile: 99.5 }' });
    return { value: percentile(errors, rule.percentile), method: 'percentile', percentile: rule.percentile, mean, std, samples };
  }
  if ('k' in rule) {
    if (!(typeof rule.k === 'number' && rule.k >= 0 && rule.k < Infinity)) throw new KafkalabError(`threshold k must be >= 0, got ${rule.k}`, { code: 'BAD_OPTION', hint: 'e.g. threshold: { k: 3 } for mean + 3 standard deviations' });
    return { value: mean + rule.k * std, method: 'k', k: rule.k, mean, std, samples };
  }
  throw new KafkalabError(`Unknown threshold rule ${JSON.stringify(rule)}`, { code: 'BAD_OPTION', hint: 'use { percentile: 99.5 }, { k: 3 } or { value: 0.8 }' });
}
