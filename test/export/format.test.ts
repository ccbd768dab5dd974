/** Result numbers: nine significant digits, exact for every float32, valid JSON. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { float32Json, scoreJson } from '../../sdk/export/templates/app/src/format';
import { keyJson, P, piece, TextOut } from '../../sdk/export/templates/app/src/result-json';
import { RecordBatchWriter } from '../../sdk/protocol/batch-encoding';

test('every float32 round-trips, across magnitudes and around powers of ten', () => {
  const values: number[] = [0, 1, 10, 0.5, 1e-6, 1e9, 123456789, 0.000123, 3.25, 100.5, 999999999, 0.1, -2.5, 5e-7, 1e12, 2 ** -126];
  for (let p = -7; p <= 9; p++) {
    const b = Math.fround(10 ** p);
    const bits = new Int32Array(new Float32Array([b]).buffer)[0];
    for (let d = -50; d <= 50; d++) values.push(new Float32Array(new Int32Array([bits + d]).buffer)[0]);
  }
  let seed = 11;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  for (let i = 0; i < 200_000; i++) values.push(Math.fround(rnd() ** 4 * 10 ** Math.floor(rnd() * 14 - 5)));
  for (const x of values.map(Math.fround)) {
    const s = float32Json(x);
    assert.ok(Object.is(Math.fround(JSON.parse(s)), x) || (x === 0 && s === '0'), `${x} -> ${s}`);
    assert.ok(s.replace(/e[-+]\d+$/, '').replace('-', '').replace('.', '').length <= 17, s);
    if (x >= 1e-6 && x < 1e9) assert.ok(s.replace('.', '').replace(/^0+/, '').length <= 9, `${x} -> ${s} has more than 9 digits`);
  }
});

test('scores: within 5e-7 (half the last digit) of the float32 as a double, and identify it, at every magnitude (fast-check)', () => {
  fc.assert(
    fc.property(fc.float({ noNaN: true, min: 0 }), (f) => {
      const x = Math.fround(f);
      const s = scoreJson(x);
      const back = JSON.parse(s) as number | null;
      if (!Number.isFinite(x)) return back === null;
      assert.ok(Object.is(Math.fround(back!), x) || (x === 0 && back === 0), `${x} -> ${s}`);
      // At most half a unit of the ninth digit below 1,000: exactly 5e-7 for a float32 halfway
      // between two such decimals (715.9453125 -> 715.945313), plus the decimal's own binary error.
      if (x < 9e8) assert.ok(Math.abs(back! - x) <= 5e-7 + 1e-12, `${x} -> ${s} is ${Math.abs(back! - x)} away`);
      return true;
    }),
    { numRuns: 20_000 },
  );
  for (const x of [715.9453125, 639.1171875, 1000, 999.99993896484375, 1000.0000610351562, 123456.7890625, 8.99e8, 9e8, 1e12, 4.7e4].map(Math.fround)) {
    const back = JSON.parse(scoreJson(x)) as number;
    assert.ok(Object.is(Math.fround(back), x), `${x} -> ${scoreJson(x)}`);
    if (x < 9e8) assert.ok(Math.abs(back - x) <= 5e-8 || x < 1000, `${x} -> ${scoreJson(x)}`);
  }
});

test('a result written as a string and written in place into a batch are the same UTF-8 JSON (fast-check keys and pieces)', () => {
  fc.assert(
    fc.property(fc.option(fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)), { nil: null }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.float({ noNaN: true, min: 0 }), fc.boolean(), (key, name, score, flag) => {
      const feature = piece(`{"feature":${JSON.stringify(name)},"error":`);
      const write = (out: TextOut | RecordBatchWriter) => {
        out.text('{"s":{"key":');
        keyJson(out, key);
        out.bytes(P.score);
        out.ascii(scoreJson(Math.fround(score)));
        out.bytes(P.top);
        out.bytes(feature);
        out.ascii(float32Json(Math.fround(score)));
        out.bytes(P.close);
        out.bytes(P.endTop);
        out.ascii(',"flag":');
        out.bytes(flag ? P.true : P.false);
        out.text(`,"name":${JSON.stringify(name)}`);
        out.bytes(P.close);
      };
      const text = new TextOut();
      write(text);
      const parsed = JSON.parse(text.s);
      assert.is(parsed.s.key, key === null ? null : key.toString('utf8'));
      assert.is(parsed.flag, flag);
      assert.is(parsed.name, name);
      const w = new RecordBatchWriter(64);
      w.beginValue(key, 0);
      write(w);
      w.endValue();
      const ref = new RecordBatchWriter(64);
      ref.append(key, text.s, 0);
      assert.equal(Buffer.from(w.finish()), Buffer.from(ref.finish()));
    }),
    { numRuns: 2000 },
  );
});

test('NaN and infinities are null', () => {
  assert.is(scoreJson(NaN), 'null');
  assert.is(scoreJson(Infinity), 'null');
  assert.is(float32Json(NaN), 'null');
  assert.is(float32Json(Infinity), 'null');
  assert.is(float32Json(-Infinity), 'null');
});

test.run();
