/**
 * Avro payloads straight into typed columns. A writer schema is compiled once into a JavaScript
 * function (code generated from avsc's parsed schema) that reads the binary encoding field by
 * field and pushes each value into its column: no record object, no flattening pass. The cells
 * are those the JSON path gives for the equivalent JSON record (values.ts):
 *
 * - records flatten to `a.b`; a union with null is a missing value (null) when null;
 * - enums are their symbol, uuids (strings) text, bytes and fixed base64 text;
 * - timestamp-millis/micros/nanos (and local-) as epoch milliseconds, date as the epoch
 *   milliseconds of its day, decimal (bytes or fixed) as a number;
 * - arrays as their JSON text, maps flattened as JSON objects (`tags.k`), like JSON's objects;
 * - a record type nested in itself (a recursive schema) flattens like JSON, depth-limited.
 *
 * Unions of several non-null types write whichever branch the record holds into one column
 * (which widens by the usual rules); a union of records writes the fields of the branch held.
 */
import type * as avro from 'avsc';
import type { Column, ColumnSet } from '../columns';
import { flattenValue } from '../flatten';
import { StringCache } from '../intern';
import { META_NAMES } from './meta';

/* eslint-disable @typescript-eslint/no-explicit-any */

const DAY_MS = 86_400_000;

/** A compiled writer schema: bind it to a column set to decode into it. */
export interface AvroColumnPlan {
  /** Flattened names the generated code writes directly, by index. */
  readonly names: string[];
  bind(set: ColumnSet, allowed: Set<string> | null): AvroColumnReader;
}

/** Reads one payload b[start, end) into the current row; returns why it cannot, else undefined. */
export type AvroColumnReader = (b: Buffer, start: number, end: number) => string | undefined;

/** How a value goes into its column: an integer, any number, text, or a boolean. */
type Kind = 'int' | 'number' | 'string' | 'value';

/** Where a reader is: `p` in the buffer, reading no further than `end` (the record's end, not the buffer's). */
export interface ReadState {
  p: number;
  end: number;
}

export type Reader = (b: Buffer, st: ReadState) => unknown;

/**
 * Thrown when a read would go past the record's end: the reason is then the same whether the
 * record sits inside a fetched batch (read()) or in a buffer of its own (an app's message).
 */
const SHORT = new RangeError('Avro payload shorter than its schema');

/** Helpers the generated code calls (the Avro readers here, and the Protobuf readers of protobuf-columns.ts). */
export class Helpers {
  readonly strings = new StringCache();
  /** A DataView over the last buffer read: V8 reads floats through it faster than through Buffer's methods. */
  private buf: Buffer | undefined;
  private dv: DataView | undefined;

  view(b: Buffer): DataView {
    if (b !== this.buf) {
      this.buf = b;
      this.dv = new DataView(b.buffer, b.byteOffset, b.length);
    }
    return this.dv!;
  }

  double(b: Buffer, p: number): number {
    return this.view(b).getFloat64(p, true);
  }

  float(b: Buffer, p: number): number {
    return this.view(b).getFloat32(p, true);
  }

  text(b: Buffer, start: number, len: number, end: number): string {
    if (len < 0) throw new RangeError(`negative string length ${len}`);
    if (start + len > end) throw SHORT;
    return this.strings.get(b, start, start + len);
  }

  base64(b: Buffer, start: number, len: number, end: number): string {
    if (len < 0) throw new RangeError(`negative bytes length ${len}`);
    if (start + len > end) throw SHORT;
    return b.toString('base64', start, start + len);
  }
}

/** Two's-complement big-endian unscaled integer over 10^scale. */
function decimal(b: Buffer, start: number, len: number, scale: number, end: number): number {
  if (len < 0) throw new RangeError(`negative decimal length ${len}`);
  if (start + len > end) throw SHORT;
  if (len === 0) return 0;
  if (len <= 6) {
    let n = 0;
    for (let i = 0; i < len; i++) n = n * 256 + b[start + i];
    if (b[start] & 0x80) n -= 2 ** (len * 8);
    return n / 10 ** scale;
  }
  let n = 0n;
  for (let i = 0; i < len; i++) n = (n << 8n) | BigInt(b[start + i]);
  if (b[start] & 0x80) n -= 1n << BigInt(len * 8);
  return Number(n) / 10 ** scale;
}

/**
 * Reads a zig-zag varint long at st.p as a double, exact to 2^53: the sign bit (the first
 * byte's lowest) is taken apart first, so the magnitude never needs 54 bits.
 */
function readLong(b: Buffer, st: ReadState): number {
  if (st.p >= st.end) throw SHORT;
  let x = b[st.p++];
  const negative = x & 1;
  let n = (x & 0x7f) >>> 1;
  let s = 64;
  while (x >= 0x80) {
    if (st.p >= st.end) throw SHORT;
    x = b[st.p++];
    n += (x & 0x7f) * s;
    s *= 128;
    if (s > 2 ** 70) throw new RangeError('varint too long');
  }
  return negative ? -n - 1 : n;
}

/** The logical type name of an avsc type ('timestamp-millis'...), or undefined. */
function logicalName(t: any): string | undefined {
  return typeof t.typeName === 'string' && t.typeName.startsWith('logical:') ? t.typeName.slice(8) : undefined;
}

function under(t: any): any {
  return logicalName(t) ? t.underlyingType : t;
}

/** Milliseconds per unit of a time logical type; undefined for others. */
function timeScale(name: string | undefined): { mul?: number; div?: number } | undefined {
  switch (name) {
    case 'timestamp-millis':
    case 'local-timestamp-millis':
      return {};
    case 'timestamp-micros':
    case 'local-timestamp-micros':
      return { div: 1000 };
    case 'timestamp-nanos':
    case 'local-timestamp-nanos':
      return { div: 1e6 };
    case 'date':
      return { mul: DAY_MS };
    default:
      return undefined;
  }
}

/**
 * A reader of whole values (arrays, maps, recursive records): plain JavaScript values by the
 * same rules as the columns (unions unwrapped, enums as symbols, bytes as base64, logical types
 * converted), so that their JSON text or flattened cells match the JSON path's.
 */
export function valueReader(type: any, h: Helpers = new Helpers(), named = new Map<any, Reader>()): Reader {
  const logical = logicalName(type);
  const u = under(type);
  if (logical === 'decimal') {
    const scale = type.scale ?? 0;
    return u.typeName === 'fixed' ? fixedSize(u.size, (b, p, end) => decimal(b, p, u.size, scale, end)) : sized((b, p, len, end) => decimal(b, p, len, scale, end));
  }
  const time = timeScale(logical);
  if (time) return (b, st) => (time.mul ? readLong(b, st) * time.mul : time.div ? readLong(b, st) / time.div : readLong(b, st));
  switch (u.typeName) {
    case 'null':
      return () => null;
    case 'boolean':
      return (b, st) => {
        if (st.p >= st.end) throw SHORT;
        return b[st.p++] === 1;
      };
    case 'int':
    case 'long':
      return readLong;
    case 'float':
      return fixedSize(4, (b, p) => h.float(b, p));
    case 'double':
      return fixedSize(8, (b, p) => h.double(b, p));
    case 'string':
      return sized((b, p, len, end) => h.text(b, p, len, end));
    case 'bytes':
      return sized((b, p, len, end) => h.base64(b, p, len, end));
    case 'fixed':
      return fixedSize(u.size, (b, p, end) => h.base64(b, p, u.size, end));
    case 'enum': {
      const symbols: string[] = u.symbols;
      return (b, st) => {
        const i = readLong(b, st);
        if (!(i >= 0 && i < symbols.length)) throw new RangeError(`enum index ${i} out of range`);
        return symbols[i];
      };
    }
    case 'array': {
      let item: Reader | undefined;
      return (b, st) => {
        item ??= valueReader(u.itemsType, h, named);
        const out: unknown[] = [];
        for (let n = blockCount(b, st); n !== 0; n = blockCount(b, st)) for (let i = 0; i < n; i++) out.push(item(b, st));
        return out;
      };
    }
    case 'map': {
      let value: Reader | undefined;
      return (b, st) => {
        value ??= valueReader(u.valuesType, h, named);
        const out: Record<string, unknown> = {};
        for (let n = blockCount(b, st); n !== 0; n = blockCount(b, st)) {
          for (let i = 0; i < n; i++) {
            const len = readLong(b, st);
            const k = h.text(b, st.p, len, st.end);
            st.p += len;
            out[k] = value(b, st);
          }
        }
        return out;
      };
    }
    case 'union:unwrapped':
    case 'union:wrapped': {
      const branches: Reader[] = u.types.map((t: any) => valueReader(t, h, named));
      return (b, st) => {
        const i = readLong(b, st);
        const r = branches[i];
        if (!r) throw new RangeError(`union branch ${i} out of range`);
        return r(b, st);
      };
    }
    case 'record':
    case 'error': {
      const known = named.get(u);
      if (known) return known;
      let fields: { name: string; read: Reader }[] | undefined;
      const read: Reader = (b, st) => {
        const fs = (fields ??= u.fields.map((f: any) => ({ name: f.name, read: valueReader(f.type, h, named) })) as { name: string; read: Reader }[]);
        const out: Record<string, unknown> = {};
        for (const f of fs) out[f.name] = f.read(b, st);
        return out;
      };
      named.set(u, read);
      return read;
    }
    default:
      throw new Error(`unsupported Avro type ${u.typeName}`);
  }
}

/** A reader of `size` bytes. */
function fixedSize(size: number, read: (b: Buffer, p: number, end: number) => unknown): Reader {
  return (b, st) => {
    if (st.p + size > st.end) throw SHORT;
    const v = read(b, st.p, st.end);
    st.p += size;
    return v;
  };
}

/** A reader of a length (a long), then that many bytes. */
function sized(read: (b: Buffer, p: number, len: number, end: number) => unknown): Reader {
  return (b, st) => {
    const len = readLong(b, st);
    const v = read(b, st.p, len, st.end);
    st.p += len;
    return v;
  };
}

/** An array or map block's item count (a negative count is followed by the block's byte size). */
function blockCount(b: Buffer, st: ReadState): number {
  let n = readLong(b, st);
  if (n < 0) {
    n = -n;
    readLong(b, st);
  }
  if (n > st.end - st.p + 1 && n > 1 << 20) throw new RangeError(`block of ${n} items past the end`);
  return n;
}

/**
 * Code generation state for one schema bound to one choice of columns (`keep`, by name index;
 * undefined while the names are only being collected). Numbers are appended straight into the
 * column's Float64Array when it already has their type and room (Column.pushNumber's own rule,
 * spelled out here so that no per-field call boxes the double), else through pushNumber.
 */
class Gen {
  readonly names: string[] = [];
  private readonly index = new Map<string, number>();
  /** Constants the generated code refers to as K[i]. */
  readonly consts: unknown[] = [];
  private tmp = 0;
  /**
   * 'checked': every append checks the column's type and room (pushNumber's rule). 'fast': the
   * run mode (see compileAvroColumns), appending at row L of storage checked once for the run.
   */
  mode: 'checked' | 'fast' = 'checked';
  /** What each column index is written as (null aside): one kind per column, or the run mode is off. */
  readonly kinds = new Map<number, Kind>();
  /** Whether every record writes every column it keeps, each with one kind (the run mode's condition). */
  runnable = true;

  constructor(
    readonly h: Helpers,
    private readonly keep?: readonly boolean[],
  ) {}

  col(name: string): number {
    let i = this.index.get(name);
    if (i === undefined) {
      i = this.names.length;
      this.names.push(name);
      this.index.set(name, i);
    }
    return i;
  }

  konst(v: unknown): number {
    this.consts.push(v);
    return this.consts.length - 1;
  }

  var(): string {
    return `v${this.tmp++}`;
  }

  /** The column of name index i, bound on first write (columns appear in first-seen order, as JSON's do). */
  private column(i: number): string {
    return `(c${i} || (c${i} = B(${i})))`;
  }

  /**
   * Statements that push the JS expression `expr` into column `name`: 'int' a number known to be
   * an integer, 'number' any number, 'string' text, 'value' anything else. The expression is
   * evaluated even for a column left out (`columns` option): its checks are the record's.
   */
  push(name: string, expr: string, how: Kind): string {
    const i = this.col(name);
    if (META_NAMES.has(name)) return `S.write(N[${i}], ${expr});`;
    if (!this.keep?.[i]) return `${expr};`;
    const had = this.kinds.get(i);
    if (had !== undefined && had !== how && !(had === 'int' && how === 'number') && !(had === 'number' && how === 'int')) this.runnable = false;
    this.kinds.set(i, had === 'number' || how === 'number' ? 'number' : how);
    if (this.mode === 'fast') return how === 'value' ? `f${i}[L] = (${expr}) ? 1 : 0;` : `f${i}[L] = ${expr};`;
    const c = this.column(i);
    switch (how) {
      case 'int':
      case 'number': {
        const fits = how === 'int' ? `($c.type === 'int' || $c.type === 'float')` : `($c.type === 'float' || ($c.type === 'int' && Number.isInteger($v)))`;
        return `{ const $c = ${c}; const $v = ${expr}; if (${fits} && $c.length < $c.num.length) $c.num[$c.length++] = $v; else { const $w = $c.pushNumber($v); if ($w !== undefined) S.warn($w); } }`;
      }
      case 'string':
        return `{ const $w = ${c}.pushString(${expr}); if ($w !== undefined) S.warn($w); }`;
      default:
        return `{ const $w = ${c}.push(${expr}); if ($w !== undefined) S.warn($w); }`;
    }
  }

  pushNull(name: string): string {
    const i = this.col(name);
    if (META_NAMES.has(name)) return `S.write(N[${i}], null);`;
    if (!this.keep?.[i]) return '';
    if (this.mode === 'fast') return `{ c${i}.length = L; c${i}.pushNull(); }`;
    return `${this.column(i)}.pushNull();`;
  }

  /**
   * The run mode's check, after a record written the checked way: the number of further records
   * that can be appended at row L with no check (each column bound, of the type its kind needs,
   * with room in its storage, whose reference `f<i>` it takes); 0 when any is not.
   */
  runCheck(): string {
    const lines = ['let r = 1e15;'];
    for (const [i, kind] of this.kinds) {
      lines.push(`if (c${i} === undefined || c${i}.length !== L1) return 0;`);
      if (kind === 'string') {
        lines.push(`if (c${i}.type !== 'string') return 0; f${i} = c${i}.str;`);
        continue;
      }
      const type = kind === 'int' ? `(c${i}.type === 'int' || c${i}.type === 'float')` : kind === 'number' ? `(c${i}.type === 'float')` : `(c${i}.type === 'bool')`;
      lines.push(`if (!${type}) return 0; f${i} = c${i}.num; if (f${i}.length - L1 < r) r = f${i}.length - L1;`);
    }
    lines.push('return r;');
    return `function runCheck(L1) {\n${lines.join('\n')}\n}`;
  }

  /** Columns that have been written at row L in the run mode: their length says so. */
  runEnd(): string {
    return [...this.kinds.keys()].map((i) => `c${i}.length = L + 1;`).join(' ');
  }

  /** Statements reading a zig-zag varint long into `target` (as readLong does). */
  long(target: string): string {
    const x = this.var();
    const s = this.var();
    const neg = this.var();
    return `{ if (p >= end) throw SHORT; let ${x} = b[p++]; const ${neg} = ${x} & 1; ${target} = (${x} & 127) >>> 1; if (${x} >= 128) { let ${s} = 64; do { if (p >= end) throw SHORT; ${x} = b[p++]; ${target} += (${x} & 127) * ${s}; ${s} *= 128; if (${s} > 1e21) throw new RangeError('varint too long'); } while (${x} >= 128); } if (${neg}) ${target} = -${target} - 1; }`;
  }

  /** Code reading a value of `type` at `name` into the columns. */
  emit(type: any, name: string, stack: Set<any>): string {
    const logical = logicalName(type);
    const u = under(type);
    const time = timeScale(logical);
    if (logical === 'decimal') {
      const v = this.var();
      const n = this.var();
      const scale = type.scale ?? 0;
      if (u.typeName === 'fixed') return `{ const ${v} = D(b, p, ${u.size}, ${scale}, end); p += ${u.size}; ${this.push(name, v, 'number')} }`;
      return `{ let ${n}; ${this.long(n)} const ${v} = D(b, p, ${n}, ${scale}, end); p += ${n}; ${this.push(name, v, 'number')} }`;
    }
    if (time) {
      const v = this.var();
      const conv = time.mul ? `${v} * ${time.mul}` : time.div ? `${v} / ${time.div}` : v;
      return `{ let ${v}; ${this.long(v)} ${this.push(name, conv, time.div ? 'number' : 'int')} }`;
    }
    switch (u.typeName) {
      case 'null':
        return this.pushNull(name);
      case 'boolean':
        return `{ if (p >= end) throw SHORT; const x = b[p++]; if (x > 1) throw new RangeError('bad boolean'); ${this.push(name, 'x === 1', 'value')} }`;
      case 'int':
      case 'long': {
        const v = this.var();
        return `{ let ${v}; ${this.long(v)} ${this.push(name, v, 'int')} }`;
      }
      case 'float': {
        const v = this.var();
        return `{ if (p + 4 > end) throw SHORT; const ${v} = V.getFloat32(p, true); p += 4; ${this.pushNumberOrNull(name, v)} }`;
      }
      case 'double': {
        const v = this.var();
        return `{ if (p + 8 > end) throw SHORT; const ${v} = V.getFloat64(p, true); p += 8; ${this.pushNumberOrNull(name, v)} }`;
      }
      case 'string': {
        const n = this.var();
        return `{ let ${n}; ${this.long(n)} ${this.push(name, `H.text(b, p, ${n}, end)`, 'string')} p += ${n}; }`;
      }
      case 'bytes': {
        const n = this.var();
        return `{ let ${n}; ${this.long(n)} ${this.push(name, `H.base64(b, p, ${n}, end)`, 'string')} p += ${n}; }`;
      }
      case 'fixed':
        return `{ ${this.push(name, `H.base64(b, p, ${u.size}, end)`, 'string')} p += ${u.size}; }`;
      case 'enum': {
        const k = this.konst(u.symbols);
        const i = this.var();
        return `{ let ${i}; ${this.long(i)} const sym = K[${k}][${i}]; if (sym === undefined) throw new RangeError('enum index ' + ${i} + ' out of range'); ${this.push(name, 'sym', 'string')} }`;
      }
      case 'array': {
        const k = this.konst(valueReader(u, this.h));
        return `{ st.p = p; st.end = end; const arr = K[${k}](b, st); p = st.p; ${this.push(name, 'JSON.stringify(arr)', 'string')} }`;
      }
      case 'map':
        return this.whole(u, name);
      case 'union:unwrapped':
      case 'union:wrapped': {
        const i = this.var();
        const hasPrimitive = u.types.some((t: any) => !['null', 'record', 'error'].includes(under(t).typeName));
        if (u.types.some((t: any) => ['record', 'error'].includes(under(t).typeName))) this.runnable = false;
        const cases = u.types.map((t: any, j: number) => {
          const body = under(t).typeName === 'null' ? (hasPrimitive ? this.pushNull(name) : '') : this.emit(t, name, stack);
          return `case ${j}: ${body} break;`;
        });
        return `{ let ${i}; ${this.long(i)} switch (${i}) { ${cases.join(' ')} default: throw new RangeError('union branch ' + ${i} + ' out of range'); } }`;
      }
      case 'record':
      case 'error': {
        if (stack.has(u)) return this.whole(u, name);
        stack.add(u);
        const body = u.fields.map((f: any) => this.emit(f.type, name ? `${name}.${f.name}` : f.name, stack)).join('\n');
        stack.delete(u);
        return body;
      }
      default:
        throw new Error(`unsupported Avro type ${u.typeName}`);
    }
  }

  /** NaN is a null cell, as the JSON path has it (values.ts). */
  private pushNumberOrNull(name: string, v: string): string {
    return `if (${v} !== ${v}) { ${this.pushNull(name)} } else { ${this.push(name, v, 'number')} }`;
  }

  /** A value read whole and flattened as a JSON object would be (maps, recursive records). */
  private whole(type: any, name: string): string {
    this.runnable = false;
    const k = this.konst(valueReader(type, this.h));
    return `{ st.p = p; st.end = end; const obj = K[${k}](b, st); p = st.p; const why = F(${JSON.stringify(name)}, obj); if (why !== undefined) return why; }`;
  }
}

type Factory = (...args: unknown[]) => AvroColumnReader;
const factories = new Map<string, (...args: unknown[]) => unknown>();
const FACTORIES = 256;

/**
 * Generated source as a function of `params`, one per distinct source in the process (the Avro
 * readers here and the Protobuf readers of protobuf-columns.ts): each read compiles its schemas
 * anew, and reusing the function lets V8 reuse the optimized code it made for the last read
 * (closures of one function share it) instead of warming up a new function from the
 * interpreter for each read.
 */
export function generatedFunction(params: readonly string[], source: string): (...args: unknown[]) => unknown {
  const key = `${params.join(',')}\n${source}`;
  let f = factories.get(key);
  if (f === undefined) {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    f = new Function(...params, source) as (...args: unknown[]) => unknown;
    if (factories.size >= FACTORIES) factories.delete(factories.keys().next().value as string);
    factories.set(key, f);
  }
  return f;
}

const AVRO_PARAMS = ['B', 'N', 'S', 'H', 'K', 'D', 'F', 'SHORT'];

/** Compiles an avsc writer type (a record, or any type as the single cell `value`). */
export function compileAvroColumns(type: avro.Type): AvroColumnPlan {
  const top = under(type as any);
  const root = top.typeName === 'record' || top.typeName === 'error' ? '' : 'value';
  const names = new Gen(new Helpers());
  names.emit(type, root, new Set());
  // One generated function per choice of columns (most reads keep all of them).
  const made = new Map<string, { make: (...args: unknown[]) => AvroColumnReader; gen: Gen }>();
  const generate = (keep: boolean[]) => {
    const gen = new Gen(new Helpers(), keep);
    const body = gen.emit(type, root, new Set());
    const slots = gen.names.map((_n, i) => `c${i}, f${i}`).join(', ');
    const tail = `if (p !== end) return p > end ? 'Avro payload shorter than its schema' : 'Avro payload longer than its schema';`;
    let source: string;
    if (!gen.runnable) {
      source = `const st = { p: 0, end: 0 };\n${slots ? `let ${slots};\n` : ''}return function avroRecord(b, start, end) {\nlet p = start;\nconst V = H.view(b);\n${body}\n${tail}\nreturn undefined;\n};`;
    } else {
      gen.mode = 'fast';
      const fast = gen.emit(type, root, new Set());
      // The run mode: after a record written the checked way, runCheck says how many more can be
      // written at row L straight into the storage it checked. A run lasts while nothing else
      // touched the set: its row count is the one this reader left, its epoch unchanged (no
      // clear, truncate or aborted row).
      source = [
        'const st = { p: 0, end: 0 };',
        slots ? `let ${slots};` : '',
        'let run = 0, at = -1, epoch = -1;',
        gen.runCheck(),
        'return function avroRecord(b, start, end) {',
        'let p = start;',
        'const V = H.view(b);',
        'const L = S.rows;',
        'if (run > 0 && L === at && S.epoch === epoch) {',
        'run--;',
        fast,
        tail,
        gen.runEnd(),
        'at = L + 1;',
        'return undefined;',
        '}',
        body,
        tail,
        'run = runCheck(L + 1); at = L + 1; epoch = S.epoch;',
        'return undefined;',
        '};',
      ].join('\n');
    }
    return { make: generatedFunction(AVRO_PARAMS, source) as Factory, gen };
  };
  return {
    names: names.names,
    bind(set, allowed) {
      const keep = names.names.map((n) => allowed === null || allowed.has(n));
      const key = keep.map((k) => (k ? 1 : 0)).join('');
      let code = made.get(key);
      if (!code) made.set(key, (code = generate(keep)));
      const gen = code.gen;
      const bind = (i: number) => set.column(gen.names[i]);
      const flat = (name: string, obj: unknown) => {
        const emit = (n: string, v: import('../values').CellValue) => {
          if (allowed === null || allowed.has(n)) set.write(n, v);
        };
        return name === '' ? flattenValue(obj, emit) : flattenValue({ [name]: obj }, emit);
      };
      const read = code.make(bind, gen.names, set, gen.h, gen.consts, decimal, flat, SHORT);
      return (b, start, end) => {
        try {
          return read(b, start, end);
        } catch (e) {
          return e === SHORT ? SHORT.message : `Avro payload does not match its schema (${(e as Error).message})`;
        }
      };
    },
  };
}
