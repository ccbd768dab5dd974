/**
 * A validating scan of a JSON payload in place: checks the whole JSON grammar byte by byte and
 * notes where the wanted top-level fields' values are, without building strings or objects. The
 * bridge forwards payloads as they are, so for the common case (key from the topic, a timestamp
 * field, required fields) a full JSON.parse was wasted work: profiling showed it as the largest
 * share of the bridge's CPU after the Kafka encoding. Anything unusual (escaped field names,
 * nesting deeper than MAX_DEPTH) makes the scan return undefined, and the caller falls back to
 * JSON.parse, which also has the final say (and the error message) for payloads rejected here.
 */

const MAX_DEPTH = 256;

export interface ScanResult {
  /** The payload is one JSON object (with whitespace around it at most). */
  object: boolean;
  /** Per wanted field: [start, end) of its last occurrence's value, or start -1 when absent. */
  spans: Int32Array;
}

/** Field names as bytes, matched against unescaped top-level keys. */
export class FieldSet {
  readonly names: Buffer[];
  /** Reused by every scan: a result's spans are valid until the next scanJson with this set. */
  readonly spans: Int32Array;
  constructor(readonly fields: readonly string[]) {
    this.names = fields.map((f) => Buffer.from(f, 'utf8'));
    this.spans = new Int32Array(fields.length * 2);
  }
}

const WS = new Uint8Array(256);
WS[0x20] = WS[0x09] = WS[0x0a] = WS[0x0d] = 1;
const DIGIT = (c: number) => c >= 0x30 && c <= 0x39;
// Containers: 1 = object, 2 = array; stack[1] is the top-level value (scans never overlap).
const stack = new Uint8Array(MAX_DEPTH + 1);
let keyField = -1;
// Bytes that may appear unescaped inside a string (UTF-8 continuation bytes included).
const PLAIN = new Uint8Array(256);
for (let c = 0x20; c < 256; c++) PLAIN[c] = c === 0x22 || c === 0x5c ? 0 : 1;
const DIGITS = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) DIGITS[c] = 1;
const HEX = new Uint8Array(256);
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1;

/**
 * Scans `b`. Returns null when it is not valid JSON, undefined when the scan cannot decide
 * cheaply (use JSON.parse), else whether it is an object and the wanted fields' value spans.
 */
export function scanJson(b: Uint8Array, wanted: FieldSet): ScanResult | null | undefined {
  const spans = wanted.spans.fill(-1);
  const n = b.length;
  let i = 0;
  while (i < n && WS[b[i]]) i++;
  if (i >= n) return null;
  const object = b[i] === 0x7b;
  let depth = 0;
  let field = -1; // index of the wanted field whose value comes next (top level only)
  for (;;) {
    // A value starts at i.
    while (i < n && WS[b[i]]) i++;
    if (i >= n) return null;
    const start = i;
    const c = b[i];
    if (c === 0x7b || c === 0x5b) {
      if (depth === MAX_DEPTH) return undefined;
      stack[++depth] = c === 0x7b ? 1 : 2;
      if (depth === 2 && field >= 0) spans[field * 2] = start; // end set when the container closes
      i++;
      while (i < n && WS[b[i]]) i++;
      if (i >= n) return null;
      if (b[i] === (c === 0x7b ? 0x7d : 0x5d)) {
        i++;
        depth--;
      } else if (c === 0x7b) {
        const k = readKey(b, i, depth === 1 ? wanted : null);
        if (k === -1) return null;
        if (k === -2) return undefined;
        i = k;
        if (depth === 1) field = keyField;
        continue;
      } else continue;
    } else if (c === 0x22) {
      i = skipString(b, i);
      if (i < 0) return null;
    } else if (c === 0x2d || DIGIT(c)) {
      i = skipNumber(b, i);
      if (i < 0) return null;
    } else if (c === 0x74) {
      if (!(b[i + 1] === 0x72 && b[i + 2] === 0x75 && b[i + 3] === 0x65)) return null;
      i += 4;
    } else if (c === 0x66) {
      if (!(b[i + 1] === 0x61 && b[i + 2] === 0x6c && b[i + 3] === 0x73 && b[i + 4] === 0x65)) return null;
      i += 5;
    } else if (c === 0x6e) {
      if (!(b[i + 1] === 0x75 && b[i + 2] === 0x6c && b[i + 3] === 0x6c)) return null;
      i += 4;
    } else return null;
    if (depth === 1 && field >= 0) {
      spans[field * 2] = start;
      spans[field * 2 + 1] = i;
    }
    // After a value: a separator, or the end of one or more containers.
    for (;;) {
      while (i < n && WS[b[i]]) i++;
      if (depth === 0) return i === n ? { object, spans } : null;
      if (i >= n) return null;
      const d = b[i];
      const inObject = stack[depth] === 1;
      if (d === 0x2c) {
        i++;
        if (inObject) {
          while (i < n && WS[b[i]]) i++;
          const k = readKey(b, i, depth === 1 ? wanted : null);
          if (k === -1) return null;
          if (k === -2) return undefined;
          i = k;
          if (depth === 1) field = keyField;
        } else if (depth === 1) field = -1;
        break;
      }
      if (d !== (inObject ? 0x7d : 0x5d)) return null;
      i++;
      depth--;
      if (depth === 1 && field >= 0) spans[field * 2 + 1] = i;
    }
  }
}

/**
 * Reads `"name"` and the colon after it: the index after the colon, -1 when malformed, -2 when
 * undecidable here. Sets keyField to the wanted field's index or -1.
 */
function readKey(b: Uint8Array, i: number, wanted: FieldSet | null): number {
  if (b[i] !== 0x22) return -1;
  const end = skipString(b, i);
  if (end < 0) return -1;
  keyField = -1;
  if (wanted) {
    const len = end - i - 2;
    const names = wanted.names;
    for (let f = 0; f < names.length; f++) {
      const name = names[f];
      if (name.length !== len) continue;
      let k = 0;
      while (k < len && b[i + 1 + k] === name[k]) k++;
      if (k === len) keyField = f;
    }
    // An escaped key could spell a wanted name: let JSON.parse decide.
    if (keyField < 0 && names.length) for (let k = i + 1; k < end - 1; k++) if (b[k] === 0x5c) return -2;
  }
  let j = end;
  const n = b.length;
  while (j < n && WS[b[j]]) j++;
  if (b[j] !== 0x3a) return -1;
  return j + 1;
}

/** Index after the closing quote of the string opening at i, or -1 when it is malformed. */
function skipString(b: Uint8Array, i: number): number {
  const n = b.length;
  i++;
  for (;;) {
    while (i < n && PLAIN[b[i]] === 1) i++;
    if (i >= n) return -1;
    const c = b[i];
    if (c === 0x22) return i + 1;
    if (c !== 0x5c) return -1; // a control character
    const e = b[i + 1];
    if (e === 0x75) {
      if (!(HEX[b[i + 2]] && HEX[b[i + 3]] && HEX[b[i + 4]] && HEX[b[i + 5]])) return -1;
      i += 6;
    } else if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) i += 2;
    else return -1;
  }
}

/** -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
function skipNumber(b: Uint8Array, i: number): number {
  const n = b.length;
  if (b[i] === 0x2d) i++;
  if (i >= n) return -1;
  if (b[i] === 0x30) i++;
  else if (b[i] >= 0x31 && b[i] <= 0x39) while (i < n && DIGITS[b[i]] === 1) i++;
  else return -1;
  if (b[i] === 0x2e) {
    i++;
    if (!DIGIT(b[i])) return -1;
    while (i < n && DIGITS[b[i]] === 1) i++;
  }
  if (b[i] === 0x65 || b[i] === 0x45) {
    i++;
    if (b[i] === 0x2b || b[i] === 0x2d) i++;
    if (!DIGIT(b[i])) return -1;
    while (i < n && DIGITS[b[i]] === 1) i++;
  }
  return i;
}
