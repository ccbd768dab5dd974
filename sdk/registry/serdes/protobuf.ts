/**
 * Protobuf payloads with protobufjs: the message type is the file's first message unless named
 * (`messageName`), its message indexes written after the header; values checked with
 * protobufjs's verifier (the field named), enums taken as names or numbers, google.protobuf.Timestamp
 * fields taken as epoch ms, Dates or ISO strings and read back as epoch ms.
 */
import * as protobuf from 'protobufjs';
import type { ResolvedReference } from '../formats';
import { parseProtobuf } from '../formats/protobuf';
import { describe, RowMismatch, unflatten, type SchemaCodec } from './codec';

const TIMESTAMP = '.google.protobuf.Timestamp';

/** Indexes of a message type within its file: top-level position, then nested positions. */
export function messageIndexesOf(type: protobuf.Type, topLevel: string[]): number[] {
  const path: number[] = [];
  let t: protobuf.ReflectionObject = type;
  while (t.parent instanceof protobuf.Type) {
    const parent: protobuf.Type = t.parent;
    path.unshift(parent.nestedArray.filter((n) => n instanceof protobuf.Type).indexOf(t));
    t = parent;
  }
  path.unshift(topLevel.indexOf(t.fullName.replace(/^\./, '')));
  return path;
}

/** The message type at `indexes` of a file whose top-level messages are `topLevel`. */
export function messageAt(root: protobuf.Root, topLevel: string[], indexes: number[]): protobuf.Type {
  const first = topLevel[indexes[0]];
  if (first === undefined) throw new Error(`no message at index ${indexes[0]} (the file has ${topLevel.length})`);
  let t = root.lookupType(first);
  for (const i of indexes.slice(1)) {
    const nested = t.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type)[i];
    if (!nested) throw new Error(`no nested message at index ${i} of ${t.fullName}`);
    t = nested;
  }
  return t;
}

/** Plain values → what fromObject takes: unknown fields rejected, timestamps converted. */
function prepare(t: protobuf.Type, v: unknown, path: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new RowMismatch(path, `is ${describe(v)}, not a message ${t.name}`);
  const obj = path ? (v as Record<string, unknown>) : unflatten(v as Record<string, unknown>, (k) => !!t.fields[k]);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(obj)) {
    const f = t.fields[k];
    const at = path ? `${path}.${k}` : k;
    if (!f) throw new RowMismatch(at, `is not in the schema (${t.name} has ${Object.keys(t.fields).join(', ')})`);
    if (x === null || x === undefined) continue;
    const sub = f.resolvedType instanceof protobuf.Type ? f.resolvedType : undefined;
    const en = f.resolvedType instanceof protobuf.Enum ? f.resolvedType : undefined;
    const one = (y: unknown, p: string) => (sub && sub.fullName === TIMESTAMP ? timestamp(y, p) : sub && WRAPPERS.has(sub.fullName) && (y === null || typeof y !== 'object') ? { value: y } : sub ? prepare(sub, y, p) : en ? enumValue(en, y, p) : y);
    if (f.map) out[k] = sub || en ? Object.fromEntries(Object.entries(x as object).map(([mk, mv]) => [mk, one(mv, `${at}.${mk}`)])) : x;
    else if (f.repeated) {
      if (!Array.isArray(x)) throw new RowMismatch(at, `is ${describe(x)}, not a list`);
      out[k] = sub || en ? x.map((y, i) => one(y, `${at}[${i}]`)) : x;
    } else out[k] = one(x, at);
  }
  return out;
}

/** Enum values by name (or number), as protobufjs's verifier wants them: numbers. */
function enumValue(en: protobuf.Enum, v: unknown, path: string): unknown {
  if (typeof v !== 'string') return v;
  const n = en.values[v];
  if (n === undefined) throw new RowMismatch(path, `is ${describe(v)}, not one of ${Object.keys(en.values).join(', ')}`);
  return n;
}

function timestamp(v: unknown, path: string): unknown {
  const ms = v instanceof Date ? v.getTime() : typeof v === 'string' ? Date.parse(v) : v;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) {
    if (v && typeof v === 'object' && 'seconds' in v) return v;
    throw new RowMismatch(path, `is ${describe(v)}, not a time (epoch ms, Date or ISO-8601 string)`);
  }
  return { seconds: Math.floor(ms / 1000), nanos: Math.round((ms - Math.floor(ms / 1000) * 1000) * 1e6) };
}

const WRAPPERS = new Set(['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'].map((t) => `.google.protobuf.${t}Value`));

/**
 * Decoded objects with Google's well-known types as kafkalab's cells hold them: Timestamps as
 * epoch ms, wrappers (google.protobuf.DoubleValue, ...) as their value (null when unset).
 */
export function fromWellKnown(t: protobuf.Type, obj: Record<string, unknown>): Record<string, unknown> {
  for (const f of t.fieldsArray) {
    const sub = f.resolvedType instanceof protobuf.Type ? f.resolvedType : undefined;
    const x = obj[f.name];
    if (!sub || x === null || x === undefined) continue;
    const one = (y: any) =>
      sub.fullName === TIMESTAMP ? Number(y.seconds ?? 0) * 1000 + Math.round(Number(y.nanos ?? 0) / 1e6) : WRAPPERS.has(sub.fullName) ? (y?.value ?? null) : fromWellKnown(sub, y);
    if (f.map) for (const k of Object.keys(x as object)) (x as any)[k] = one((x as any)[k]);
    else if (f.repeated) obj[f.name] = (x as unknown[]).map(one);
    else obj[f.name] = one(x);
  }
  return obj;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
export function protobufCodec(schema: string, references: ResolvedReference[] = [], messageName?: string): SchemaCodec {
  const parsed = parseProtobuf(schema, references);
  if (!parsed.messages.length) throw new Error('the .proto file defines no message');
  const name = messageName ?? parsed.messages[0];
  let type: protobuf.Type;
  try {
    type = parsed.root.lookupType(name.includes('.') || !parsed.packageName ? name : `${parsed.packageName}.${name}`);
  } catch {
    throw new Error(`the .proto file has no message "${name}" (it has ${parsed.messages.join(', ')})`);
  }
  const indexes = messageIndexesOf(type, parsed.messages);
  const toObject = { longs: Number, enums: String, bytes: Buffer, defaults: true } as protobuf.IConversionOptions;
  return {
    schemaType: 'PROTOBUF',
    recordName: type.fullName.replace(/^\./, ''),
    messageIndexes: indexes,
    encode(value: unknown): Buffer {
      const obj = prepare(type, value, '');
      const problem = type.verify(obj);
      if (problem) {
        const m = /^([\w.[\]]+): (.*)$/.exec(problem);
        throw new RowMismatch(m ? m[1] : '', m ? `is ${describe(pick(obj, m[1]))}, ${m[2]}` : problem);
      }
      return Buffer.from(type.encode(type.fromObject(obj)).finish());
    },
    decode: (payload: Buffer) => fromWellKnown(type, type.toObject(type.decode(payload), toObject)),
  };
}

function pick(obj: Record<string, unknown>, path: string): unknown {
  let v: any = obj;
  for (const part of path.split(/[.[\]]+/).filter(Boolean)) v = v?.[part];
  return v;
}
