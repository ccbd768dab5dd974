// Property: for generated .proto files (nested messages, repeated and map fields, oneofs, enums,
// proto3 optional, every scalar type with 64-bit integers past 2^53) and generated messages,
// produce(format 'protobuf', messageName) registers the file in the embedded registry and
// writes framed records (message indexes for nested types), and read() gives the frame that
// protobufjs's own decode of those bytes gives when read as JSON records. The 64-bit integers
// protobufjs decodes are the ones written, exactly.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import * as protobuf from 'protobufjs';
import { recordsOf } from '../../sdk/frame/dataframe';
import { decodeMessageIndexes } from '../../sdk/registry/serdes/wire';
import { connectedRig } from './helpers';

const ctx = connectedRig(test);

/** A field: its declaration (without the number), the value generator and, for 64-bit integers, nothing else needed. */
interface FieldSpec {
  decl: (name: string, n: number) => string;
  value: fc.Arbitrary<unknown>;
  /** Nested declarations the field needs in its message (an enum or a message type). */
  nested?: string;
  /** The message type, for a field of one. */
  message?: MessageSpec;
}

const LONG = 2n ** 63n;
/** 64-bit values as protobufjs takes them without precision loss: Long-like { low, high, unsigned }. */
const longOf = (v: bigint, unsigned: boolean) => {
  const u = BigInt.asUintN(64, v);
  return { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0, unsigned, exact: v };
};
const int64 = fc.oneof(fc.bigInt(-LONG, LONG - 1n), fc.constantFrom(2n ** 53n + 1n, -(2n ** 53n) - 3n, LONG - 1n, -LONG)).map((v) => longOf(v, false));
const uint64 = fc.oneof(fc.bigInt(0n, 2n ** 64n - 1n), fc.constantFrom(2n ** 64n - 1n, 2n ** 63n + 5n)).map((v) => longOf(v, true));
const double = fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Object.is(x, -0));

const SCALARS: Record<string, fc.Arbitrary<unknown>> = {
  double,
  float: fc.float({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Object.is(x, -0)),
  int32: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  sint32: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  sfixed32: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  uint32: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  fixed32: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  int64,
  sint64: int64,
  sfixed64: int64,
  uint64,
  fixed64: uint64,
  bool: fc.boolean(),
  string: fc.string({ unit: 'grapheme', maxLength: 8 }),
  bytes: fc.uint8Array({ maxLength: 6 }).map((a) => Buffer.from(a)),
};
const LONG_TYPES = new Set(['int64', 'sint64', 'sfixed64', 'uint64', 'fixed64']);

let names = 0;

const scalarField = (label: '' | 'optional ' | 'repeated '): fc.Arbitrary<FieldSpec> =>
  fc.constantFrom(...Object.keys(SCALARS)).map((t) => ({ decl: (name, n) => `${label}${t} ${name} = ${n};`, value: label === 'repeated ' ? fc.array(SCALARS[t], { maxLength: 3 }) : SCALARS[t] }));

const enumField: fc.Arbitrary<FieldSpec> = fc.integer({ min: 1, max: 4 }).map((count) => {
  const e = `E${names++}`;
  const symbols = Array.from({ length: count }, (_, i) => `${e}_V${i}`);
  return { nested: `enum ${e} { ${symbols.map((s, i) => `${s} = ${i};`).join(' ')} }`, decl: (name, n) => `${e} ${name} = ${n};`, value: fc.constantFrom(...symbols) };
});

const mapField: fc.Arbitrary<FieldSpec> = fc.constantFrom('int32', 'int64', 'double', 'string', 'bool').map((t) => ({
  decl: (name, n) => `map<string, ${t}> ${name} = ${n};`,
  value: fc.dictionary(fc.stringMatching(/^[a-z]{1,3}$/), SCALARS[t], { maxKeys: 3 }),
}));

/** A message type: its declaration (with nested types) and a value generator. */
interface MessageSpec {
  name: string;
  text: string;
  value: fc.Arbitrary<Record<string, unknown>>;
  /** The message types nested directly in this one, in declaration order. */
  nested: MessageSpec[];
}

function messageSpec(depth: number): fc.Arbitrary<MessageSpec> {
  const field: fc.Arbitrary<FieldSpec> =
    depth <= 0
      ? fc.oneof(scalarField(''), scalarField('optional '), scalarField('repeated '), enumField)
      : fc.oneof(
          { weight: 4, arbitrary: scalarField('') },
          { weight: 1, arbitrary: scalarField('optional ') },
          { weight: 1, arbitrary: scalarField('repeated ') },
          { weight: 1, arbitrary: enumField },
          { weight: 1, arbitrary: mapField },
          {
            weight: 2,
            arbitrary: fc.tuple(fc.constant(null).chain(() => messageSpec(depth - 1)), fc.boolean()).map(([m, repeated]) => ({
              nested: m.text,
              message: m,
              decl: (name: string, n: number) => `${repeated ? 'repeated ' : ''}${m.name} ${name} = ${n};`,
              value: repeated ? fc.array(m.value, { maxLength: 2 }) : m.value,
            })),
          },
        );
  // Fields, then how many of the last ones form a oneof.
  return fc.tuple(fc.array(field, { minLength: 1, maxLength: 6 }), fc.nat(3)).map(([fields, oneofSize]) => {
    const name = `M${names++}`;
    const fieldNames = fields.map((_f, i) => `f${i + 1}`);
    const inOneof = fields.map((f, i) => i >= fields.length - Math.min(oneofSize, fields.length) && /^\w+ \w+ = \d+;$/.test(f.decl('x', 1)) && !f.decl('x', 1).startsWith('optional') && !f.decl('x', 1).startsWith('repeated') && !f.decl('x', 1).startsWith('map'));
    const decls = fields.map((f, i) => (inOneof[i] ? null : `  ${f.decl(fieldNames[i], i + 1)}`)).filter(Boolean);
    const oneof = fields.map((f, i) => (inOneof[i] ? `    ${f.decl(fieldNames[i], i + 1)}` : null)).filter(Boolean);
    const nestedText = fields.map((f) => f.nested).filter(Boolean) as string[];
    const text = [`message ${name} {`, ...nestedText.map((t) => `  ${t}`), ...decls, ...(oneof.length ? ['  oneof choice {', ...oneof, '  }'] : []), '}'].join('\n');
    const oneofMembers = fieldNames.filter((_n, i) => inOneof[i]);
    const value = fc
      .tuple(fc.tuple(...fields.map((f) => fc.option(f.value, { nil: undefined }))), fc.integer({ min: -1, max: Math.max(0, oneofMembers.length - 1) }))
      .map(([vs, chosen]) => {
        const out: Record<string, unknown> = {};
        vs.forEach((v, i) => {
          if (v === undefined) return;
          if (inOneof[i] && fieldNames[i] !== oneofMembers[chosen]) return; // at most one member of the oneof
          out[fieldNames[i]] = v;
        });
        return out;
      });
    const nested = fields.map((f) => f.message).filter(Boolean) as MessageSpec[];
    return { name, text, value, nested };
  });
}

/** Long-like values as protobufjs takes them (the test's `exact` bigint dropped). */
function forProduce(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(forProduce);
  if (v && typeof v === 'object' && !Buffer.isBuffer(v)) {
    if ('exact' in v) {
      const { low, high, unsigned } = v as unknown as { low: number; high: number; unsigned: boolean };
      return { low, high, unsigned };
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, forProduce(x)]));
  }
  return v;
}

/**
 * protobufjs's decode as a plain object (64-bit integers as decimal strings), checked against
 * what was written (64-bit integers exactly), then with those integers as numbers: the record
 * the JSON topic gets.
 */
function asJson(t: protobuf.Type, decoded: Record<string, unknown>, written: Record<string, unknown> | undefined, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(decoded)) {
    const f = t.fields[k];
    const w = written?.[k];
    const one = (x: unknown, wx: unknown, at: string): unknown => {
      if (f.resolvedType instanceof protobuf.Type) return x === null ? null : asJson(f.resolvedType, x as Record<string, unknown>, wx as Record<string, unknown>, at);
      if (LONG_TYPES.has(f.type)) {
        const exact = (wx as { exact?: bigint } | undefined)?.exact ?? 0n;
        assert.is(x, exact.toString(), `${at}: protobufjs decoded ${x}, ${exact} was written`);
        return Number(x);
      }
      return x;
    };
    if (f.map) out[k] = Object.fromEntries(Object.entries(v as object).map(([mk, mv]) => [mk, one(mv, (w as Record<string, unknown> | undefined)?.[mk], `${path}${k}.${mk}`)]));
    else if (f.repeated) out[k] = (v as unknown[]).map((x, i) => one(x, (w as unknown[] | undefined)?.[i], `${path}${k}[${i}]`));
    else out[k] = one(v, w, `${path}${k}`);
  }
  return out;
}

const frameOf = (df: Parameters<typeof recordsOf>[0]) => ({
  columns: (df.columns as string[]).filter((c) => !['_partition', '_offset', '_timestamp'].includes(c)),
  types: (df.columns as string[]).filter((c) => !c.startsWith('_')).map((c) => df.column(c).dtype),
  rows: recordsOf(df).map(({ _partition, _offset, _timestamp, ...rest }) => rest),
});

let run = 0;
test('generated .proto files and messages read like protobufjs decodes them', async () => {
  // The message written: the root (message indexes [1], after a filler message) or the k-th message nested in it ([1, k]).
  const cases = messageSpec(2).chain((root) =>
    fc.nat(root.nested.length).chain((k) => {
      const target = k < root.nested.length ? root.nested[k] : root;
      return fc.tuple(fc.constant(root), fc.constant(k < root.nested.length ? k : -1), fc.array(target.value, { minLength: 1, maxLength: 5 }));
    }),
  );
  await fc.assert(
    fc.asyncProperty(
      cases.map((c) =>
        Object.assign(c, {
          [fc.toStringMethod]: () => `${c[0].text}\nwriting ${c[1] < 0 ? c[0].name : c[0].nested[c[1]].name}: ${JSON.stringify(c[2], (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))}`,
        }),
      ),
      async ([root, k, values]) => {
        const n = run++;
        const pkg = `p${n}`;
        const file = `syntax = "proto3";\npackage ${pkg};\nmessage Filler { string x = 1; }\n${root.text}\n`;
        const messageName = k < 0 ? `${pkg}.${root.name}` : `${pkg}.${root.name}.${root.nested[k].name}`;
        const type = protobuf.parse(file, { keepCase: true }).root.lookupType(messageName);
        const indexes = k < 0 ? [1] : [1, k];
        await Promise.all([ctx.kafka.createTopic(`p-proto-${n}`), ctx.kafka.createTopic(`p-json-${n}`)]);
        await ctx.kafka.topic(`p-proto-${n}`).produce(values.map(forProduce) as Record<string, unknown>[], { format: 'protobuf', schema: file, messageName });
        // The bytes written, decoded by protobufjs alone.
        const raw = recordsOf(await ctx.kafka.topic(`p-proto-${n}`).read({ from: 'earliest', format: 'bytes' })).map((r) => Buffer.from(r.value as string, 'base64'));
        const expected = raw.map((b, i) => {
          const at = decodeMessageIndexes(b, 5);
          assert.equal(at.indexes, indexes);
          const decoded = type.toObject(type.decode(b.subarray(at.payloadStart)), { longs: String, enums: String, bytes: String, defaults: true });
          return asJson(type, decoded, values[i], '');
        });
        await ctx.kafka.topic(`p-json-${n}`).produce(expected);
        const proto = frameOf(await ctx.kafka.topic(`p-proto-${n}`).read({ from: 'earliest' }));
        const json = frameOf(await ctx.kafka.topic(`p-json-${n}`).read({ from: 'earliest' }));
        try {
          assert.equal(proto, json);
        } catch (e) {
          throw new Error(`${file}\nmessage ${messageName}\nexpected ${JSON.stringify(expected)}\nprotobuf ${JSON.stringify(proto)}\njson ${JSON.stringify(json)}`);
        }
      },
    ),
    { numRuns: Number(process.env.PROPERTY_RUNS ?? 25), endOnFailure: true },
  );
});

test.run();
