/**
 * The one root class of errors kafkalab throws on purpose. `hint` says what the user can do;
 * `retriable` says whether trying the same thing again may work.
 */
import { redactText } from './redact';

export class KafkalabError extends Error {
  readonly code: string;
  readonly retriable: boolean;
  readonly hint?: string;

  constructor(message: string, opts: { code?: string; retriable?: boolean; hint?: string; cause?: unknown } = {}) {
    // Messages often quote what the user passed (URLs, options): never with a password in them.
    super(redactText(opts.hint ? `${message}; ${opts.hint}` : message), opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'KafkalabError';
    this.code = opts.code ?? 'KAFKALAB_ERROR';
    this.retriable = opts.retriable ?? false;
    this.hint = opts.hint;
  }
}

/**
 * The closest candidate by edit distance, when it is close enough to be a likely typo; else the
 * one candidate having `name` as a whole word (`rpm` -> `engine_rpm`).
 */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  const list = [...candidates];
  for (const c of list) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestDist) {
      bestDist = d;
      best = c;
    }
  }
  if (best !== undefined && bestDist <= Math.max(2, Math.floor(name.length / 3))) return best;
  const word = name.toLowerCase();
  const containing = list.filter((c) => c.toLowerCase().split(/[_\-.\s]+/).includes(word));
  return containing.length === 1 ? containing[0] : undefined;
}

export function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}
