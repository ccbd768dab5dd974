/**
 * Option objects checked against the names a function takes, so that a misspelt option fails
 * loudly (`{ epoch: 3 }` would otherwise train for the default 10 epochs without a word).
 *
 *   export interface ReadOptions { from?: Position; limit?: number }
 *   export const READ_OPTIONS = optionKeys<ReadOptions>()(['from', 'limit']);
 *   checkOptions('read()', opts, READ_OPTIONS);
 */
import { closest, KafkalabError } from './errors';

/**
 * Throws a BAD_OPTION error when `opts` is not a plain object or has a key outside `allowed`,
 * naming the key and the closest allowed one: `Unknown option "layer" for new Autoencoder();
 * did you mean "layers"?`. `undefined` means "no options".
 */
export function checkOptions(what: string, opts: object | undefined, allowed: readonly string[]): void {
  if (opts === undefined) return;
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
    throw new KafkalabError(`${what} takes an options object, got ${describeValue(opts)}`, { code: 'BAD_OPTION', hint: `valid options: ${allowed.join(', ')}` });
  }
  const unknown = Object.keys(opts).filter((k) => !allowed.includes(k));
  if (!unknown.length) return;
  const near = unknown.map((k) => closest(k, allowed));
  const list = `valid options: ${allowed.join(', ')}`;
  if (unknown.length === 1) {
    throw new KafkalabError(`Unknown option "${unknown[0]}" for ${what}`, { code: 'BAD_OPTION', hint: near[0] ? `did you mean "${near[0]}"?` : list });
  }
  const named = unknown.map((k, i) => (near[i] ? `"${k}" (did you mean "${near[i]}"?)` : `"${k}"`)).join(', ');
  throw new KafkalabError(`Unknown options ${named} for ${what}`, { code: 'BAD_OPTION', hint: list });
}

/**
 * The error for an option whose value is wrong: `fit(): epochs must be a positive integer,
 * got 2.5; e.g. epochs: 20`.
 */
export function badOption(what: string, name: string, value: unknown, expected: string, example?: string): KafkalabError {
  return new KafkalabError(`${what}: ${name} must be ${expected}, got ${describeValue(value)}`, { code: 'BAD_OPTION', hint: example ? `e.g. ${example}` : undefined });
}

/** A value as a user would have typed it, short enough for an error message. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return value.toString();
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * The option names of `T`, checked at compile time in both directions: a listed name that `T`
 * lacks and a name of `T` left out of the list are both type errors, so the list cannot drift
 * from the interface. `optionKeys<FitOptions>()(['epochs', 'batchSize', ...])`.
 */
export function optionKeys<T extends object>() {
  return <const K extends readonly (keyof T & string)[]>(keys: K & AllOf<T, K>): readonly K[number][] => keys;
}

type AllOf<T, K extends readonly PropertyKey[]> = [Exclude<keyof T, K[number]>] extends [never] ? unknown : { missingOptions: Exclude<keyof T, K[number]> };
