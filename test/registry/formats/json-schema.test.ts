// JSON Schema in the registry: drafts, references, and the compatibility rules listed in
// sdk/registry/formats/json-schema.ts, plus a property test: when the registry calls a generated
// pair compatible, every document valid under the writer that we generate is valid under the reader
// (checked with ajv, which we did not write).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { jsonSchemaFormat, parseJsonSchema } from '../../../sdk/registry/formats/json-schema';

const parse = (s: unknown) => parseJsonSchema(JSON.stringify(s));
const problems = (reader: unknown, writer: unknown) => jsonSchemaFormat.incompatibilities(parse(reader), parse(writer));
const types = (ps: string[]) => ps.map((p) => /errorType:'(\w+)'/.exec(p)![1]);
const obj = (properties: object, extra: object = {}) => ({ type: 'object', properties, ...extra });

test('parse: drafts by $schema, references by name, 42201 for invalid schemas', () => {
  const p = parseJsonSchema(JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', title: 'Reading', type: 'object', $defs: { n: { type: 'number' } }, properties: { v: { $ref: '#/$defs/n' } } }));
  assert.is(p.recordName, 'Reading');
  assert.ok(p.validate({ v: 1 }) && !p.validate({ v: 'x' }));
  const withRef = parseJsonSchema(JSON.stringify(obj({ home: { $ref: 'address.json' } })), [{ name: 'address.json', schemaType: 'JSON', schema: JSON.stringify(obj({ city: { type: 'string' } }, { required: ['city'] })) }]);
  assert.ok(withRef.validate({ home: { city: 'Oslo' } }) && !withRef.validate({ home: {} }));
  assert.throws(() => parseJsonSchema('{"type": 12}'), (e: any) => e.errorCode === 42201);
  assert.throws(() => parseJsonSchema('[1]'), (e: any) => e.errorCode === 42201);
});

test('content models: open and closed, added and removed properties, required', () => {
  const closed = (p: object, extra = {}) => obj(p, { additionalProperties: false, ...extra });
  assert.equal(problems(closed({ a: { type: 'number' }, b: { type: 'string' } }), closed({ a: { type: 'number' } })), [], 'optional property added to a closed model');
  assert.equal(types(problems(closed({ a: { type: 'number' }, b: { type: 'string' } }, { required: ['b'] }), closed({ a: { type: 'number' } }))), ['REQUIRED_ATTRIBUTE_ADDED']);
  assert.equal(types(problems(obj({ a: { type: 'number' }, b: { type: 'string' } }), obj({ a: { type: 'number' } }))), ['PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL']);
  assert.equal(problems(obj({ a: { type: 'number' } }), obj({ a: { type: 'number' }, b: { type: 'string' } })), [], 'removed from an open reader');
  assert.equal(types(problems(closed({ a: { type: 'number' } }), closed({ a: { type: 'number' }, b: { type: 'string' } }))), ['PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL']);
  assert.equal(types(problems(closed({ a: { type: 'number' } }), obj({ a: { type: 'number' } }))), ['ADDITIONAL_PROPERTIES_REMOVED']);
});

test('types, enums, bounds, items, combined', () => {
  assert.equal(problems({ type: 'number' }, { type: 'integer' }), []);
  assert.equal(types(problems({ type: 'integer' }, { type: 'number' })), ['TYPE_NARROWED']);
  assert.equal(problems({ type: ['string', 'null'] }, { type: 'string' }), []);
  assert.equal(types(problems({ enum: ['a', 'b'] }, { enum: ['a', 'b', 'c'] })), ['ENUM_ARRAY_NARROWED']);
  assert.equal(problems({ enum: ['a', 'b', 'c'] }, { enum: ['a'] }), []);
  assert.equal(types(problems({ type: 'number', maximum: 5 }, { type: 'number', maximum: 10 })), ['MAXIMUM_DECREASED']);
  assert.equal(types(problems({ type: 'string', minLength: 3 }, { type: 'string' })), ['MIN_LENGTH_INCREASED']);
  assert.equal(problems({ type: 'number', minimum: 0 }, { type: 'number', minimum: 1 }), []);
  assert.equal(types(problems({ type: 'array', items: { type: 'integer' } }, { type: 'array', items: { type: 'number' } })), ['TYPE_NARROWED']);
  assert.equal(problems({ oneOf: [{ type: 'string' }, { type: 'number' }] }, { type: 'integer' }), []);
  assert.equal(types(problems({ oneOf: [{ type: 'string' }, { type: 'boolean' }] }, { oneOf: [{ type: 'string' }, { type: 'number' }] })), ['COMBINED_TYPE_SUBSCHEMAS_CHANGED']);
  const recursive = { $defs: { node: obj({ v: { type: 'number' }, next: { $ref: '#/$defs/node' } }) }, $ref: '#/$defs/node' };
  assert.equal(problems(recursive, recursive), [], 'a recursive schema against itself terminates');
});

// ---- property: compatible ⇒ the reader accepts the writer's documents --------------------------

const leaf = fc.oneof(
  fc.record({ type: fc.constantFrom('string', 'number', 'integer', 'boolean') }),
  fc.record({ type: fc.constant('number'), minimum: fc.integer({ min: -5, max: 5 }), maximum: fc.integer({ min: 6, max: 20 }) }),
  fc.record({ enum: fc.uniqueArray(fc.constantFrom('a', 'b', 'c'), { minLength: 1 }) }),
);
const schemaArb: fc.Arbitrary<any> = fc.letrec((tie) => ({
  s: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.record({ type: fc.constant('array'), items: tie('s') }),
    fc.record({
      type: fc.constant('object'),
      properties: fc.dictionary(fc.constantFrom('p', 'q', 'r'), tie('s'), { maxKeys: 3 }),
      additionalProperties: fc.constantFrom(true, false),
      required: fc.subarray(['p', 'q']),
    }),
  ),
})).s;

/** A document the schema accepts (documents a schema could also produce with extra properties: one extra key when open). */
function sample(s: any, rnd: () => number): unknown {
  if (s.enum) return s.enum[Math.floor(rnd() * s.enum.length)];
  switch (s.type) {
    case 'string': return 'x';
    case 'integer': return 3;
    case 'boolean': return true;
    case 'number': return s.minimum !== undefined ? s.minimum + (s.maximum - s.minimum) * rnd() : 2.5;
    case 'array': return [sample(s.items, rnd), sample(s.items, rnd)];
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(s.properties)) if (rnd() < 0.7 || s.required.includes(k)) out[k] = sample(v, rnd);
      for (const k of s.required) if (!(k in s.properties)) out[k] = 'anything';
      if (s.additionalProperties !== false && rnd() < 0.5) out.extra = 1;
      return out;
    }
  }
}

test('property: compatible pairs accept each other\'s documents (reader ⊇ writer)', () => {
  let compatible = 0;
  fc.assert(
    fc.property(schemaArb, schemaArb, fc.integer(), (w, r, seed) => {
      const writer = parse(w);
      const reader = parse(r);
      if (jsonSchemaFormat.incompatibilities(reader, writer).length) return true;
      compatible++;
      let x = seed >>> 0;
      const rnd = () => ((x = (x * 1103515245 + 12345) >>> 0) / 2 ** 32);
      for (let i = 0; i < 5; i++) {
        const doc = sample(w, rnd);
        if (writer.validate(doc) && !reader.validate(doc)) return false;
      }
      return true;
    }),
    { numRuns: 800, seed: 15 },
  );
  assert.ok(compatible > 20, `only ${compatible} compatible pairs`);
});

test.run();
