import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ColumnSet } from '../../../sdk/runtime/decode/columns';
import { RecordDecoder, splitCsvLine } from '../../../sdk/runtime/decode/record-decoder';
import { DECODE_FAILURE, MAX_DEPTH } from '../../../sdk/runtime/decode/values';
import { columnsOf, describeColumns, matrixOf, recordsOf, toDataFrame, buildFrame, isMaterialized } from '../../../sdk/frame/dataframe';

const rec = (value: string | null, offset: number, key: string | null = 'k') => ({
  key: key === null ? null : Buffer.from(key),
  value: value === null ? null : Buffer.from(value),
  partition: 0,
  offset,
  timestamp: 1_700_000_000_000 + offset,
});

test('JSON: ints vs floats, missing fields, nested flattening, metadata first', () => {
  const set = new ColumnSet();
  const d = new RecordDecoder(set);
  assert.is(d.decode(rec('{"a":1,"b":2,"n":{"x":1,"y":{"z":"q"}}}', 0)), undefined);
  assert.is(d.decode(rec('{"a":2,"b":2.5}', 1, null)), undefined);
  assert.is(d.decode(rec('{"c":true,"a":3}', 2)), undefined);
  const names = set.columns.map((c) => c.name);
  assert.equal(names, ['_key', '_partition', '_offset', '_timestamp', 'a', 'b', 'n.x', 'n.y.z', 'c']);
  assert.is(set.get('a')!.type, 'int');
  assert.is(set.get('b')!.type, 'float');
  assert.is(set.get('c')!.type, 'bool');
  assert.is(set.get('b')!.get(2), null);
  assert.is(set.get('c')!.get(0), null);
  assert.is(set.get('n.y.z')!.get(0), 'q');
  assert.is(set.get('_key')!.get(1), null);
  const df = toDataFrame(set);
  assert.equal(df.shape, [3, 9]);
  assert.equal(df.dtypes, ['string', 'int32', 'int32', 'float32', 'int32', 'float32', 'float32', 'string', 'boolean']);
  const rows = recordsOf(df);
  assert.is(rows[1].b, 2.5);
  assert.is(rows[2].b, null);
  assert.is(rows[2].c, true);
  assert.is(rows[0]._timestamp, 1_700_000_000_000);
});

test('mixed types become strings with one warning; bad JSON is a reason, not an exception', () => {
  const set = new ColumnSet();
  const d = new RecordDecoder(set);
  d.decode(rec('{"v":1}', 0));
  d.decode(rec('{"v":1.5}', 1));
  assert.is(d.decode(rec('{"v":', 2)), 'invalid JSON');
  assert.is(d.decode(rec(null, 3)), 'null value');
  d.decode(rec('{"v":"high"}', 4));
  d.decode(rec('{"v":"higher"}', 5));
  assert.is(set.rows, 4);
  assert.is(set.get('v')!.type, 'string');
  assert.equal([0, 1, 2, 3].map((i) => set.get('v')!.get(i)), ['1', '1.5', 'high', 'higher']);
  assert.is(set.warnings.length, 1);
  assert.match(set.warnings[0], /column "v" has mixed types/);
});

test('a 10,000-deep record is a counted failure, not a stack overflow; the limit is the same on both paths', () => {
  const deep = (n: number, open = '{"a":', close = '}') => open.repeat(n) + '1' + close.repeat(n);
  const set = new ColumnSet();
  const d = new RecordDecoder(set);
  assert.is(d.decode(rec(deep(10_000), 0)), DECODE_FAILURE.tooDeep);
  assert.is(d.decode(rec('{"x":' + deep(10_000, '[', ']') + '}', 1)), DECODE_FAILURE.tooDeep);
  assert.is(d.add(null, deep(10_000), 0, 2, 0), DECODE_FAILURE.tooDeep); // a string value: JSON.parse path only
  assert.is(d.decode(rec('{"ok":1}', 3)), undefined);
  assert.is(set.rows, 1);
  for (const n of [MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1]) {
    const text = deep(n);
    const viaScanner = new RecordDecoder(new ColumnSet()).decode(rec(text, 0));
    const viaParse = new RecordDecoder(new ColumnSet()).add(null, text, 0, 0, 0);
    assert.is(viaScanner, viaParse, `depth ${n}`);
    assert.is(viaScanner, n > MAX_DEPTH ? DECODE_FAILURE.tooDeep : undefined);
  }
});

test('a record that fails half way leaves no trace in the row that follows (nulls included)', () => {
  const set = new ColumnSet();
  const d = new RecordDecoder(set);
  assert.is(d.decode(rec('{"a":null,"a":1}', 0)), undefined); // the scanner writes null, gives up on the duplicate
  assert.is(set.get('a')!.get(0), 1, 'JSON.parse: the last duplicate wins');
  assert.is(d.decode(rec('{"a.b":1,"a":{"b":2}}', 1)), undefined);
  assert.is(set.get('a.b')!.get(1), 1, 'a flattened name given twice: the first wins');
  assert.match(set.warnings.join(), /appears twice/);
});

test('schema stays stable across column sets and projections skip fields', () => {
  const a = new ColumnSet();
  new RecordDecoder(a).decode(rec('{"x":1,"y":"s"}', 0));
  const b = new ColumnSet(a.schema());
  new RecordDecoder(b, { columns: ['y'] }).decode(rec('{"z":1,"x":2.5,"y":"t"}', 1));
  assert.equal(b.columns.map((c) => c.name), ['_key', '_partition', '_offset', '_timestamp', 'x', 'y']);
  assert.is(b.get('x')!.get(0), null);
  assert.is(b.get('y')!.get(0), 't');
});

test('CSV, string and bytes formats', () => {
  assert.equal(splitCsvLine('a,"b,""c""",,3.5'), ['a', 'b,"c"', '', '3.5']);
  const set = new ColumnSet();
  const d = new RecordDecoder(set, { format: 'csv', csv: { header: ['name', 'speed', 'ok'] } });
  d.decode(rec('car-1,12.5,true\n', 0));
  d.decode(rec('"car,2",,false', 1));
  assert.equal(recordsOf(toDataFrame(set)).map((r) => [r.name, r.speed, r.ok]), [['car-1', 12.5, true], ['car,2', null, false]]);
  const s = new ColumnSet();
  new RecordDecoder(s, { format: 'string' }).decode(rec('héllo', 0));
  assert.is(s.get('value')!.get(0), 'héllo');
  const b = new ColumnSet();
  new RecordDecoder(b, { format: 'bytes' }).decode(rec('\u0001\u0002', 0));
  assert.is(b.get('value')!.get(0), Buffer.from([1, 2]).toString('base64'));
});

test('columnsOf, matrixOf and describeColumns read the frame without danfo paths', () => {
  const { df } = buildFrame([
    { a: 1, b: 10, s: 'x' },
    { a: 2, b: null, s: 'y' },
    { a: 3, b: 30, s: 'x' },
    { a: 4, b: 40, s: null },
  ]);
  const cols = columnsOf(df, ['a', 'b']);
  assert.ok(cols.a instanceof Float32Array);
  assert.equal(Array.from(cols.a), [1, 2, 3, 4]);
  assert.ok(Number.isNaN(cols.b[1]));
  const m = matrixOf(df, ['a', 'b'], { dtype: 'float64' });
  assert.equal([m.rows, m.cols, m.data[4], m.data[5]], [4, 2, 3, 30]);
  assert.throws(() => columnsOf(df, ['s']), /not numeric/);
  assert.throws(() => columnsOf(df, ['aa']), /did you mean "a"/);
  const stats = describeColumns(df);
  const a = stats.find((s) => s.column === 'a')!;
  assert.equal([a.count, a.nulls, a.mean, a.min, a.q25, a.median, a.q75, a.max], [4, 0, 2.5, 1, 1.75, 2.5, 3.25, 4]);
  assert.ok(Math.abs(a.std! - 1.2909944) < 1e-6);
  const b = stats.find((s) => s.column === 'b')!;
  assert.equal([b.count, b.nulls, b.mean], [3, 1, 80 / 3]);
  const s = stats.find((x) => x.column === 's')!;
  assert.equal([s.count, s.nulls, s.unique, s.top, s.freq], [3, 1, 2, 'x', 2]);
});


test('large frames build danfo rows on first use; column helpers read the typed columns', () => {
  const a = new ColumnSet();
  const b = new ColumnSet();
  for (let i = 0; i < 40_000; i++) {
    a.column('x').pushNumber(i);
    a.column('s').push(`k${i % 3}`);
    a.endRow();
    b.column('x').pushNumber(i + 0.5);
    b.endRow();
  }
  const df = toDataFrame([a, b]);
  assert.equal(df.shape, [80_000, 2]);
  assert.not.ok(isMaterialized(df));
  const { x } = columnsOf(df, ['x'], { dtype: 'float64' });
  assert.is(x[40_001], 1.5);
  const d = describeColumns(df);
  assert.equal([d[0].count, d[0].max, d[1].nulls, d[1].unique], [80_000, 39_999.5, 40_000, 3]);
  assert.not.ok(isMaterialized(df));
  const head = df.head(2);
  assert.ok(isMaterialized(df));
  assert.equal(head.values, [[0, 'k0'], [1, 'k1']]);
  assert.equal(df.shape, [80_000, 2]);
  assert.is((df.values[40_000] as unknown[])[1], null);
  assert.equal(df.dtypes, ['float32', 'string']);
  assert.is((df.column('x').values as number[])[79_999], 39_999.5);
});

test.run();
