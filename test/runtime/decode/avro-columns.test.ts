// Avro's generated column readers append numbers straight into the columns' storage when the
// column already has their type and room: these cases leave that fast path (a column that
// widens, turns to text, grows past its capacity, is left out, or a record that fails half way)
// and check that the rows are still the JSON path's rows for the same values.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import * as avsc from 'avsc';
import { ColumnSet } from '../../../sdk/runtime/decode/columns';
import { RecordDecoder } from '../../../sdk/runtime/decode/record-decoder';
import { SchemaCache } from '../../../sdk/runtime/decode/schema/schemas';
import { frame } from '../../../sdk/registry/serdes/wire';
import '../../../sdk/registry/serdes/avro-long'; // avsc writes these tests' payloads: exact longs

/** Schemas by id, served as a registry would. */
function cacheOf(schemas: Record<number, object>): SchemaCache {
  return new SchemaCache({
    schemaById: async (id) => ({ schemaType: 'AVRO', schema: JSON.stringify(schemas[id]), references: [] }),
    resolveReferences: async () => [],
  });
}

const record = (fields: { name: string; type: unknown }[]) => ({ type: 'record', name: 'R', fields });

/** Rows of a set, metadata left out but the key kept. */
function rows(set: ColumnSet): Record<string, unknown>[] {
  return Array.from({ length: set.rows }, (_, i) => Object.fromEntries(set.columns.filter((c) => !['_partition', '_offset', '_timestamp'].includes(c.name)).map((c) => [c.name, c.get(i)])));
}

/** The same values through the Avro reader (each with its schema id) and as JSON, into sets of `capacity`. */
async function both(schemas: Record<number, object>, values: { id: number; value: Record<string, unknown> }[], opts: { columns?: string[]; capacity?: number } = {}) {
  const cache = cacheOf(schemas);
  await cache.load(Object.keys(schemas).map(Number));
  const types = Object.fromEntries(Object.entries(schemas).map(([id, s]) => [id, avsc.Type.forSchema(s as avsc.Schema)]));
  const avroSet = new ColumnSet(undefined, opts.capacity ?? 16);
  const jsonSet = new ColumnSet(undefined, opts.capacity ?? 16);
  const avro = new RecordDecoder(avroSet, { schemas: cache, columns: opts.columns });
  const json = new RecordDecoder(jsonSet, { columns: opts.columns });
  const failures: (string | undefined)[] = [];
  values.forEach(({ id, value }, i) => {
    const payload = frame(id, types[id].toBuffer(value));
    failures.push(avro.add(Buffer.from(`k${i}`), payload, 0, i, 0));
    json.add(Buffer.from(`k${i}`), Buffer.from(JSON.stringify(value)), 0, i, 0);
  });
  return { avro: avroSet, json: jsonSet, failures };
}

test('a column that widens (long, then a double of another version) or turns to text keeps the JSON rows', async () => {
  const v1 = record([{ name: 'a', type: 'long' }, { name: 'b', type: 'double' }, { name: 'c', type: 'long' }]);
  const v2 = record([{ name: 'a', type: 'double' }, { name: 'b', type: 'double' }, { name: 'c', type: 'string' }]);
  const values = [
    { id: 1, value: { a: 1, b: 2, c: 3 } }, // b integral: an int column so far, as in JSON
    { id: 1, value: { a: 2, b: 2.5, c: 4 } },
    { id: 2, value: { a: 0.5, b: 3, c: 'x' } },
    { id: 1, value: { a: 7, b: 1, c: 5 } },
  ];
  const { avro, json, failures } = await both({ 1: v1, 2: v2 }, values);
  assert.equal(failures, [undefined, undefined, undefined, undefined]);
  assert.equal(rows(avro), rows(json));
  assert.equal(avro.schema(), json.schema());
  assert.equal(avro.warnings, json.warnings);
  assert.is(avro.get('a')!.type, 'float');
  assert.is(avro.get('c')!.type, 'string');
});

test('past the initial capacity, with left-out columns and NaN doubles as nulls', async () => {
  const s = record([{ name: 'x', type: 'double' }, { name: 'n', type: 'long' }, { name: 's', type: 'string' }, { name: 'skip', type: 'double' }]);
  const values = Array.from({ length: 1000 }, (_, i) => ({ id: 1, value: { x: i % 7 === 0 ? NaN : i / 3, n: i * 1e9, s: `s${i % 5}`, skip: i } }));
  const { avro } = await both({ 1: s }, values, { columns: ['x', 'n', 's'], capacity: 16 });
  assert.equal(avro.columns.map((c) => c.name), ['_key', '_partition', '_offset', '_timestamp', 'x', 'n', 's']);
  assert.is(avro.rows, 1000);
  assert.is(avro.get('x')!.get(7), null);
  assert.is(avro.get('x')!.get(998), 998 / 3);
  assert.is(avro.get('n')!.get(999), 999e9);
  assert.is(avro.get('s')!.get(999), 's4');
  assert.is(avro.get('x')!.nullCount, 143);
});

test('a record cut short leaves no trace; the next rows are whole', async () => {
  const s = record([{ name: 'a', type: 'long' }, { name: 'b', type: 'double' }, { name: 't', type: 'string' }]);
  const type = avsc.Type.forSchema(s as avsc.Schema);
  const cache = cacheOf({ 1: s });
  await cache.load([1]);
  const set = new ColumnSet(undefined, 4);
  const d = new RecordDecoder(set, { schemas: cache });
  const whole = frame(1, type.toBuffer({ a: 5, b: 1.5, t: 'yes' }));
  assert.is(d.add(null, whole, 0, 0, 0), undefined);
  assert.match(String(d.add(null, whole.subarray(0, whole.length - 3), 0, 1, 0)), /^Avro payload shorter/);
  assert.is(d.add(null, frame(1, type.toBuffer({ a: 6, b: 2.5, t: 'no' })), 0, 2, 0), undefined);
  assert.equal(rows(set), [
    { _key: null, a: 5, b: 1.5, t: 'yes' },
    { _key: null, a: 6, b: 2.5, t: 'no' },
  ]);
});

test('property: numbers of any kind, in any order, give the JSON rows', async () => {
  const num = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Object.is(x, -0)), fc.constantFrom(0, 1, 2 ** 40, 2 ** 52, -(2 ** 52), -(2 ** 52) - 1, 2 ** 53 - 2, 2 - 2 ** 53));
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(num, num, fc.boolean()), { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 64 }), async (list, capacity) => {
      // id 1 writes `a` as a double, id 2 as a long (integers avsc takes: |n| <= 2^53 - 2, exact
      // with ../../../sdk/registry/serdes/avro-long: avsc alone wrote -(2^52 + 1) as 2^52); `b` always a double.
      const schemas = { 1: record([{ name: 'a', type: 'double' }, { name: 'b', type: 'double' }]), 2: record([{ name: 'a', type: 'long' }, { name: 'b', type: 'double' }]) };
      const values = list.map(([a, b, asLong]) => (asLong && Number.isInteger(a) && Math.abs(a) <= 2 ** 53 - 2 ? { id: 2, value: { a, b } } : { id: 1, value: { a, b } }));
      const { avro, json } = await both(schemas, values, { capacity });
      assert.equal(rows(avro), rows(json));
      assert.equal(avro.schema(), json.schema());
    }),
    { numRuns: 200 },
  );
});

test('property: runs of records interleaved with other schemas, JSON records, records cut short and cleared sets give the JSON rows', async () => {
  const v1 = record([{ name: 'n', type: 'long' }, { name: 'x', type: ['null', 'double'] }, { name: 's', type: 'string' }, { name: 'ok', type: 'boolean' }]);
  const v2 = record([{ name: 'x', type: 'double' }, { name: 'n', type: 'double' }, { name: 'extra', type: 'string' }]);
  const schemas = { 1: v1, 2: v2 };
  const cache = cacheOf(schemas);
  await cache.load([1, 2]);
  const types = { 1: avsc.Type.forSchema(v1 as avsc.Schema), 2: avsc.Type.forSchema(v2 as avsc.Schema) };
  const dbl = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Object.is(x, -0)), fc.integer({ min: -5, max: 5 }));
  const op = fc.oneof(
    { weight: 8, arbitrary: fc.record({ op: fc.constant('v1' as const), n: fc.integer(), x: fc.option(dbl, { nil: null }), s: fc.constantFrom('a', 'b', 'é'), ok: fc.boolean() }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('v2' as const), x: dbl, n: dbl, extra: fc.string({ maxLength: 3 }) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('json' as const), n: fc.integer(), s: fc.string({ maxLength: 2 }) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('cut' as const), n: fc.integer(), cut: fc.integer({ min: 1, max: 8 }) }) },
    { weight: 1, arbitrary: fc.constant({ op: 'clear' as const }) },
  );
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 80 }), fc.integer({ min: 1, max: 40 }), async (ops, capacity) => {
      const avroSet = new ColumnSet(undefined, capacity);
      const jsonSet = new ColumnSet(undefined, capacity);
      const avro = new RecordDecoder(avroSet, { schemas: cache });
      const json = new RecordDecoder(jsonSet);
      ops.forEach((o, i) => {
        const key = Buffer.from(`k${i}`);
        if (o.op === 'clear') {
          avroSet.clear();
          jsonSet.clear();
          return;
        }
        if (o.op === 'json') {
          const text = Buffer.from(JSON.stringify({ n: o.n, s: o.s }));
          assert.is(avro.add(key, text, 0, i, 0), undefined);
          json.add(key, text, 0, i, 0);
          return;
        }
        if (o.op === 'cut') {
          const whole = frame(1, types[1].toBuffer({ n: o.n, x: 1.5, s: 'cut', ok: true }));
          assert.ok(avro.add(key, whole.subarray(0, Math.max(5, whole.length - o.cut)), 0, i, 0) !== undefined);
          return;
        }
        const { op: id, ...value } = o;
        assert.is(avro.add(key, frame(id === 'v1' ? 1 : 2, types[id === 'v1' ? 1 : 2].toBuffer(value)), 0, i, 0), undefined);
        json.add(key, Buffer.from(JSON.stringify(value)), 0, i, 0);
      });
      // A record cut short before any whole one may leave its (empty) columns behind: only those differ.
      for (const c of avroSet.columns) if (!jsonSet.has(c.name)) assert.is(c.nullCount, c.length, c.name);
      const seen = (set: ColumnSet) => rows(set).map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => jsonSet.has(k))));
      assert.equal(seen(avroSet), seen(jsonSet));
      const byName = (set: ColumnSet) => set.schema().filter((c) => jsonSet.has(c.name)).sort((x, y) => (x.name < y.name ? -1 : 1));
      assert.equal(byName(avroSet), byName(jsonSet));
      for (const c of jsonSet.columns) assert.is(avroSet.get(c.name)!.nullCount, c.nullCount, c.name);
    }),
    { numRuns: 300 },
  );
});

test.run();
