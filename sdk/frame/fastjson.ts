/**
 * The hot path of JSON reads: a flat JSON object parsed straight from the record's bytes into
 * typed columns, with no intermediate string or object per record (that garbage dominated reads).
 * It handles what telemetry records are made of — numbers, plain strings, true/false/null — and
 * gives up (returns false, having written nothing that stays) on anything else: nested objects,
 * arrays, escapes, invalid syntax. The caller then takes the JSON.parse path, which has the
 * final say, including on what is invalid.
 *
 * Numbers end in json-number.ts (Clinger's fast path, else Number() on the text): the same double
 * JSON.parse returns. Exported apps' flat-JSON reader uses the same file.
 */
import type { Column, ColumnSet } from './columns';
import { StringCache } from './intern';
import { jsonNumber } from './json-number';


export class FastJson {
  /** The key bytes last seen in each field position, and their columns. */
  private keys: Uint8Array[] = [];
  private cols: (Column | null)[] = [];
  private readonly strings = new StringCache();

  constructor(
    private readonly set: ColumnSet,
    /** Returns the column for a field name, or null to skip the field (column projection). */
    private readonly resolve: (name: string) => Column | null,
  ) {}

  /** Writes the fields of one record; false means "use the general path" (nothing kept). */
  write(b: Buffer): boolean {
    return this.writeRange(b, 0, b.length);
  }

  /**
   * `write` for the bytes b[start, end), so that values need not be sliced out of a record
   * batch. Bytes past `end` belong to the next record: every read checks the bound.
   */
  writeRange(b: Buffer, start: number, end: number): boolean {
    const n = end;
    const set = this.set;
    const rows = set.rows;
    let i = skipWs(b, start, n);
    if (i >= n || b[i] !== 0x7b) return false;
    i = skipWs(b, i + 1, n);
    if (i < n && b[i] === 0x7d) return skipWs(b, i + 1, n) === n;
    let slot = 0;
    for (;;) {
      if (i >= n || b[i] !== 0x22) return false;
      i++;
      // Records of a topic share their key order: try this position's previous key first.
      let col: Column | null;
      const k = this.keys[slot];
      const kl = k === undefined ? -1 : k.length;
      let same = kl >= 0 && i + kl < n && b[i + kl] === 0x22;
      for (let j = 0; same && j < kl; j++) if (b[i + j] !== k[j]) same = false;
      if (same) {
        col = this.cols[slot];
        i += kl;
      } else {
        const ks = i;
        while (i < n && b[i] !== 0x22) {
          if (b[i] === 0x5c) return false;
          i++;
        }
        if (i >= n) return false;
        let v = skipWs(b, i + 1, n);
        if (v >= n || b[v] !== 0x3a) return false;
        v = skipWs(b, v + 1, n);
        if (v >= n || b[v] === 0x7b || b[v] === 0x5b) return false; // nested object or array: before creating a column for it
        col = this.learn(b, ks, i, slot);
      }
      slot++;
      i = skipWs(b, i + 1, n);
      if (i >= n || b[i] !== 0x3a) return false;
      i = skipWs(b, i + 1, n);
      if (i >= n) return false;
      if (col !== null && col.length !== rows) return false; // duplicate field: the general path warns
      const c = b[i];
      if (c === 0x22) {
        const s = ++i;
        while (i < n) {
          const x = b[i];
          if (x === 0x22) break;
          if (x === 0x5c || x < 0x20) return false;
          i++;
        }
        if (i >= n) return false;
        if (col !== null) {
          const w = col.pushString(this.strings.get(b, s, i));
          if (w !== undefined) set.warn(w);
        }
        i++;
      } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
        const s = i;
        const neg = c === 0x2d;
        if (neg) i++;
        const i0 = i;
        let m = 0;
        let d = 0;
        while (i < n && (d = b[i] - 0x30) >= 0 && d <= 9) {
          m = m * 10 + d;
          i++;
        }
        let digits = i - i0;
        if (digits === 0) return false;
        if (digits > 1 && b[i0] === 0x30) return false; // leading zero: invalid JSON
        let frac = 0;
        if (i < n && b[i] === 0x2e) {
          const f0 = ++i;
          while (i < n && (d = b[i] - 0x30) >= 0 && d <= 9) {
            m = m * 10 + d;
            i++;
          }
          frac = i - f0;
          if (frac === 0) return false;
          digits += frac;
        }
        let exp = 0;
        let slow = false;
        if (i < n && (b[i] === 0x65 || b[i] === 0x45)) {
          i++;
          let eneg = false;
          if (i < n && (b[i] === 0x2d || b[i] === 0x2b)) eneg = b[i++] === 0x2d;
          const e0 = i;
          while (i < n && (d = b[i] - 0x30) >= 0 && d <= 9) {
            exp = exp * 10 + d;
            i++;
          }
          if (i === e0) return false;
          if (exp > 400) slow = true;
          if (eneg) exp = -exp;
        }
        const v = jsonNumber(b, s, i, m, digits, exp - frac, neg, slow);
        if (col !== null) {
          const w = col.pushNumber(v);
          if (w !== undefined) set.warn(w);
        }
      } else if (c === 0x74 && i + 3 < n && b[i + 1] === 0x72 && b[i + 2] === 0x75 && b[i + 3] === 0x65) {
        if (col !== null) set.warn(col.push(true));
        i += 4;
      } else if (c === 0x66 && i + 4 < n && b[i + 1] === 0x61 && b[i + 2] === 0x6c && b[i + 3] === 0x73 && b[i + 4] === 0x65) {
        if (col !== null) set.warn(col.push(false));
        i += 5;
      } else if (c === 0x6e && i + 3 < n && b[i + 1] === 0x75 && b[i + 2] === 0x6c && b[i + 3] === 0x6c) {
        if (col !== null) col.pushNull();
        i += 4;
      } else {
        return false; // nested object, array or invalid
      }
      i = skipWs(b, i, n);
      if (i < n && b[i] === 0x2c) {
        i = skipWs(b, i + 1, n);
        continue;
      }
      if (i < n && b[i] === 0x7d) return skipWs(b, i + 1, n) === n;
      return false;
    }
  }

  /** A key not seen in this position before: find its column and remember it. */
  private learn(b: Buffer, s: number, e: number, slot: number): Column | null {
    const col = this.resolve(b.toString('utf8', s, e));
    this.keys[slot] = Uint8Array.prototype.slice.call(b, s, e);
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
