/**
 * The decoding hot path: a flat JSON object read straight from the record's bytes, keeping only
 * the fields the app uses (model inputs, key, passthrough fields). No string of the whole value,
 * no strings for the fields it skips: JSON.parse of every input record was the app's largest
 * remaining cost. It understands what telemetry records are made of (numbers, plain strings,
 * true/false/null) and gives up (returns undefined) on anything else: nested values, escapes,
 * invalid syntax. The caller then uses JSON.parse, which has the final say, including on what
 * is invalid, so both paths accept the same records and yield the same values.
 *
 * Numbers: json-number.ts (kafkalab's own file, copied verbatim), correctly rounded like JSON.parse.
 */
import { jsonNumber } from './json-number';

export class FlatJson {
  private readonly wanted: Set<string>;
  /** Field names by position in the previous record: records of a topic share their layout. */
  private keys: Buffer[] = [];
  private names: (string | null)[] = [];

  constructor(fields: Iterable<string>) {
    this.wanted = new Set(fields);
    // Assigning "__proto__" would set the prototype where JSON.parse makes a property.
    if (this.wanted.has('__proto__')) this.parse = () => undefined;
  }

  /** The wanted fields of a flat JSON object, or undefined to ask JSON.parse. */
  parse(b: Buffer): Record<string, unknown> | undefined {
    const n = b.length;
    const out: Record<string, unknown> = {};
    let i = skipWs(b, 0, n);
    if (b[i] !== 0x7b) return undefined;
    i = skipWs(b, i + 1, n);
    if (b[i] === 0x7d) return skipWs(b, i + 1, n) === n ? out : undefined;
    for (let slot = 0; ; slot++) {
      if (b[i] !== 0x22) return undefined;
      const ks = ++i;
      while (i < n && b[i] !== 0x22) {
        if (b[i] === 0x5c) return undefined;
        i++;
      }
      if (i >= n) return undefined;
      const name = this.name(b, ks, i, slot);
      i = skipWs(b, i + 1, n);
      if (b[i] !== 0x3a) return undefined;
      i = skipWs(b, i + 1, n);
      const c = b[i];
      if (c === 0x22) {
        const s = ++i;
        let ascii = true;
        while (i < n && b[i] !== 0x22) {
          const x = b[i];
          if (x === 0x5c || x < 0x20) return undefined;
          if (x >= 0x80) ascii = false;
          i++;
        }
        if (i >= n) return undefined;
        if (name !== null) out[name] = b.toString(ascii ? 'latin1' : 'utf8', s, i);
        i++;
      } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
        const s = i;
        let neg = false;
        if (c === 0x2d) {
          neg = true;
          i++;
        }
        if (b[i] === 0x30 && b[i + 1] >= 0x30 && b[i + 1] <= 0x39) return undefined; // leading zero: invalid JSON
        let m = 0;
        let digits = 0;
        let frac = 0;
        while (i < n && b[i] >= 0x30 && b[i] <= 0x39) {
          m = m * 10 + (b[i++] - 0x30);
          digits++;
        }
        if (digits === 0) return undefined;
        if (b[i] === 0x2e) {
          const f0 = ++i;
          while (i < n && b[i] >= 0x30 && b[i] <= 0x39) m = m * 10 + (b[i++] - 0x30);
          frac = i - f0;
          if (frac === 0) return undefined;
          digits += frac;
        }
        let exp = 0;
        let slow = false;
        if (b[i] === 0x65 || b[i] === 0x45) {
          i++;
          let eneg = false;
          if (b[i] === 0x2d || b[i] === 0x2b) eneg = b[i++] === 0x2d;
          const e0 = i;
          while (i < n && b[i] >= 0x30 && b[i] <= 0x39) exp = exp * 10 + (b[i++] - 0x30);
          if (i === e0) return undefined;
          if (exp > 400) slow = true;
          if (eneg) exp = -exp;
        }
        if (name !== null) out[name] = jsonNumber(b, s, i, m, digits, exp - frac, neg, slow);
      } else if (c === 0x74 && b[i + 1] === 0x72 && b[i + 2] === 0x75 && b[i + 3] === 0x65) {
        if (name !== null) out[name] = true;
        i += 4;
      } else if (c === 0x66 && b[i + 1] === 0x61 && b[i + 2] === 0x6c && b[i + 3] === 0x73 && b[i + 4] === 0x65) {
        if (name !== null) out[name] = false;
        i += 5;
      } else if (c === 0x6e && b[i + 1] === 0x75 && b[i + 2] === 0x6c && b[i + 3] === 0x6c) {
        if (name !== null) out[name] = null;
        i += 4;
      } else {
        return undefined; // nested object, array, or invalid
      }
      i = skipWs(b, i, n);
      if (b[i] === 0x2c) {
        i = skipWs(b, i + 1, n);
        continue;
      }
      if (b[i] === 0x7d) return skipWs(b, i + 1, n) === n ? out : undefined;
      return undefined;
    }
  }

  /** The field's name when the app uses it, else null; compared as bytes with the previous record's. */
  private name(b: Buffer, s: number, e: number, slot: number): string | null {
    const k = this.keys[slot];
    const len = e - s;
    if (k !== undefined && k.length === len) {
      let j = 0;
      while (j < len && k[j] === b[s + j]) j++;
      if (j === len) return this.names[slot];
    }
    const name = b.toString('utf8', s, e);
    this.keys[slot] = Buffer.from(b.subarray(s, e));
    this.names[slot] = this.wanted.has(name) ? name : null;
    return this.names[slot];
  }
}

function skipWs(b: Buffer, i: number, n: number): number {
  while (i < n) {
    const c = b[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}
