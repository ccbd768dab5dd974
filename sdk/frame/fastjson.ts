/**
 * The hot path of JSON reads: a flat JSON object parsed straight from the record's bytes into
 * typed columns, with no intermediate string or object per record (that garbage dominated reads).
 * It handles what telemetry records are made of — numbers, plain strings, true/false/null — and
 * gives up (returns false, having written nothing that stays) on anything else: nested objects,
 * arrays, escapes, invalid syntax. The caller then takes the JSON.parse path, which has the
 * final say, including on what is invalid.
 *
 * Numbers use Clinger's fast path: with a decimal mantissa below 2^53 and a power of ten up to
 * 22, one IEEE multiply or divide of two exact values is correctly rounded, i.e. the same double
 * JSON.parse returns. Other numbers go through Number() on their text.
 */
import type { Column, ColumnSet } from './columns';

const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
const MAX_EXACT = 2 ** 53;

export class FastJson {
  private keys: Buffer[] = [];
  private cols: (Column | null)[] = [];

  constructor(
    private readonly set: ColumnSet,
    /** Returns the column for a field name, or null to skip the field (column projection). */
    private readonly resolve: (name: string) => Column | null,
  ) {}

  /** Writes the fields of one record; false means "use the general path" (nothing kept). */
  write(b: Buffer): boolean {
    const n = b.length;
    const rows = this.set.rows;
    let i = skipWs(b, 0, n);
    if (b[i] !== 0x7b) return false;
    i = skipWs(b, i + 1, n);
    if (b[i] === 0x7d) return skipWs(b, i + 1, n) === n;
    let slot = 0;
    for (;;) {
      if (b[i] !== 0x22) return false;
      const ks = ++i;
      while (i < n && b[i] !== 0x22) {
        if (b[i] === 0x5c) return false;
        i++;
      }
      if (i >= n) return false;
      const ke = i;
      i = skipWs(b, i + 1, n);
      if (b[i] !== 0x3a) return false;
      i = skipWs(b, i + 1, n);
      const c = b[i];
      if (c === 0x7b || c === 0x5b) return false; // nested object or array: before creating a column for it
      const col = this.column(b, ks, ke, slot++);
      if (col !== null && col.length !== rows) return false; // duplicate field: the general path warns
      if (c === 0x22) {
        const s = ++i;
        let ascii = true;
        while (i < n && b[i] !== 0x22) {
          const x = b[i];
          if (x === 0x5c || x < 0x20) return false;
          if (x >= 0x80) ascii = false;
          i++;
        }
        if (i >= n) return false;
        if (col !== null) this.set.warn(col.pushString(b.toString(ascii ? 'latin1' : 'utf8', s, i)));
        i++;
      } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
        const s = i;
        let neg = false;
        if (c === 0x2d) {
          neg = true;
          i++;
        }
        if (b[i] === 0x30 && b[i + 1] >= 0x30 && b[i + 1] <= 0x39) return false; // leading zero: invalid JSON
        let m = 0;
        let digits = 0;
        let frac = 0;
        while (i < n && b[i] >= 0x30 && b[i] <= 0x39) {
          m = m * 10 + (b[i++] - 0x30);
          digits++;
        }
        if (digits === 0) return false;
        if (b[i] === 0x2e) {
          i++;
          const f0 = i;
          while (i < n && b[i] >= 0x30 && b[i] <= 0x39) m = m * 10 + (b[i++] - 0x30);
          frac = i - f0;
          if (frac === 0) return false;
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
          if (i === e0) return false;
          if (exp > 400) slow = true;
          if (eneg) exp = -exp;
        }
        const e10 = exp - frac;
        let v: number;
        if (!slow && digits <= 15 && m < MAX_EXACT && e10 >= -22 && e10 <= 22) {
          v = e10 >= 0 ? m * POW10[e10] : m / POW10[-e10];
          if (neg) v = -v;
        } else {
          v = Number(b.toString('latin1', s, i));
        }
        if (col !== null) this.set.warn(col.pushNumber(v));
      } else if (c === 0x74 && b[i + 1] === 0x72 && b[i + 2] === 0x75 && b[i + 3] === 0x65) {
        if (col !== null) this.set.warn(col.push(true));
        i += 4;
      } else if (c === 0x66 && b[i + 1] === 0x61 && b[i + 2] === 0x6c && b[i + 3] === 0x73 && b[i + 4] === 0x65) {
        if (col !== null) this.set.warn(col.push(false));
        i += 5;
      } else if (c === 0x6e && b[i + 1] === 0x75 && b[i + 2] === 0x6c && b[i + 3] === 0x6c) {
        if (col !== null) col.pushNull();
        i += 4;
      } else {
        return false; // nested object, array or invalid
      }
      i = skipWs(b, i, n);
      if (b[i] === 0x2c) {
        i = skipWs(b, i + 1, n);
        continue;
      }
      if (b[i] === 0x7d) return skipWs(b, i + 1, n) === n;
      return false;
    }
  }

  /** Records of a topic share their key order: compare bytes with the previous record's key in this slot. */
  private column(b: Buffer, s: number, e: number, slot: number): Column | null {
    const k = this.keys[slot];
    const len = e - s;
    if (k !== undefined && k.length === len) {
      let j = 0;
      while (j < len && k[j] === b[s + j]) j++;
      if (j === len) return this.cols[slot];
    }
    const col = this.resolve(b.toString('utf8', s, e));
    this.keys[slot] = Buffer.from(b.subarray(s, e));
    this.cols[slot] = col;
    return col;
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
