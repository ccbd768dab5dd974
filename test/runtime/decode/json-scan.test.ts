import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { ColumnSet } from '../../../sdk/runtime/decode/columns';
import { flattenValue } from '../../../sdk/runtime/decode/flatten';
import { JsonScanner } from '../../../sdk/runtime/decode/json-scan';
import { RecordDecoder } from '../../../sdk/runtime/decode/record-decoder';
import { MAX_DEPTH } from '../../../sdk/runtime/decode/values';
import { carReadings } from '../../../sdk/ingest/simulator';

function fast(text: string): Record<string, unknown> | false {
  const set = new ColumnSet();
  const f = new JsonScanner(set, (name) => set.column(name));
  if (!f.write(Buffer.from(text))) return false;
  set.endRow();
  const out: Record<string, unknown> = {};
  for (const c of set.columns) out[c.name] = c.get(0);
  return out;
}

test('numbers are the exact doubles JSON.parse returns', () => {
  const samples = [
    '0', '-0', '1', '-17', '0.1', '0.3', '1.5e-7', '1e22', '1e23', '9007199254740993', '123456789012345678',
    '1.7976931348623157e308', '5e-324', '2.2250738585072014e-308', '3.141592653589793', '-2.5E+3', '1E-22', '4.35', '1234.5678',
  ];
  let x = 7;
  for (let i = 0; i < 20_000; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    samples.push(String((x / 2147483648) * 10 ** ((x % 17) - 8)), String(Math.round(x / 7) / 10 ** (x % 9)), (x / 3).toFixed(x % 12));
  }
  for (const s of samples) {
    const got = fast(`{"v":${s}}`);
    assert.ok(got, s);
    assert.ok(Object.is((got as { v: number }).v, JSON.parse(s)), `${s}: ${(got as { v: number }).v} vs ${JSON.parse(s)}`);
  }
});

/** What the JSON.parse path makes of the same text. */
function parsed(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  flattenValue(JSON.parse(text), (name, v) => (out[name] ??= v));
  return out;
}

test('strings, literals, whitespace, nesting, escapes and arrays: the cells JSON.parse gives', () => {
  for (const text of [
    ' { "a" : "x y" , "b":true,"c":false,"d":null, "é":"ü" } ',
    '{}',
    '{"a":{"b":1,"c":{"d":"x"}},"e":2}',
    '{"vib":{"x":1.57,"y":1.38,"z":0.48},"motor":"M003"}',
    '{"a":"x\\"y\\u00e9\\n","k\\u0041":1}',
    '{"a":[1, 2.50, {"b": [true, null]}],"c":[]}',
    '{"a":{},"b":{"c":{}}}',
    '{"ü":"größe 😀","n":-12.5e-1}',
    '{\n\t"a": -0\r\n}',
  ]) {
    assert.equal(fast(text), parsed(text), text);
  }
});

test('everything else falls back to JSON.parse: invalid, not an object, duplicates, name clashes, too deep', () => {
  const deep = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
  const deepArray = (n: number) => '{"a":' + '['.repeat(n) + ']'.repeat(n) + '}';
  for (const s of ['{"a":1,}', '{"a":01}', '{"a":1} x', '[1]', '"a"', '{"a":-}', '{"a":1.}', '{"a":tru}', '{a:1}', '', '\ufeff{"a":1}', '{"a":"tab\there"}', '{"a":"\\x"}', '{"a":[1,]}', '{"a":1', '{"a":1,"a":2}', '{"a":1,"a":{"b":2}}', '{"a":{"x":1},"a":{"y":2}}', '{"a.b":1,"a":{"b":2}}', deep(MAX_DEPTH + 1), deepArray(MAX_DEPTH)]) {
    assert.is(fast(s), false, s.slice(0, 40));
  }
  assert.ok(fast(deep(MAX_DEPTH)), 'MAX_DEPTH levels are fine');
  assert.ok(fast(deepArray(MAX_DEPTH - 1)), 'an array at MAX_DEPTH is fine');
});

test('car readings: every cell is what JSON.parse gives', () => {
  const rows = carReadings({ cars: 5, readingsPerCar: 200, anomalyRate: 0.05, seed: 9 }) as unknown as Record<string, unknown>[];
  for (const r of rows) {
    const text = JSON.stringify(r);
    assert.equal(fast(text), parsed(text), text);
  }
});

test('top-level value spans (the MQTT bridge): objects and arrays whole; duplicates left to JSON.parse', () => {
  const set = new ColumnSet();
  const scan = new JsonScanner(set, () => null, { spans: ['id', 'ts', 'o', 'missing'] });
  const text = '{"id":"b","o":{"x":[1,{"y":2}]},"ts":12,"n":{"id":5}}';
  assert.ok(scan.write(Buffer.from(text)));
  const span = (f: number) => (scan.spans[f * 2] < 0 ? undefined : text.slice(scan.spans[f * 2], scan.spans[f * 2 + 1]));
  assert.equal([span(0), span(1), span(2), span(3)], ['"b"', '12', '{"x":[1,{"y":2}]}', undefined]);
  assert.equal(set.columns.length, 0, 'nothing written');
  // Duplicate keys: JSON.parse decides (the bridge's slow path), also once this layout is known.
  for (let i = 0; i < 2; i++) assert.not.ok(scan.write(Buffer.from('{"id":"a","ts":1,"id":{"x":1}}')));
});

test('the decoder gives identical columns with and without the fast path', () => {
  const recs = ['{"a":1,"b":"x","n":{"c":2}}', '{"a":2.5,"b":"\\u00e9"}', '{"b":"y","a":3}', '{"a":"s"}', '{"a":1,"a":2}'];
  const viaFast = new ColumnSet();
  const d1 = new RecordDecoder(viaFast);
  const viaString = new ColumnSet();
  const d2 = new RecordDecoder(viaString);
  recs.forEach((r, i) => {
    d1.add(null, Buffer.from(r), 0, i, i);
    d2.add(null, r, 0, i, i); // strings always take JSON.parse
  });
  assert.equal(viaFast.schema(), viaString.schema());
  for (const c of viaString.columns) {
    assert.equal(Array.from({ length: viaFast.rows }, (_, i) => viaFast.get(c.name)!.get(i)), Array.from({ length: viaString.rows }, (_, i) => c.get(i)), c.name);
  }
});

/** JSON number texts: plain decimals of any length, exponents, -0, integers past 2^53, subnormals, overflow to the edge. */
const numberText = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
  fc.tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 25n }), fc.nat(30)).map(([neg, m, f]) => {
    const digits = m.toString();
    const cut = Math.min(f, digits.length - 1);
    const text = cut > 0 ? `${digits.slice(0, digits.length - cut)}.${digits.slice(digits.length - cut)}` : digits;
    return (neg ? '-' : '') + text;
  }),
  fc.tuple(fc.integer({ min: -99999999, max: 99999999 }), fc.option(fc.nat(99999)), fc.nat(340), fc.constantFrom('e', 'E', 'e+', 'E-', 'e-', 'e00')).map(
    ([m, f, e, mark]) => `${m}${f === null ? '' : `.${f}`}${mark}${e}`,
  ),
);

test('property: every number the scanner reads is the double JSON.parse returns, bit for bit', () => {
  fc.assert(
    fc.property(fc.array(numberText, { minLength: 1, maxLength: 6 }), (nums) => {
      const text = `{${nums.map((n, i) => `"n${i}":${n}`).join(',')}}`;
      const got = fast(text);
      assert.ok(got, text);
      const want = JSON.parse(text) as Record<string, number>;
      const bits = (x: number) => Buffer.from(new Float64Array([x]).buffer).toString('hex');
      for (const k of Object.keys(want)) assert.is(bits((got as Record<string, number>)[k]), bits(want[k]), `${k} in ${text}`);
    }),
    { numRuns: 3000 },
  );
});

test('property: one scanner over a stream of records with near-identical keys gives the cells JSON.parse gives', () => {
  // Keys that are prefixes of each other, end in escapes or differ in one byte, so that the
  // scanner's per-position key cache sees hits, near misses and layout changes.
  const key = fc.constantFrom('a', 'ab', 'a b', 'b', 'a\\"', 'a\\\\', 'a\\u0062', 'é', 'a.b', 'x');
  const leaf = fc.oneof(numberText, fc.constantFrom('true', 'false', 'null', '"s"', '"t\\"u"', '[1,2]'));
  const obj: fc.Arbitrary<string> = fc.letrec<{ obj: string }>((tie) => ({
    obj: fc.array(fc.tuple(key, fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, leaf, tie('obj'))), { maxLength: 4 }).map((kv) => `{${kv.map(([k, v]) => `"${k}":${v}`).join(',')}}`),
  })).obj;
  fc.assert(
    fc.property(fc.array(obj, { minLength: 1, maxLength: 12 }), (texts) => {
      const set = new ColumnSet();
      const scanner = new JsonScanner(set, (name) => set.column(name));
      for (const text of texts) {
        // Compared per record: a fresh set per record would hide the cache, so read the row back from this one.
        const before = set.rows;
        if (!scanner.write(Buffer.from(text))) {
          set.abortRow();
          continue; // the JSON.parse path's business (duplicates, clashes, mixed types)
        }
        set.endRow();
        const row: Record<string, unknown> = {};
        for (const c of set.columns) if (!c.isNull(before)) row[c.name] = c.get(before);
        const want: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(parsed(text))) if (v !== null) want[k] = typeof v === 'object' ? JSON.stringify(v) : v;
        assert.equal(row, want, text);
      }
    }),
    { numRuns: 1500 },
  );
});

test.run();
