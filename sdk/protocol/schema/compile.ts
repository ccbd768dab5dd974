/**
 * Turns a message description (dsl.ts) into a reader and a writer for one version. Every choice
 * that depends on the version (is the field on the wire, nullable, compact, tagged) is made here,
 * once per version; the compiled codec then only walks a flat list of steps per struct.
 */
import { ProtocolError, Reader } from '../reader';
import { Writer } from '../writer';
import { inRange, ZERO_UUID, type AnyType, type Field, type Fields, type Primitive } from './dsl';

export interface Codec {
  read(r: Reader): unknown;
  write(w: Writer, v: unknown): void;
}

const EMPTY = Buffer.alloc(0);

interface Ctx {
  version: number;
  flexible: boolean;
  /** Message and field path, for error messages. */
  path: string;
}

function nullError(ctx: Ctx): Error {
  return new Error(`${ctx.path} is null, which v${ctx.version} does not allow`);
}

/* eslint-disable @typescript-eslint/no-explicit-any */
function primitiveCodec(name: Primitive, nullable: boolean, ctx: Ctx): Codec {
  const flex = ctx.flexible;
  const notNull = (write: (w: Writer, v: any) => void) => (w: Writer, v: any) => {
    if (v === null) throw nullError(ctx);
    write(w, v);
  };
  switch (name) {
    case 'int8':
      return { read: (r) => r.int8(), write: (w, v: any) => void w.int8(v) };
    case 'int16':
      return { read: (r) => r.int16(), write: (w, v: any) => void w.int16(v) };
    case 'int32':
      return { read: (r) => r.int32(), write: (w, v: any) => void w.int32(v) };
    case 'int64':
      return { read: (r) => r.int64(), write: (w, v: any) => void w.int64(v) };
    case 'uint16':
      return { read: (r) => r.uint16(), write: (w, v: any) => void w.uint16(v) };
    case 'float64':
      return { read: (r) => r.float64(), write: (w, v: any) => void w.float64(v) };
    case 'bool':
      return { read: (r) => r.boolean(), write: (w, v: any) => void w.boolean(v) };
    case 'uuid':
      return { read: (r) => r.uuid(), write: (w, v: any) => void w.uuid(v) };
    case 'string':
      if (flex) {
        return nullable
          ? { read: (r) => r.compactNullableString(), write: (w, v: any) => void w.compactNullableString(v) }
          : { read: (r) => r.compactString(), write: notNull((w, v) => w.compactString(v)) };
      }
      return nullable
        ? { read: (r) => r.nullableString(), write: (w, v: any) => void w.nullableString(v) }
        : { read: (r) => r.string(), write: notNull((w, v) => w.string(v)) };
    case 'bytes':
    case 'records':
      if (flex) {
        return nullable
          ? { read: (r) => r.compactNullableBytes(), write: (w, v: any) => void w.compactNullableBytes(v) }
          : { read: (r) => r.compactBytes(), write: notNull((w, v) => w.compactBytes(v)) };
      }
      return nullable
        ? { read: (r) => r.nullableBytes(), write: (w, v: any) => void w.nullableBytes(v) }
        : { read: (r) => r.bytes(), write: notNull((w, v) => w.bytes(v)) };
  }
}

function typeCodec(type: AnyType, nullable: boolean, ctx: Ctx): Codec {
  if (type.kind === 'primitive') return primitiveCodec(type.name, nullable, ctx);
  if (type.kind === 'struct') {
    const inner = compileStruct(type.fields, ctx);
    if (!nullable) return inner;
    // A nullable struct is preceded by a presence byte (-1 = null, 1 = present).
    return {
      read: (r) => (r.int8() < 0 ? null : inner.read(r)),
      write: (w, v) => (v === null || v === undefined ? void w.int8(-1) : (w.int8(1), inner.write(w, v))),
    };
  }
  const elem = typeCodec(type.of, false, { ...ctx, path: `${ctx.path}[]` });
  const readItem = (r: Reader) => elem.read(r);
  const writeItem = (w: Writer, v: unknown) => elem.write(w, v);
  if (ctx.flexible) {
    return nullable
      ? { read: (r) => r.compactNullableArray(readItem), write: (w, v: any) => void w.compactNullableArray(v, writeItem) }
      : { read: (r) => r.compactArray(readItem), write: notNullArray(ctx, (w, v) => w.compactArray(v, writeItem)) };
  }
  return nullable
    ? { read: (r) => r.nullableArray(readItem), write: (w, v: any) => void w.nullableArray(v, writeItem) }
    : { read: (r) => r.array(readItem), write: notNullArray(ctx, (w, v) => w.array(v, writeItem)) };
}
function notNullArray(ctx: Ctx, write: (w: Writer, v: any[]) => void): (w: Writer, v: any) => void {
  return (w, v) => {
    if (v === null) throw nullError(ctx);
    write(w, v);
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** The value a field has when it is not on the wire (or left out by the caller). */
export function defaultOf(f: Field): () => unknown {
  if (f.default !== undefined) {
    const d = f.default;
    return () => d;
  }
  if (f.tag !== undefined && f.type.kind === 'struct') return () => undefined;
  const t = f.type;
  if (t.kind === 'array') return () => [];
  if (t.kind === 'struct') {
    const defaults = Object.entries(t.fields).map(([k, sub]) => [k, defaultOf(sub)] as const);
    return () => Object.fromEntries(defaults.map(([k, d]) => [k, d()]));
  }
  switch (t.name) {
    case 'bool':
      return () => false;
    case 'string':
      return () => '';
    case 'bytes':
    case 'records':
      return () => EMPTY;
    case 'uuid':
      return () => ZERO_UUID;
    default:
      return () => 0;
  }
}

/** Tagged fields equal to their default are not written (Kafka's rule), so absent reads back equal. */
function isDefault(v: unknown, f: Field, def: () => unknown): boolean {
  if (v === undefined || v === null) return v === undefined || def() === null || f.type.kind === 'struct';
  if (Array.isArray(v)) return v.length === 0 && f.default === undefined;
  if (Buffer.isBuffer(v)) return f.type.kind === 'primitive' && f.type.name === 'uuid' ? v.equals(ZERO_UUID) : v.length === 0 && f.default === undefined;
  return v === def();
}

interface Step {
  key: string;
  codec: Codec | null;
  def: () => unknown;
}
interface TaggedStep extends Step {
  tag: number;
  field: Field;
  codec: Codec;
}

export function compileStruct(fields: Fields, ctx: Ctx): Codec {
  const all: Step[] = [];
  const wire: Array<Step & { codec: Codec }> = [];
  const tagged: TaggedStep[] = [];
  for (const [key, f] of Object.entries(fields)) {
    const sub = { ...ctx, path: `${ctx.path}.${key}` };
    const def = defaultOf(f);
    const present = inRange(f.versions, ctx.version);
    const nullable = inRange(f.nullable, ctx.version);
    if (f.tag !== undefined) {
      const step = { key, def, tag: f.tag, field: f, codec: typeCodec(f.type, nullable, sub) };
      if (present && ctx.flexible) tagged.push(step);
      all.push({ key, codec: null, def });
    } else if (present) {
      const step = { key, def, codec: typeCodec(f.type, nullable, sub) };
      wire.push(step);
      all.push(step);
    } else all.push({ key, codec: null, def });
  }
  tagged.sort((a, b) => a.tag - b.tag);
  const byTag = new Map(tagged.map((t) => [t.tag, t]));
  const flexible = ctx.flexible;

  return {
    read(r: Reader): unknown {
      const out: Record<string, unknown> = {};
      for (const s of all) out[s.key] = s.codec ? s.codec.read(r) : s.def();
      if (flexible) readTagged(r, out, byTag);
      return out;
    },
    write(w: Writer, value: unknown): void {
      const v = value as Record<string, unknown>;
      for (const s of wire) {
        const x = v[s.key];
        s.codec.write(w, x === undefined ? s.def() : x);
      }
      if (flexible) writeTagged(w, v, tagged);
    },
  };
}

function readTagged(r: Reader, out: Record<string, unknown>, byTag: Map<number, TaggedStep>): void {
  const n = r.uvarint();
  let last = -1;
  for (let i = 0; i < n; i++) {
    const tag = r.uvarint();
    if (tag <= last) throw new ProtocolError(`tagged fields out of order (tag ${tag} after ${last})`);
    last = tag;
    const size = r.uvarint();
    if (size > r.remaining) throw new ProtocolError(`tagged field ${tag} of ${size} bytes exceeds the ${r.remaining} bytes left`);
    const end = r.pos + size;
    const step = byTag.get(tag);
    if (step) {
      out[step.key] = step.codec.read(new Reader(r.buf, r.pos, end));
    }
    r.pos = end; // unknown tags are skipped, as the spec requires
  }
}

function writeTagged(w: Writer, v: Record<string, unknown>, tagged: TaggedStep[]): void {
  let count = 0;
  for (const t of tagged) if (!isDefault(v[t.key], t.field, t.def)) count++;
  w.uvarint(count);
  if (count === 0) return;
  for (const t of tagged) {
    const x = v[t.key];
    if (isDefault(x, t.field, t.def)) continue;
    const body = new Writer(64);
    t.codec.write(body, x);
    const bytes = body.toBuffer();
    w.uvarint(t.tag).uvarint(bytes.length).raw(bytes);
  }
}
