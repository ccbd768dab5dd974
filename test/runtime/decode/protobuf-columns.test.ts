// Flat Protobuf messages decode through compiled column readers (protobuf-columns.ts): the rows
// must be the ones protobufjs's decode gives (SchemaEntry.protobufValue, flattened), and a
// payload either fails with protobufjs's reason or reads the same, whatever follows on the wire
// (unknown fields, known fields with another wire type, repeated fields, garbage).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import * as protobuf from 'protobufjs';
import { ColumnSet } from '../../../sdk/runtime/decode/columns';
import { RecordDecoder } from '../../../sdk/runtime/decode/record-decoder';
import { SchemaCache } from '../../../sdk/runtime/decode/schema/schemas';
import { compileProtobufColumns } from '../../../sdk/runtime/decode/schema/protobuf-columns';
import { frame } from '../../../sdk/registry/serdes/wire';

const TYPES = ['double', 'float', 'int32', 'uint32', 'sint32', 'fixed32', 'sfixed32', 'int64', 'uint64', 'sint64', 'fixed64', 'sfixed64', 'bool', 'string', 'bytes', 'enum'];

const value = (t: string): fc.Arbitrary<unknown> => {
  switch (t) {
    case 'double':
    case 'float':
      return fc.oneof(fc.double({ noDefaultInfinity: true }), fc.constantFrom(0, -0, NaN, 1.5));
    case 'int32':
    case 'sint32':
    case 'sfixed32':
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    case 'uint32':
    case 'fixed32':
      return fc.integer({ min: 0, max: 2 ** 32 - 1 });
    case 'int64':
    case 'sint64':
    case 'sfixed64':
      return fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n).map(String);
    case 'uint64':
    case 'fixed64':
      return fc.bigInt(0n, 2n ** 64n - 1n).map(String);
    case 'bool':
      return fc.boolean();
    case 'string':
      return fc.oneof(fc.string({ maxLength: 6 }), fc.string({ unit: 'grapheme', maxLength: 4 }));
    case 'bytes':
      return fc.uint8Array({ maxLength: 5 }).map((a) => Buffer.from(a).toString('base64'));
    default:
      return fc.constantFrom('A', 'B', 'C');
  }
};

/**
 * A varint of `len` bytes (at least as many as `v` needs: overlong when more), with `top` ORed into
 * a fifth byte: the encodings decoders disagree on (protobufjs 8 rejects a tag's fifth byte above 15
 * and a length prefix's above 7, and any length prefix longer than five bytes).
 */
function varint(v: number, len: number, top: number): number[] {
  let need = 1;
  while (need < 5 && v >= 2 ** (7 * need)) need++;
  const n = Math.max(len, need);
  return Array.from({ length: n }, (_x, i) => (i < 5 ? Math.floor(v / 2 ** (7 * i)) & 127 : 0) | (i === 4 ? top : 0) | (i < n - 1 ? 128 : 0));
}

/** Bytes that may follow a message on the wire: fields of any number and wire type, or garbage. */
const trailer = fc.oneof(
  // Tags and length prefixes in padded or out-of-range encodings.
  fc
    .tuple(fc.integer({ min: 1, max: 40 }), fc.constantFrom(0, 2), fc.integer({ min: 1, max: 7 }), fc.constantFrom(0, 0, 8, 16, 64), fc.integer({ min: 1, max: 7 }), fc.constantFrom(0, 0, 8, 16), fc.uint8Array({ maxLength: 4 }))
    .map(([n, w, tagLen, tagTop, lenLen, lenTop, body]) => Buffer.from([...varint(n * 8 + w, tagLen, tagTop), ...(w === 0 ? varint(body.length, lenLen, lenTop) : [...varint(body.length, lenLen, lenTop), ...body])])),
  fc.tuple(fc.integer({ min: 1, max: 40 }), fc.constantFrom(0, 1, 2, 5), fc.uint8Array({ minLength: 8, maxLength: 8 })).map(([n, w, bytes]) => {
    const wr = protobuf.Writer.create().uint32((n << 3) | w);
    if (w === 0) wr.uint64(Buffer.from(bytes).readBigUInt64LE().toString() as unknown as number);
    else if (w === 1) wr.fixed64(Buffer.from(bytes).readBigUInt64LE().toString() as unknown as number);
    else if (w === 2) wr.bytes(bytes.subarray(0, bytes[0] % 6));
    else wr.fixed32(Buffer.from(bytes).readUInt32LE());
    return Buffer.from(wr.finish());
  }),
  fc.uint8Array({ maxLength: 4 }).map((a) => Buffer.from(a)),
);

test('property: flat messages read through the compiled reader as protobufjs decodes them', async () => {
  let n = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.constantFrom(...TYPES), { minLength: 1, maxLength: 8 }).chain((types) =>
        fc.tuple(fc.constant(types), fc.array(fc.tuple(fc.tuple(...types.map((t) => fc.option(value(t), { nil: undefined }))), fc.array(trailer, { maxLength: 2 })), { minLength: 1, maxLength: 8 }), fc.subarray(types.map((_t, i) => `f${i + 1}`))),
      ),
      async ([types, records, columns]) => {
        const proto = `syntax = "proto3";\npackage q${n++};\nmessage Flat {\n  enum E { A = 0; B = 1; C = 2; }\n${types.map((t, i) => `  ${t === 'enum' ? 'E' : t} f${i + 1} = ${i + 1};`).join('\n')}\n}\n`;
        const type = protobuf.parse(proto, { keepCase: true }).root.lookupType('Flat');
        assert.ok(compileProtobufColumns(type), 'a flat message compiles');
        const cache = new SchemaCache({ schemaById: async () => ({ schemaType: 'PROTOBUF', schema: proto, references: [] }), resolveReferences: async () => [] });
        await cache.load([1]);
        const entry = cache.get(1)!;
        for (const keep of [null, columns]) {
          const set = new ColumnSet(undefined, 4);
          const d = new RecordDecoder(set, { schemas: cache, columns: keep ?? undefined });
          const expected = new ColumnSet(undefined, 4);
          records.forEach(([vals, extra], i) => {
            const obj = Object.fromEntries(vals.map((v, j) => [`f${j + 1}`, v]).filter(([, v]) => v !== undefined));
            const payload = Buffer.concat([Buffer.from(type.encode(type.fromObject(obj)).finish()), ...extra]);
            const framed = frame(1, payload, [0]);
            let want: unknown;
            let reason: string | undefined;
            try {
              want = entry.protobufValue(framed, 0, framed.length);
            } catch (e) {
              reason = `Protobuf payload does not match its schema (${(e as Error).message})`;
            }
            assert.is(d.add(null, framed, 0, i, 0), reason);
            // protobufjs's value through the same column rules (types, widening, text for mixed columns).
            if (reason === undefined) assert.is(expected.addValue(want, (name) => keep === null || keep.includes(name)), undefined);
          });
          const rows = (s: ColumnSet) => Array.from({ length: s.rows }, (_, r) => Object.fromEntries(s.columns.filter((c) => !c.name.startsWith('_')).map((c) => [c.name, c.get(r)])));
          assert.equal(rows(set), rows(expected));
          assert.equal(set.warnings, expected.warnings);
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('messages that are not flat are not compiled', () => {
  const root = protobuf.parse(
    `syntax = "proto3";\nmessage A { repeated int32 x = 1; }\nmessage B { optional int32 x = 1; }\nmessage C { oneof o { int32 x = 1; } }\nmessage D { A a = 1; }\nmessage E { map<string, int32> m = 1; }\nmessage F { int32 x = 1; string s = 2; }`,
    { keepCase: true },
  ).root;
  assert.equal(['A', 'B', 'C', 'D', 'E', 'F'].map((m) => compileProtobufColumns(root.lookupType(m)) !== undefined), [false, false, false, false, false, true]);
});

test.run();
