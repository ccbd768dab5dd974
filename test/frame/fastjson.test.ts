import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ColumnSet } from '../../sdk/frame/columns';
import { RecordDecoder } from '../../sdk/frame/decode';
import { FastJson } from '../../sdk/frame/fastjson';

function fast(text: string): Record<string, unknown> | false {
  const set = new ColumnSet();
  const f = new FastJson(set, (name) => set.column(name));
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

test('strings, literals and whitespace; everything else falls back', () => {
  assert.equal(fast(' { "a" : "x y" , "b":true,"c":false,"d":null, "é":"ü" } '), { a: 'x y', b: true, c: false, d: null, 'é': 'ü' });
  for (const s of ['{"a":{"b":1}}', '{"a":[1]}', '{"a":"x\\"y"}', '{"a":1,}', '{"a":01}', '{"a":1} x', '[1]', '{"a":-}', '{"a":1.}', '{"a":tru}']) {
    assert.is(fast(s), false, s);
  }
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

test.run();
