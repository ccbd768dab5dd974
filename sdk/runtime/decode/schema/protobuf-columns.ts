/**
 * Flat Protobuf messages straight into typed columns: a message type whose fields are all
 * singular scalars or enums (no repeated, map, oneof, proto3 optional or message fields, no
 * proto2 default) is compiled into a function that reads the wire format into locals and then
 * appends one cell per field, in field-number order. The cells are those protobufjs's
 * `toObject({ longs: Number, enums: String, bytes: String, defaults: true })` gives, flattened as
 * the JSON path flattens them (schemas.ts's protobufValue): a field not on the wire is its
 * default, 64-bit integers are the nearest double, unknown enum numbers stay numbers, bytes are
 * base64, NaN is a null cell. Like protobufjs, a field is read by its declared type whatever
 * the wire type says. Anything the reader does not handle (a group, a cut payload, a bad wire
 * type) returns FALLBACK before a cell is written, and the record goes through protobufjs.
 */
import type * as protobuf from 'protobufjs';
import type { ColumnSet } from '../columns';
import { Helpers, generatedFunction } from './avro-columns';
import { META_NAMES } from './meta';

/* eslint-disable @typescript-eslint/no-explicit-any */

/** Returned by a reader that leaves the record to protobufjs (nothing written). */
export const FALLBACK = 'protobuf fallback';

/** Reads one payload b[start, end) into the current row, calling `meta` first; undefined, FALLBACK, or a warning-free failure. */
export type ProtobufColumnReader = (b: Buffer, start: number, end: number, meta: () => void) => string | undefined;

export interface ProtobufColumnPlan {
  readonly names: string[];
  bind(set: ColumnSet, allowed: Set<string> | null): ProtobufColumnReader;
}

const SCALARS = new Set(['double', 'float', 'int32', 'uint32', 'sint32', 'fixed32', 'sfixed32', 'int64', 'uint64', 'sint64', 'fixed64', 'sfixed64', 'bool', 'string', 'bytes']);

/** Whether a message type is flat enough for compileProtobufColumns. */
function flat(t: protobuf.Type): boolean {
  t.root.resolveAll(); // field presence and enum openness come from the file's resolved features
  return t.fieldsArray.every((f: any) => {
    f.resolve();
    const e = f.resolvedType;
    const openEnum = e !== null && e.valuesById !== undefined && e.fields === undefined && e._features?.enum_type !== 'CLOSED' && e.valuesById[f.typeDefault] !== undefined;
    return !f.repeated && !f.map && !f.partOf && f.hasPresence === false && !f.required && f.options?.default === undefined && (SCALARS.has(f.type) ? e === null : openEnum);
  });
}

/** The wire type protobufjs expects for a scalar type (a field on the wire with another is skipped). */
function wireType(type: string): number {
  switch (type) {
    case 'double':
    case 'fixed64':
    case 'sfixed64':
      return 1;
    case 'float':
    case 'fixed32':
    case 'sfixed32':
      return 5;
    case 'string':
    case 'bytes':
      return 2;
    default:
      return 0;
  }
}


/** Statements reading a varint's low 32 bits into `lo` and high 32 bits into `hi` (both uint32). */
const VARINT64 = `lo = 0; hi = 0; { let s = 0, x; do { if (p >= end) throw R; x = b[p++]; if (s < 28) lo = (lo | ((x & 127) << s)) >>> 0; else if (s === 28) { lo = (lo | ((x & 15) << 28)) >>> 0; hi = (x & 127) >>> 4; } else if (s < 64) hi = (hi | ((x & 127) << (s - 32))) >>> 0; s += 7; if (s > 70) throw R; } while (x >= 128); }`;
/**
 * A length prefix as protobufjs 8's Reader.size() accepts it: at most five bytes, the fifth at most 7
 * (anything longer or larger is an error there, so it goes to protobufjs). Leaves it in `lo`.
 */
const LENGTH = `lo = 0; { let s = 0, x; do { if (p >= end) throw R; x = b[p++]; if (s === 28 && x > 7) throw R; lo = (lo | ((x & 127) << s)) >>> 0; s += 7; } while (x >= 128); }`;
/** LongBits.toNumber: signed or unsigned. */
const TO_NUMBER = (unsigned: boolean) =>
  unsigned ? `(lo + hi * 4294967296)` : `(hi >>> 31 ? (() => { let l = (~lo + 1) >>> 0, h = ~hi >>> 0; if (!l) h = (h + 1) >>> 0; return -(l + h * 4294967296); })() : lo + hi * 4294967296)`;

function readField(f: protobuf.Field, v: string, k: (c: unknown) => number): string {
  switch (f.type) {
    case 'double':
      return `if (p + 8 > end) throw R; ${v} = V.getFloat64(p, true); p += 8;`;
    case 'float':
      return `if (p + 4 > end) throw R; ${v} = V.getFloat32(p, true); p += 4;`;
    case 'fixed32':
      return `if (p + 4 > end) throw R; ${v} = V.getUint32(p, true); p += 4;`;
    case 'sfixed32':
      return `if (p + 4 > end) throw R; ${v} = V.getInt32(p, true); p += 4;`;
    case 'fixed64':
    case 'sfixed64':
      return `if (p + 8 > end) throw R; lo = V.getUint32(p, true); hi = V.getUint32(p + 4, true); p += 8; ${v} = ${TO_NUMBER(f.type === 'fixed64')};`;
    case 'int32':
      return `${VARINT64} ${v} = lo | 0;`;
    case 'uint32':
      return `${VARINT64} ${v} = lo;`;
    case 'sint32':
      return `${VARINT64} ${v} = (lo >>> 1) ^ -(lo & 1);`;
    case 'bool':
      // As protobufjs reads it: any bit set in any of up to ten bytes.
      return `{ let x, n = 0; ${v} = false; do { if (p >= end || ++n > 10) throw R; x = b[p++]; if (x & 127) ${v} = true; } while (x >= 128); }`;
    case 'int64':
    case 'uint64':
      return `${VARINT64} ${v} = ${TO_NUMBER(f.type === 'uint64')};`;
    case 'sint64':
      return `${VARINT64} { const m = -(lo & 1); lo = (((lo >>> 1) | (hi << 31)) ^ m) >>> 0; hi = ((hi >>> 1) ^ m) >>> 0; } ${v} = ${TO_NUMBER(false)};`;
    case 'string':
      // ASCII only: other text is left to protobufjs, which also checks that it is valid UTF-8.
      return `${LENGTH} if (p + lo > end) throw R; for (let i = p; i < p + lo; i++) if (b[i] >= 128) throw R; ${v} = H.strings.get(b, p, p + lo); p += lo;`;
    case 'bytes':
      return `${LENGTH} if (p + lo > end) throw R; ${v} = b.toString('base64', p, p + lo); p += lo;`;
    default: {
      // An enum: its name, or the number when the schema has no such value (as toObject gives it).
      const names = k((f.resolvedType as protobuf.Enum).valuesById);
      return `${VARINT64} ${v} = K[${names}][lo | 0]; if (${v} === undefined) ${v} = lo | 0;`;
    }
  }
}

function defaultOf(f: protobuf.Field, k: (c: unknown) => number): string {
  switch (f.type) {
    case 'string':
    case 'bytes':
      return "''";
    case 'bool':
      return 'false';
    default:
      if (!SCALARS.has(f.type)) return `K[${k((f.resolvedType as protobuf.Enum).valuesById[f.typeDefault as number])}]`;
      return '0';
  }
}

const PROTOBUF_PARAMS = ['S', 'N', 'H', 'K', 'R', 'FALLBACK'];

/** Compiles a flat message type; undefined for any other (protobufjs decodes those). */
export function compileProtobufColumns(t: protobuf.Type): ProtobufColumnPlan | undefined {
  if (!flat(t)) return undefined;
  const fields = t.fieldsArray.slice().sort((a, b) => a.id - b.id);
  const names = fields.map((f) => f.name);
  const consts: unknown[] = [];
  const k = (c: unknown) => consts.push(c) - 1;
  const defaults = fields.map((f, i) => `let v${i} = ${defaultOf(f, k)};`).join('\n');
  const cases = fields.map((f, i) => `case ${f.id}: if (u === ${wireType(f.type)}) { ${readField(f, `v${i}`, k)} continue; } break;`).join('\n');
  // A field of another wire type, or an unknown one, is skipped as protobufjs skips it; anything
  // it might read differently (groups, field number 0, overlong varints, a tag or length prefix
  // protobufjs 8 calls invalid: a fifth byte above 15 or 7) goes to protobufjs.
  const read = `${defaults}
let lo = 0, hi = 0;
try {
  while (p < end) {
    let t = 0;
    { let x, s = 0; do { if (p >= end) throw R; x = b[p++]; if (s === 28 && x > 15) throw R; t = (t | ((x & 127) << s)) >>> 0; s += 7; } while (x >= 128); }
    const u = t & 7;
    t >>>= 3;
    if (t === 0) throw R;
    switch (t) {
      ${cases}
    }
    switch (u) {
      case 0: ${VARINT64} break;
      case 1: p += 8; break;
      case 2: ${LENGTH} p += lo; break;
      case 5: p += 4; break;
      default: throw R;
    }
    if (p > end) throw R;
  }
} catch (e) {
  return FALLBACK;
}
if (p !== end) return FALLBACK;`;
  return {
    names,
    bind(set, allowed) {
      const pushes = fields
        .map((f, i) => {
          const name = names[i];
          if (allowed !== null && !allowed.has(name)) return '';
          if (META_NAMES.has(name)) return `S.write(N[${i}], v${i} !== v${i} ? null : v${i});`;
          const c = `(c${i} || (c${i} = S.column(N[${i}])))`;
          if (f.type === 'string' || f.type === 'bytes' || !SCALARS.has(f.type)) return `{ const w = typeof v${i} === 'string' ? ${c}.pushString(v${i}) : ${c}.pushNumber(v${i}); if (w !== undefined) S.warn(w); }`;
          if (f.type === 'bool') return `{ const w = ${c}.push(v${i}); if (w !== undefined) S.warn(w); }`;
          return `if (v${i} !== v${i}) ${c}.pushNull(); else { const w = ${c}.pushNumber(v${i}); if (w !== undefined) S.warn(w); }`;
        })
        .join('\n');
      const slots = names.map((_n, i) => `c${i}`).join(', ');
      const source = `${slots ? `let ${slots};` : ''}\nreturn function protobufRecord(b, start, end, meta) {\nlet p = start;\nconst V = H.view(b);\n${read}\nmeta();\n${pushes}\nreturn undefined;\n};`;
      return generatedFunction(PROTOBUF_PARAMS, source)(set, names, new Helpers(), consts, new RangeError('short'), FALLBACK) as ProtobufColumnReader;
    },
  };
}
