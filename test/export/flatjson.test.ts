/**
 * The app's byte-level JSON fast path must agree with JSON.parse on every field it keeps, and
 * hand every record it does not fully understand (or that is invalid) back to JSON.parse.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FlatJson } from '../../sdk/export/templates/app/src/flatjson';
import { carReadings } from '../../sdk/ingest/simulator';

const pick = (o: Record<string, unknown>, names: string[]) => Object.fromEntries(names.filter((n) => n in o).map((n) => [n, o[n]]));

test('car readings: the kept fields are exactly what JSON.parse gives', () => {
  const rows = carReadings({ cars: 5, readingsPerCar: 400, anomalyRate: 0.05, seed: 9 }) as unknown as Record<string, unknown>[];
  const names = [...Object.keys(rows[0]).filter((k, i) => i % 2 === 0), 'not_there'];
  const flat = new FlatJson(names);
  for (const r of rows) {
    const text = JSON.stringify(r);
    const got = flat.parse(Buffer.from(text));
    assert.ok(got, text);
    assert.equal(got, pick(JSON.parse(text), names));
  }
});

test('numbers round exactly as JSON.parse rounds them', () => {
  const flat = new FlatJson(['x']);
  let seed = 3;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const samples = ['0', '-0', '1e22', '1e23', '123456789012345678', '0.1', '-0.30000000000000004', '5e-324', '1.7976931348623157e308', '1E+2', '2.5e-3', '9007199254740993', '0.000001'];
  for (let i = 0; i < 20000; i++) samples.push(String((rnd() - 0.5) * 10 ** Math.floor(rnd() * 30 - 15)), (rnd() * 1000).toFixed(Math.floor(rnd() * 8)));
  for (const s of samples) {
    const got = flat.parse(Buffer.from(`{"x":${s}}`));
    assert.ok(got, s);
    assert.ok(Object.is(got!.x, JSON.parse(s)), `${s}: ${got!.x} vs ${JSON.parse(s)}`);
  }
});

test('strings, literals, whitespace, duplicates and UTF-8', () => {
  const flat = new FlatJson(['a', 'b', 'c', 'd', 'ü']);
  for (const text of ['{}', ' { "a" : "x" , "b":true,"c":false,"d":null } ', '{"a":1,"a":2}', '{"ü":"größe 😀","skip":"\\u0041"}'.replace('"skip":"\\u0041"', '"skip":"z"'), '{\n\t"a": -12.5e-1\r\n}']) {
    const got = flat.parse(Buffer.from(text));
    assert.ok(got, text);
    assert.equal(got, pick(JSON.parse(text), ['a', 'b', 'c', 'd', 'ü']));
  }
});

test('anything else goes to JSON.parse: nested, escapes, invalid', () => {
  const flat = new FlatJson(['a']);
  for (const text of ['[1]', '"a"', '{"a":{"b":1}}', '{"a":[1]}', '{"a":"x\\"y"}', '{"a\\n":1}', '{"a":01}', '{"a":1.}', '{"a":-}', '{"a":1e}', '{"a":1,}', '{"a":1', '{"a":1}x', '{"a":tru}', '{a:1}', '', '\ufeff{"a":1}', '{"a":"tab\there"}']) {
    assert.is(flat.parse(Buffer.from(text)), undefined, text);
  }
});

test('a __proto__ field disables the fast path rather than touch the prototype', () => {
  const flat = new FlatJson(['__proto__']);
  assert.is(flat.parse(Buffer.from('{"__proto__":1}')), undefined);
});

test.run();
