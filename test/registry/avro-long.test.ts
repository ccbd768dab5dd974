// Avro longs are exact for every value avsc accepts (|n| <= 2^53 - 2): avsc 5.7 zig-zags them in
// doubles and flips the sign of negatives below -2^52 both ways (sdk/registry/serdes/avro-long.ts).
// Checked against a BigInt zig-zag varint written from the spec, through avsc's long and int types,
// records, arrays and logical timestamps, the SchemaCodec, and read()'s compiled column reader.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import * as avsc from 'avsc';
import { installExactAvroLongs } from '../../sdk/registry/serdes/avro-long';
import { avroCodec, compileAvro } from '../../sdk/registry/serdes/avro';
import { ColumnSet } from '../../sdk/runtime/decode/columns';
import { RecordDecoder } from '../../sdk/runtime/decode/record-decoder';
import { SchemaCache } from '../../sdk/runtime/decode/schema/schemas';
import { frame } from '../../sdk/registry/serdes/wire';

/** The Avro spec's long: zig-zag (n << 1) ^ (n >> 63), then 7 bits a byte, low first. */
function reference(n: bigint): Buffer {
  let z = BigInt.asUintN(64, (n << 1n) ^ (n >> 63n));
  const out: number[] = [];
  do {
    const b = Number(z & 127n);
    z >>= 7n;
    out.push(z ? b | 128 : b);
  } while (z);
  return Buffer.from(out);
}

const LIMIT = 2n ** 53n - 2n; // avsc's long accepts |n| up to here
const longs = fc.oneof(
  fc.bigInt(-LIMIT, LIMIT),
  fc.bigInt(2n ** 52n - 64n, LIMIT).map((n) => -n), // the negatives avsc got wrong
  fc.constantFrom(0n, -1n, 2n ** 52n, -(2n ** 52n), -(2n ** 52n) - 1n, LIMIT, -LIMIT, -(2n ** 30n) - 1n, 2n ** 30n, -(2n ** 31n)),
);

test('avsc is patched (the installed avsc rounds longs past 2^52)', () => {
  assert.is(installExactAvroLongs(), 'patched');
});

test('property: long values write the spec bytes and read back exactly, bare, in records, arrays and timestamps', () => {
  const long = avsc.Type.forSchema('long');
  // With kafkalab's logical types (timestamp-millis as epoch ms over a long).
  const rec = compileAvro(JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'long' }, { name: 'xs', type: { type: 'array', items: 'long' } }, { name: 't', type: { type: 'long', logicalType: 'timestamp-millis' } }] }));
  fc.assert(
    fc.property(longs, longs, (a, b) => {
      const n = Number(a);
      assert.equal(long.toBuffer(n), reference(a), `bytes of ${a}`);
      assert.is(long.fromBuffer(reference(a)), n, `read of ${a}`);
      const bytes = Buffer.concat([reference(a), reference(2n), reference(b), reference(a), reference(0n), reference(b)]);
      assert.equal(rec.toBuffer({ a: n, xs: [Number(b), n], t: Number(b) }), bytes);
      assert.equal({ ...rec.fromBuffer(bytes) }, { a: n, xs: [Number(b), n], t: Number(b) });
    }),
    { numRuns: 2000 },
  );
});

test('property: ints write the spec bytes and read back exactly (avsc shares the varint code)', () => {
  const int = avsc.Type.forSchema('int');
  fc.assert(
    fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (n) => {
      assert.equal(int.toBuffer(n), reference(BigInt(n)));
      assert.is(int.fromBuffer(reference(BigInt(n))), n);
    }),
    { numRuns: 2000 },
  );
});

test('a long beyond avsc range is still refused both ways, not rounded', () => {
  const long = avsc.Type.forSchema('long');
  assert.throws(() => long.toBuffer(2 ** 60), /invalid "long"/);
  assert.throws(() => long.fromBuffer(reference(-(2n ** 60n) - 1n)), /precision loss/);
});

test('property: the codec and read()\'s compiled column reader give the value the bytes hold', async () => {
  const schema = JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'long' }, { name: 'b', type: 'long' }] });
  const codec = avroCodec(schema);
  const cache = new SchemaCache({ schemaById: async () => ({ schemaType: 'AVRO', schema, references: [] }), resolveReferences: async () => [] });
  await cache.load([1]);
  fc.assert(
    fc.property(fc.array(fc.tuple(longs, longs), { minLength: 1, maxLength: 20 }), (pairs) => {
      const set = new ColumnSet(undefined, 8);
      const d = new RecordDecoder(set, { schemas: cache });
      pairs.forEach(([a, b], i) => {
        const payload = Buffer.concat([reference(a), reference(b)]);
        assert.equal(codec.encode({ a: Number(a), b: Number(b) }), payload);
        assert.equal({ ...(codec.decode(payload) as object) }, { a: Number(a), b: Number(b) });
        assert.is(d.add(null, frame(1, payload), 0, i, 0), undefined);
      });
      assert.equal(
        Array.from({ length: set.rows }, (_, r) => [set.column('a').get(r), set.column('b').get(r)]),
        pairs.map(([a, b]) => [Number(a), Number(b)]),
      );
    }),
    { numRuns: 300 },
  );
});

test.run();
