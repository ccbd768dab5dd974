// Property: for generated Avro schemas and records, produce(format 'avro') -> read() gives the
// same frame (columns, order, types, values) as the JSON path on the equivalent JSON records.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { recordsOf } from '../../sdk/frame/dataframe';
import { connectedRig } from './helpers';

const ctx = connectedRig(test);

/** A field type: its Avro schema, a generator of Avro values, and the equivalent JSON value (undefined: left out). */
interface Kind {
  avro: unknown;
  value: fc.Arbitrary<unknown>;
  json: (v: unknown) => unknown;
  /** A record type (a null of it in a union is a missing field in JSON). */
  record?: boolean;
}

let names = 0;
const same = (v: unknown) => v;
const double = fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Object.is(x, -0));
const primitives: Kind[] = [
  { avro: 'double', value: double, json: same },
  { avro: 'float', value: fc.float({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Object.is(x, -0)), json: (v) => Math.fround(v as number) },
  // avsc writes longs exactly up to 2^52 in magnitude (its zig-zag doubles them as a double).
  { avro: 'long', value: fc.integer({ min: -(2 ** 52), max: 2 ** 52 }).map(Number), json: same },
  { avro: 'int', value: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), json: same },
  { avro: 'boolean', value: fc.boolean(), json: same },
  { avro: 'string', value: fc.string({ unit: 'grapheme', maxLength: 12 }), json: same },
  { avro: 'bytes', value: fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a)), json: (v) => (v as Buffer).toString('base64') },
  { avro: { type: 'long', logicalType: 'timestamp-millis' }, value: fc.integer({ min: 0, max: 4e12 }), json: same },
  { avro: { type: 'long', logicalType: 'timestamp-micros' }, value: fc.integer({ min: 0, max: 4e12 }), json: same },
  { avro: { type: 'int', logicalType: 'date' }, value: fc.integer({ min: -1e5, max: 1e5 }).map((d) => d * 86_400_000), json: same },
  { avro: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 }, value: fc.integer({ min: -1e9, max: 1e9 }).map((c) => c / 100), json: same },
];
const enumKind = (): fc.Arbitrary<Kind> =>
  fc.uniqueArray(fc.stringMatching(/^[A-Z][A-Z0-9_]{0,4}$/), { minLength: 1, maxLength: 4 }).map((symbols) => ({
    avro: { type: 'enum', name: `E${names++}`, symbols },
    value: fc.constantFrom(...symbols),
    json: same,
  }));
const primitive: fc.Arbitrary<Kind> = fc.oneof(fc.constantFrom(...primitives), enumKind());

const nullable = (k: Kind): Kind => ({
  avro: ['null', k.avro],
  value: fc.option(k.value, { nil: null }),
  json: (v) => (v === null ? (k.record ? undefined : null) : k.json(v)),
  record: k.record,
});
const arrayOf = (k: Kind): Kind => ({ avro: { type: 'array', items: k.avro }, value: fc.array(k.value, { maxLength: 3 }), json: (v) => (v as unknown[]).map(k.json) });
const mapOf = (k: Kind): Kind => ({
  avro: { type: 'map', values: k.avro },
  value: fc.dictionary(fc.stringMatching(/^[a-z]{1,3}$/), k.value, { maxKeys: 3 }),
  json: (v) => Object.fromEntries(Object.entries(v as object).map(([x, y]) => [x, k.json(y)])),
});

function recordKind(depth: number): fc.Arbitrary<Kind> {
  const field: fc.Arbitrary<Kind> =
    depth <= 0
      ? fc.oneof(primitive, primitive.map(nullable))
      : fc.oneof(
          { weight: 4, arbitrary: primitive },
          { weight: 2, arbitrary: primitive.map(nullable) },
          { weight: 1, arbitrary: primitive.filter((k) => k.avro !== 'bytes' && (k.avro as { logicalType?: string }).logicalType !== 'decimal').map(arrayOf) },
          { weight: 1, arbitrary: fc.oneof(fc.constantFrom(...primitives.slice(0, 6)), enumKind()).map(mapOf) },
          { weight: 1, arbitrary: fc.constant(null).chain(() => recordKind(depth - 1)) },
          { weight: 1, arbitrary: fc.constant(null).chain(() => recordKind(depth - 1).map(nullable)) },
        );
  return fc.array(field, { minLength: 1, maxLength: 5 }).map((fields) => {
    const fieldNames = fields.map((_f, i) => `f${i}`);
    return {
      avro: { type: 'record', name: `R${names++}`, fields: fields.map((f, i) => ({ name: fieldNames[i], type: f.avro })) },
      value: fc.tuple(...fields.map((f) => f.value)).map((vs) => Object.fromEntries(vs.map((v, i) => [fieldNames[i], v]))),
      json: (v) => {
        const out: Record<string, unknown> = {};
        fields.forEach((f, i) => {
          const j = f.json((v as Record<string, unknown>)[fieldNames[i]]);
          if (j !== undefined) out[fieldNames[i]] = j;
        });
        return out;
      },
      record: true,
    };
  });
}

const frameOf = (df: Parameters<typeof recordsOf>[0]) => ({
  columns: (df.columns as string[]).filter((c) => !['_partition', '_offset', '_timestamp'].includes(c)),
  types: (df.columns as string[]).filter((c) => !c.startsWith('_')).map((c) => df.column(c).dtype),
  rows: recordsOf(df).map(({ _partition, _offset, _timestamp, ...rest }) => rest),
});

let run = 0;
test('generated Avro schemas and records read like the equivalent JSON', async () => {
  await fc.assert(
    fc.asyncProperty(
      recordKind(2).chain((k) => fc.tuple(fc.constant(k), fc.array(k.value, { minLength: 1, maxLength: 6 }))).map(([k, v]) => Object.assign([k, v] as [Kind, unknown[]], { toString: () => JSON.stringify(k.avro) })),
      async ([kind, values]) => {
        const n = run++;
        await Promise.all([ctx.kafka.createTopic(`p-avro-${n}`), ctx.kafka.createTopic(`p-json-${n}`)]);
        await ctx.kafka.topic(`p-avro-${n}`).produce(values as Record<string, unknown>[], { format: 'avro', schema: kind.avro as object });
        await ctx.kafka.topic(`p-json-${n}`).produce(values.map((v) => kind.json(v)) as Record<string, unknown>[]);
        const avro = frameOf(await ctx.kafka.topic(`p-avro-${n}`).read({ from: 'earliest' }));
        const json = frameOf(await ctx.kafka.topic(`p-json-${n}`).read({ from: 'earliest' }));
        try {
          assert.equal(avro, json);
        } catch (e) {
          // fast-check would print the generators: the schema, the values and the two frames say more.
          throw new Error(`schema ${JSON.stringify(kind.avro)}\nvalues ${JSON.stringify(values)}\navro ${JSON.stringify(avro)}\njson ${JSON.stringify(json)}`);
        }
      },
    ),
    { numRuns: Number(process.env.PROPERTY_RUNS ?? 25), endOnFailure: true },
  );
});

test.run();
