/**
 * Waiting and retrying, once for all of kafkalab: `sleep`, the exponential `backoff` delay, and
 * `retry` for a call that may fail transiently. Exported apps carry this file verbatim, so it
 * imports nothing.
 */

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface BackoffOptions {
  /** Delay before the first retry (default 100 ms). */
  initialMs?: number;
  /** Longest delay (default 2 s). */
  maxMs?: number;
  /** Growth per attempt (default 2). */
  factor?: number;
}

/** The delay before retry number `attempt` (0 = the first retry): initialMs · factor^attempt, at most maxMs. */
export function backoff(attempt: number, opts: BackoffOptions = {}): number {
  const { initialMs = 100, maxMs = 2000, factor = 2 } = opts;
  return Math.min(maxMs, initialMs * factor ** attempt);
}

export interface RetryOptions<E = unknown> extends BackoffOptions {
  /** Calls in all, the first included. */
  attempts: number;
  /** Whether a failure is worth another call (default: every failure is). */
  retriable?: (err: E, attempt: number) => boolean;
  /** Runs after a retriable failure, before the wait (log, refresh metadata, reconnect). */
  onRetry?: (err: E, attempt: number) => void | Promise<void>;
}

/**
 * Calls `fn` until it resolves; a failure that `retriable` accepts is followed by `onRetry`, a
 * backoff wait and another call, up to `attempts` calls; the last failure is thrown as it is.
 */
export async function retry<T, E = unknown>(fn: (attempt: number) => Promise<T>, opts: RetryOptions<E>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt + 1 >= opts.attempts || (opts.retriable && !opts.retriable(err as E, attempt))) throw err;
      await opts.onRetry?.(err as E, attempt);
      await sleep(backoff(attempt, opts));
    }
  }
}
