/** Result numbers: nine significant digits, exact for every float32, valid JSON. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { float32Json } from '../../sdk/export/templates/app/src/format';

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

test('NaN and infinities are null', () => {
  assert.is(float32Json(NaN), 'null');
  assert.is(float32Json(Infinity), 'null');
  assert.is(float32Json(-Infinity), 'null');
});

test.run();
