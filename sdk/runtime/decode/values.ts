/**
 * The type rules of a decoded record, defined once for every path from a record to a score
 * (read(), stream(), Autoencoder.score/predict/explain, the exported app):
 *
 * - A record's JSON value becomes one row of cells, each a number, a string, a boolean or null.
 *   Numbers are the doubles JSON.parse returns (integers beyond 2^53 rounded, -0 kept, 1e400
 *   becomes Infinity). Nested objects are flattened to `a.b` names; arrays are kept as their JSON
 *   text; a value that is not an object becomes the one cell `value`. Duplicate keys: the last
 *   wins (JSON.parse). A flattened name given twice (`"a.b"` beside `"a":{"b":…}`): the first in
 *   JSON.parse's key order wins, with a warning. Nesting deeper than MAX_DEPTH fails the record.
 * - A column that holds several types holds them as text (String(v)); the reading rule below
 *   gives the same number from the text as from the value, so a mixed column scores the same.
 * - Reading a cell as a model input (`toNumber`): a number is itself; a boolean, or the text
 *   true/false, is 1/0; a string holding a decimal number (or ±Infinity) is that number; anything else
 *   (null, missing, other text, JSON text of arrays) is NaN, which the model replaces by the
 *   fill chosen at training.
 */

export type CellValue = number | string | boolean | null;

/** Objects and arrays nested deeper than this make a record fail to decode (no stack overflow, no huge names). */
export const MAX_DEPTH = 64;

/** The largest finite float32: model inputs are float32, so a reading beyond it cannot be scored. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/** The reasons a record fails to decode: the text read()'s report counts and an app's dead-letter header carries. */
export const DECODE_FAILURE = {
  nullValue: 'null value',
  invalidJson: 'invalid JSON',
  tooDeep: `nesting deeper than ${MAX_DEPTH} levels`,
  notFramed: 'not Confluent-framed (no magic byte 0 and schema id)',
  noRegistry: 'Confluent-framed (magic byte 0 and a schema id) but no Schema Registry is configured',
} as const;

/** Decimal number text, as in JSON and CSV cells (a leading '+' or '.' allowed). */
const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * The number a decimal text holds, else NaN (no hex, no empty string). `Infinity` and
 * `-Infinity` count: they are the text of a number cell (1e400) in a column of mixed types.
 */
export function numericText(s: string): number {
  const t = s.trim();
  return NUMERIC.test(t) || t === 'Infinity' || t === '-Infinity' ? Number(t) : NaN;
}

/** A cell read as a model input: see the rules above. */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    if (v === 'true') return 1;
    if (v === 'false') return 0;
    return numericText(v);
  }
  if (typeof v === 'bigint') return Number(v);
  return NaN;
}

/** Whether a cell counts as absent: null, undefined, or NaN (a null in a numeric column). */
export function isMissing(v: unknown): boolean {
  return v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));
}

/** The text of a cell in a column of mixed types. */
export function cellText(v: number | boolean | string): string {
  return typeof v === 'string' ? v : String(v);
}
