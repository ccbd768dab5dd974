/**
 * The one byte-level JSON scanner: a record's JSON object read straight from its bytes into typed
 * columns, nested objects flattened to `a.b`, with no intermediate string or object per record
 * (that garbage dominated reads). read(), stream(), the exported app and the MQTT bridge's
 * payload check all run it.
 *
 * It checks the whole JSON grammar as it goes and gives up (returns false, keeping nothing the
 * caller cannot undo) on whatever it does not accept: invalid syntax, a value that is not an
 * object, nesting deeper than MAX_DEPTH, a field written twice in one row (duplicate keys, or a
 * flattened name clash). The caller then takes the JSON.parse path (flatten.ts), which has the
 * final say, including on what is invalid. On what it accepts, the cells are the ones that path
 * gives: numbers through json-number.ts (the double JSON.parse returns), escaped strings through
 * JSON.parse of their own bytes, arrays as JSON.stringify of their parsed text.
 */
import type { Column, ColumnSet } from './columns';
import { StringCache } from './intern';
import { jsonNumber } from './json-number';
import { MAX_DEPTH } from './values';

const WS = new Uint8Array(256);
WS[0x20] = WS[0x09] = WS[0x0a] = WS[0x0d] = 1;
const HEX = new Uint8Array(256);
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1;
const ESCAPE = new Uint8Array(256);
for (const c of '"\\/bfnrt') ESCAPE[c.charCodeAt(0)] = 1;

export interface ScanOptions {
  /** Top-level fields whose value's byte span to record (the bridge's key, timestamp, required fields). */
  spans?: readonly string[];
}

export class JsonScanner {
  // What the previous records had at each key position (keys in document order): records of a
  // topic share their layout, so a byte comparison finds the column without building the name.
  private keyBytes: Uint8Array[] = [];
  private parents: number[] = [];
  private names: string[] = [];
  /** The column of a leaf at this position; undefined until resolved (the key held an object before). */
  private cols: (Column | null | undefined)[] = [];
  private fieldOf: number[] = [];
  /** Whether the record being scanned had a key not in the cache, and how many keys it had. */
  private learned = false;
  private visited = 0;
  // Per open object (depth 1 = the record): the key position that opened it, and whether that key matched the cache.
  private readonly openPos = new Int32Array(MAX_DEPTH + 2);
  private readonly openHit = new Uint8Array(MAX_DEPTH + 2);
  private readonly strings = new StringCache();
  private readonly wanted: Map<string, number> | null;
  /** Per `spans` field: [start, end) of its value in the last record scanned, start -1 when absent. */
  readonly spans: Int32Array;

  constructor(
    private readonly set: ColumnSet,
    /** The column for a flattened field name, or null to skip the field (column projection). */
    private readonly resolve: (name: string) => Column | null,
    opts: ScanOptions = {},
  ) {
    this.wanted = opts.spans ? new Map(opts.spans.map((f, i) => [f, i])) : null;
    this.spans = new Int32Array((opts.spans?.length ?? 0) * 2).fill(-1);
  }

  /** Writes the cells of one record into the current row; false means "use the JSON.parse path". */
  write(b: Buffer): boolean {
    return this.writeRange(b, 0, b.length);
  }

  /**
   * `write` for the bytes b[start, end), so that values need not be sliced out of a record
   * batch. Bytes past `end` belong to the next record: every read checks the bound.
   */
  writeRange(b: Buffer, start: number, n: number): boolean {
    this.learned = false;
    const ok = this.scan(b, start, n);
    if (!this.learned) return ok; // the layout of a record that decoded before: checked then
    // A new layout: its keys must be unique per object (JSON.parse keeps the last of duplicate
    // keys, also when one of them holds an object, which writes no column to clash on).
    if (ok && this.unique(this.visited)) {
      this.keyBytes.length = this.visited;
      return true;
    }
    this.keyBytes.length = 0; // not a layout that decoded here: learn it afresh next time
    return false;
  }

  private scan(b: Buffer, start: number, n: number): boolean {
    const rows = this.set.rows;
    const spans = this.wanted ? this.spans.fill(-1) : null;
    let i = skipWs(b, start, n);
    if (i >= n || b[i] !== 0x7b) return false;
    let depth = 1;
    this.openPos[1] = -1;
    this.openHit[1] = 1;
    let pos = 0;
    let spanField = -1; // the spans field whose object value is open at depth 2
    let spanStart = 0;
    i = skipWs(b, i + 1, n);
    if (i < n && b[i] === 0x7d) {
      this.visited = 0;
      return skipWs(b, i + 1, n) === n; // `{}`
    }
    let afterValue = false;
    for (;;) {
      if (!afterValue) {
        // A key, a colon, a value.
        if (i >= n || b[i] !== 0x22) return false;
        const ks = i + 1;
        const parent = this.openPos[depth];
        const k = this.keyBytes[pos];
        let ke = -1;
        let hit = false;
        if (this.openHit[depth] === 1 && k !== undefined && this.parents[pos] === parent) {
          // The cached key's bytes and a closing quote right after them: the same key (a cached
          // key is valid JSON string content, so that quote is not escaped). No scan needed.
          const len = k.length;
          if (ks + len < n && b[ks + len] === 0x22) {
            let j = 0;
            while (j < len && b[ks + j] === k[j]) j++;
            if (j === len) {
              hit = true;
              ke = ks + len;
            }
          }
        }
        if (!hit) {
          let escaped = false;
          i = ks;
          for (;;) {
            if (i >= n) return false;
            const x = b[i];
            if (x === 0x22) break;
            if (x === 0x5c) {
              i = skipEscape(b, i, n);
              if (i < 0) return false;
              escaped = true;
            } else if (x < 0x20) return false;
            else i++;
          }
          ke = i;
          this.learn(b, ks, ke, escaped, pos, parent, depth);
        }
        i = skipWs(b, ke + 1, n);
        if (i >= n || b[i] !== 0x3a) return false;
        i = skipWs(b, i + 1, n);
        if (i >= n) return false;
        const at = pos++;
        const vs = i;
        if (b[i] === 0x7b) {
          if (depth >= MAX_DEPTH) return false;
          const j = skipWs(b, i + 1, n);
          if (j >= n || b[j] !== 0x7d) {
            depth++;
            this.openPos[depth] = at;
            this.openHit[depth] = hit ? 1 : 0;
            if (spans !== null && depth === 2) {
              spanField = this.fieldOf[at];
              spanStart = vs;
            }
            i = j;
            continue;
          }
          i = j + 1; // an empty object: no cells
        } else {
          let col = this.cols[at];
          if (col === undefined) col = this.cols[at] = this.resolve(this.names[at]);
          if (col !== null && col.length !== rows) return false; // written already in this row: JSON.parse's rules decide
          i = this.value(b, i, n, col, depth);
          if (i < 0) return false;
        }
        if (spans !== null && depth === 1) {
          const f = this.fieldOf[at];
          if (f >= 0) {
            spans[f * 2] = vs;
            spans[f * 2 + 1] = i;
          }
        }
      }
      // After a value (an object's end included): a comma, or the end of the enclosing object.
      afterValue = false;
      i = skipWs(b, i, n);
      if (i < n && b[i] === 0x2c) {
        i = skipWs(b, i + 1, n);
        continue;
      }
      if (i >= n || b[i] !== 0x7d) return false;
      i++;
      depth--;
      if (depth === 0) {
        this.visited = pos;
        return skipWs(b, i, n) === n;
      }
      if (depth === 1 && spanField >= 0 && spans !== null) {
        spans[spanField * 2] = spanStart;
        spans[spanField * 2 + 1] = i;
        spanField = -1;
      }
      afterValue = true;
    }
  }

  /**
   * Reads the value at b[i] into `col` (null: validate and skip); the index after it, or -1.
   * A value that would turn the column into text (mixed types) is left to the JSON.parse path,
   * so that a record given up half way never leaves a column converted (columns.ts undoes the
   * other type changes of a truncated row).
   */
  private value(b: Buffer, i: number, n: number, col: Column | null, depth: number): number {
    const set = this.set;
    const c = b[i];
    const t = col === null ? 'null' : col.type;
    if (c === 0x22) {
      if (t !== 'string' && t !== 'null') return -1;
      const s = ++i;
      let escaped = false;
      for (;;) {
        if (i >= n) return -1;
        const x = b[i];
        if (x === 0x22) break;
        if (x === 0x5c) {
          i = skipEscape(b, i, n);
          if (i < 0) return -1;
          escaped = true;
        } else if (x < 0x20) return -1;
        else i++;
      }
      if (col !== null) {
        const w = col.pushString(escaped ? (JSON.parse(b.toString('utf8', s - 1, i + 1)) as string) : this.strings.get(b, s, i));
        if (w !== undefined) set.warn(w);
      }
      return i + 1;
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      if (t === 'string' || t === 'bool') return -1;
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
      if (digits === 0) return -1;
      if (digits > 1 && b[i0] === 0x30) return -1; // leading zero: invalid JSON
      let frac = 0;
      if (i < n && b[i] === 0x2e) {
        const f0 = ++i;
        while (i < n && (d = b[i] - 0x30) >= 0 && d <= 9) {
          m = m * 10 + d;
          i++;
        }
        frac = i - f0;
        if (frac === 0) return -1;
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
        if (i === e0) return -1;
        if (exp > 400) slow = true;
        if (eneg) exp = -exp;
      }
      if (col !== null) {
        const w = col.pushNumber(jsonNumber(b, s, i, m, digits, exp - frac, neg, slow));
        if (w !== undefined) set.warn(w);
      }
      return i;
    }
    if (c === 0x74 && i + 3 < n && b[i + 1] === 0x72 && b[i + 2] === 0x75 && b[i + 3] === 0x65) {
      if (t !== 'bool' && t !== 'null') return -1;
      if (col !== null) col.push(true);
      return i + 4;
    }
    if (c === 0x66 && i + 4 < n && b[i + 1] === 0x61 && b[i + 2] === 0x6c && b[i + 3] === 0x73 && b[i + 4] === 0x65) {
      if (t !== 'bool' && t !== 'null') return -1;
      if (col !== null) col.push(false);
      return i + 5;
    }
    if (c === 0x6e && i + 3 < n && b[i + 1] === 0x75 && b[i + 2] === 0x6c && b[i + 3] === 0x6c) {
      if (col !== null) col.pushNull();
      return i + 4;
    }
    if (c === 0x5b) {
      if (t !== 'string' && t !== 'null') return -1;
      const end = skipNested(b, i, n, depth + 1);
      if (end < 0) return -1;
      if (col !== null) {
        const w = col.pushString(JSON.stringify(JSON.parse(b.toString('utf8', i, end))));
        if (w !== undefined) set.warn(w);
      }
      return end;
    }
    return -1;
  }

  /** Whether the first `count` keys are unique within their objects. */
  private unique(count: number): boolean {
    const seen = new Set<string>();
    for (let p = 0; p < count; p++) {
      const id = `${this.parents[p]}\u0000${this.names[p]}`;
      if (seen.has(id)) return false;
      seen.add(id);
    }
    return true;
  }

  /** A key not seen at this position (under this parent) before: its flattened name, column and spans field. */
  private learn(b: Buffer, ks: number, ke: number, escaped: boolean, pos: number, parent: number, depth: number): void {
    const key = escaped ? (JSON.parse(b.toString('utf8', ks - 1, ke + 1)) as string) : b.toString('utf8', ks, ke);
    const name = parent < 0 ? key : `${this.names[parent]}.${key}`;
    this.learned = true;
    this.keyBytes[pos] = Uint8Array.prototype.slice.call(b, ks, ke);
    this.parents[pos] = parent;
    this.names[pos] = name;
    this.cols[pos] = undefined;
    this.fieldOf[pos] = this.wanted !== null && depth === 1 ? (this.wanted.get(name) ?? -1) : -1;
  }
}

function skipWs(b: Buffer, i: number, n: number): number {
  while (i < n && WS[b[i]] === 1) i++;
  return i;
}

/** The index after the escape sequence starting with the backslash at b[i], or -1 when it is not valid JSON. */
function skipEscape(b: Buffer, i: number, n: number): number {
  if (i + 1 >= n) return -1;
  const e = b[i + 1];
  if (e === 0x75) return i + 5 < n && HEX[b[i + 2]] && HEX[b[i + 3]] && HEX[b[i + 4]] && HEX[b[i + 5]] ? i + 6 : -1;
  return ESCAPE[e] === 1 ? i + 2 : -1;
}

/**
 * Validates the array (or object) opening at b[i], which sits at nesting level `depth`, without
 * flattening it: the index after its closing bracket, or -1 when invalid or nested past MAX_DEPTH.
 */
function skipNested(b: Buffer, i: number, n: number, depth: number): number {
  // open[k]: 1 = object, 2 = array, for the containers opened inside this value.
  const open: number[] = [];
  for (;;) {
    // A value starts at i.
    i = skipWs(b, i, n);
    if (i >= n) return -1;
    const c = b[i];
    if (c === 0x7b || c === 0x5b) {
      if (depth + open.length > MAX_DEPTH) return -1;
      open.push(c === 0x7b ? 1 : 2);
      i = skipWs(b, i + 1, n);
      if (i < n && b[i] === (c === 0x7b ? 0x7d : 0x5d)) {
        open.pop();
        i++;
      } else if (c === 0x7b) {
        i = skipKey(b, i, n);
        if (i < 0) return -1;
        continue;
      } else continue;
    } else if (c === 0x22) {
      i = skipKey(b, i, n, false);
      if (i < 0) return -1;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      i = skipNumber(b, i, n);
      if (i < 0) return -1;
    } else if (c === 0x74 && b[i + 1] === 0x72 && b[i + 2] === 0x75 && b[i + 3] === 0x65 && i + 3 < n) i += 4;
    else if (c === 0x66 && b[i + 1] === 0x61 && b[i + 2] === 0x6c && b[i + 3] === 0x73 && b[i + 4] === 0x65 && i + 4 < n) i += 5;
    else if (c === 0x6e && b[i + 1] === 0x75 && b[i + 2] === 0x6c && b[i + 3] === 0x6c && i + 3 < n) i += 4;
    else return -1;
    // After a value: a separator, or the end of containers.
    for (;;) {
      if (open.length === 0) return i;
      i = skipWs(b, i, n);
      if (i >= n) return -1;
      const inObject = open[open.length - 1] === 1;
      if (b[i] === 0x2c) {
        i = inObject ? skipKey(b, skipWs(b, i + 1, n), n) : i + 1;
        if (i < 0) return -1;
        break;
      }
      if (b[i] !== (inObject ? 0x7d : 0x5d)) return -1;
      open.pop();
      i++;
    }
  }
}

/** A string at b[i]; with `colon`, an object key and the colon after it. The index after, or -1. */
function skipKey(b: Buffer, i: number, n: number, colon = true): number {
  if (i >= n || b[i] !== 0x22) return -1;
  i++;
  for (;;) {
    if (i >= n) return -1;
    const x = b[i];
    if (x === 0x22) break;
    if (x === 0x5c) {
      i = skipEscape(b, i, n);
      if (i < 0) return -1;
    } else if (x < 0x20) return -1;
    else i++;
  }
  i++;
  if (!colon) return i;
  i = skipWs(b, i, n);
  return i < n && b[i] === 0x3a ? i + 1 : -1;
}

/** -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?: the index after it, or -1. */
function skipNumber(b: Buffer, i: number, n: number): number {
  const digit = (k: number) => k < n && b[k] >= 0x30 && b[k] <= 0x39;
  if (b[i] === 0x2d) i++;
  if (!digit(i)) return -1;
  if (b[i] === 0x30) i++;
  else while (digit(i)) i++;
  if (i < n && b[i] === 0x2e) {
    i++;
    if (!digit(i)) return -1;
    while (digit(i)) i++;
  }
  if (i < n && (b[i] === 0x65 || b[i] === 0x45)) {
    i++;
    if (i < n && (b[i] === 0x2b || b[i] === 0x2d)) i++;
    if (!digit(i)) return -1;
    while (digit(i)) i++;
  }
  return i;
}
