import { KafkalabError } from './errors';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** '500ms', '10s', '15m', '2h', '7d', '1w' or a number of milliseconds. */
export function parseDuration(input: string | number, what = 'duration'): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw new KafkalabError(`Invalid ${what} ${input}: expected a non-negative number of milliseconds`, { code: 'BAD_OPTION' });
    return input;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/.exec(input);
  if (!m) throw new KafkalabError(`Invalid ${what} "${input}": expected a number followed by ms, s, m, h, d or w (e.g. "10s", "15m")`, { code: 'BAD_OPTION' });
  return Number(m[1]) * UNITS[m[2]];
}
