/**
 * Avro payloads with avsc: a schema (and its references' named types) compiled once, values
 * checked with avsc's validator (the first bad field named), unions taken as plain values (the
 * first branch that fits is written, as Confluent's serializers do for a bare value), logical
 * types as ./logical.ts converts them, longs exact to 2^53 (./avro-long.ts).
 */
import * as avro from 'avsc';
import './avro-long'; // exact longs beyond 2^52 (avsc rounds them, flipping signs)
import type { ResolvedReference } from '../formats';
import { describe, RowMismatch, unflatten, type SchemaCodec } from './codec';
import { LOGICAL_TYPES } from './logical';

/* eslint-disable @typescript-eslint/no-explicit-any */

export function compileAvro(schema: string, references: ResolvedReference[] = []): avro.Type {
  const registry: Record<string, avro.Type> = {};
  const opts = { registry, logicalTypes: LOGICAL_TYPES };
  for (const ref of references) avro.Type.forSchema(JSON.parse(ref.schema), opts);
  return avro.Type.forSchema(JSON.parse(schema), opts);
}

function underlying(t: any): any {
  return t.typeName?.startsWith('logical:') ? t.underlyingType : t;
}

/** Whether the schema has unions avsc keeps wrapped ({ branch: value }): those need wrapping on the way in. */
function hasWrappedUnion(t: any, seen = new Set<any>()): boolean {
  if (seen.has(t)) return false;
  seen.add(t);
  const u = underlying(t);
  switch (u.typeName) {
    case 'union:wrapped':
      return true;
    case 'union:unwrapped':
      return u.types.some((b: any) => hasWrappedUnion(b, seen));
    case 'record':
    case 'error':
      return u.fields.some((f: any) => hasWrappedUnion(f.type, seen));
    case 'array':
      return hasWrappedUnion(u.itemsType, seen);
    case 'map':
      return hasWrappedUnion(u.valuesType, seen);
    default:
      return false;
  }
}

/** Plain values → the shape avsc writes: wrapped unions get their branch; unknown record fields are an error. */
function prepare(t: any, v: any, path: string, wrap: boolean): any {
  const u = underlying(t);
  switch (u.typeName) {
    case 'record':
    case 'error': {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new RowMismatch(path, `is ${describe(v)}, not a record ${u.name}`);
      const obj = path ? v : unflatten(v);
      for (const k of Object.keys(obj)) {
        if (!u.fields.some((f: any) => f.name === k)) throw new RowMismatch(join(path, k), `is not in the schema (${u.name} has ${u.fields.map((f: any) => f.name).join(', ')})`);
      }
      const out: Record<string, unknown> = {};
      for (const f of u.fields) {
        let fv = obj[f.name];
        if (fv === undefined && f.defaultValue() === undefined && acceptsNull(f.type)) fv = null;
        out[f.name] = fv === undefined ? undefined : prepare(f.type, fv, join(path, f.name), wrap);
      }
      return out;
    }
    case 'union:wrapped':
    case 'union:unwrapped': {
      if (v && typeof v === 'object' && !Array.isArray(v) && u.typeName === 'union:wrapped' && Object.keys(v).length === 1 && u.types.some((b: any) => b.branchName === Object.keys(v)[0])) return v;
      for (const b of u.types) {
        const bu = underlying(b);
        if (v === null ? bu.typeName !== 'null' : bu.typeName === 'null') continue;
        try {
          const p = prepare(b, v, path, wrap);
          if (!b.isValid(p)) continue;
          return u.typeName === 'union:wrapped' && bu.typeName !== 'null' ? { [b.branchName]: p } : p;
        } catch {
          // try the next branch
        }
      }
      throw new RowMismatch(path, `is ${describe(v)}, which fits none of ${JSON.stringify(u.types.map((b: any) => b.branchName))}`);
    }
    case 'array':
      if (!Array.isArray(v)) throw new RowMismatch(path, `is ${describe(v)}, not a list`);
      return wrap || hasRecords(u.itemsType) ? v.map((x, i) => prepare(u.itemsType, x, `${path}[${i}]`, wrap)) : v;
    case 'map':
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new RowMismatch(path, `is ${describe(v)}, not a map`);
      return wrap || hasRecords(u.valuesType) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, prepare(u.valuesType, x, `${path}.${k}`, wrap)])) : v;
    default:
      return v;
  }
}

const join = (path: string, k: string) => (path ? `${path}.${k}` : k);
const acceptsNull = (t: any) => underlying(t).typeName?.startsWith('union') && underlying(t).types.some((b: any) => b.typeName === 'null');
const hasRecords = (t: any): boolean => ['record', 'error', 'union:wrapped', 'union:unwrapped', 'array', 'map'].includes(underlying(t).typeName);

export function avroCodec(schema: string, references: ResolvedReference[] = []): SchemaCodec {
  const type = compileAvro(schema, references) as any;
  const wrap = hasWrappedUnion(type);
  return {
    schemaType: 'AVRO',
    recordName: underlying(type).typeName === 'record' ? underlying(type).name : undefined,
    encode(value: unknown): Buffer {
      const v = prepare(type, value, '', wrap);
      let bad: { path: string; value: unknown; type: string } | undefined;
      if (!type.isValid(v, { errorHook: (p: string[], val: unknown, t: any) => (bad ??= { path: p.join('.'), value: val, type: underlying(t).typeName }) })) {
        throw new RowMismatch(bad?.path ?? '', `is ${describe(bad?.value)}, not ${article(bad?.type ?? 'valid')}`);
      }
      return type.toBuffer(v);
    },
    decode: (payload: Buffer) => type.fromBuffer(payload),
  };
}

function article(t: string): string {
  const name = t.replace(/^union:\w+$/, 'union member');
  return /^[aeiou]/.test(name) ? `an ${name}` : `a ${name}`;
}
