import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Reader, ProtocolError } from '../../sdk/protocol/reader';
import { Writer } from '../../sdk/protocol/writer';
import { crc32c } from '../../sdk/protocol/crc32c';
import { decodeRequestHeader, encodeRequestHeader, encodeResponseHeader, decodeResponseHeader } from '../../sdk/protocol/header';

test('integers round-trip at their limits', () => {
  const w = new Writer(4);
  w.int8(-128).int8(127).int16(-32768).int16(32767).int32(-2147483648).int32(2147483647).uint32(4294967295);
  const longs = [0, -1, 1, 2 ** 53 - 1, -(2 ** 53) + 1, 4294967296, -4294967297, 1_700_000_000_000];
  for (const v of longs) w.int64(v);
  w.int64n(-9223372036854775808n).float64(Math.PI).boolean(true).boolean(false);
  const r = new Reader(w.toBuffer());
  assert.equal([r.int8(), r.int8(), r.int16(), r.int16(), r.int32(), r.int32(), r.uint32()], [-128, 127, -32768, 32767, -2147483648, 2147483647, 4294967295]);
  for (const v of longs) assert.is(r.int64(), v);
  assert.is(r.int64n(), -9223372036854775808n);
  assert.is(r.float64(), Math.PI);
  assert.is(r.boolean(), true);
  assert.is(r.boolean(), false);
  assert.is(r.remaining, 0);
});

test('varints: zigzag and unsigned, known encodings', () => {
  const enc = (f: (w: Writer) => void) => [...(() => { const w = new Writer(); f(w); return w.toBuffer(); })()];
  assert.equal(enc((w) => w.varint(0)), [0]);
  assert.equal(enc((w) => w.varint(-1)), [1]);
  assert.equal(enc((w) => w.varint(1)), [2]);
  assert.equal(enc((w) => w.varint(-64)), [0x7f]);
  assert.equal(enc((w) => w.varint(64)), [0x80, 0x01]);
  assert.equal(enc((w) => w.uvarint(300)), [0xac, 0x02]);
  const ints = [0, 1, -1, 63, -64, 64, 8191, -8192, 2147483647, -2147483648];
  const longs = [0, -1, 2 ** 40, -(2 ** 40), 1_700_000_000_000, 2 ** 53 - 1];
  const w = new Writer();
  for (const v of ints) w.varint(v);
  for (const v of longs) w.varlong(v);
  for (const v of [0, 127, 128, 2 ** 31 - 1]) w.uvarint(v);
  const r = new Reader(w.toBuffer());
  for (const v of ints) assert.is(r.varint(), v);
  for (const v of longs) assert.is(r.varlong(), v);
  for (const v of [0, 127, 128, 2 ** 31 - 1]) assert.is(r.uvarint(), v);
});

test('strings, bytes, arrays, compact variants, tagged fields, uuid', () => {
  const big = Buffer.alloc(10_000, 7);
  const id = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  const w = new Writer();
  w.string('héllo').nullableString(null).compactString('kafka').compactNullableString(null).compactNullableString('');
  w.bytes(Buffer.from([1, 2])).nullableBytes(null).compactBytes(big).compactNullableBytes(null).varintBytes(Buffer.from('k')).varintBytes(null);
  w.array([1, 2, 3], (w, v) => w.int32(v)).nullableArray(null, () => {}).compactArray(['a', 'b'], (w, v) => w.compactString(v)).compactNullableArray(null, () => {});
  w.taggedFields(new Map([[3, Buffer.from([9])], [0, Buffer.alloc(0)]])).uuid(id).uuid(null);
  const buf = w.toBuffer();
  assert.is(buf.length, w.length);
  const r = new Reader(buf);
  assert.is(r.string(), 'héllo');
  assert.is(r.nullableString(), null);
  assert.is(r.compactString(), 'kafka');
  assert.is(r.compactNullableString(), null);
  assert.is(r.compactNullableString(), '');
  assert.equal([...r.bytes()], [1, 2]);
  assert.is(r.nullableBytes(), null);
  assert.ok(r.compactBytes().equals(big));
  assert.is(r.compactNullableBytes(), null);
  assert.is(r.varintBytes()!.toString(), 'k');
  assert.is(r.varintBytes(), null);
  assert.equal(r.array((r) => r.int32()), [1, 2, 3]);
  assert.is(r.nullableArray((r) => r.int32()), null);
  assert.equal(r.compactArray((r) => r.compactString()), ['a', 'b']);
  assert.is(r.compactNullableArray((r) => r.int8()), null);
  const tags = r.taggedFields()!;
  assert.equal([...tags.keys()].sort(), [0, 3]);
  assert.equal([...tags.get(3)!], [9]);
  assert.ok(r.uuid().equals(id));
  assert.ok(r.uuid().equals(Buffer.alloc(16)));
  assert.is(r.remaining, 0);
});

test('big byte fields are referenced, not copied', () => {
  const big = Buffer.alloc(100_000, 1);
  const w = new Writer().int32(1).bytes(big).int8(2);
  const chunks = w.chunks();
  assert.ok(chunks.includes(big));
  assert.is(chunks.reduce((n, c) => n + c.length, 0), 4 + 4 + 100_000 + 1);
});

test('truncated and lying input throws ProtocolError, never allocates', () => {
  assert.throws(() => new Reader(Buffer.from([0, 5, 65])).string(), (e: unknown) => e instanceof ProtocolError);
  assert.throws(() => new Reader(Buffer.from([0x7f, 0xff, 0xff, 0xff])).array((r) => r.int8()), (e: unknown) => e instanceof ProtocolError);
  assert.throws(() => new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01])).uvarint(), (e: unknown) => e instanceof ProtocolError);
  assert.throws(() => new Reader(Buffer.from([1])).int32(), (e: unknown) => e instanceof ProtocolError);
  assert.throws(() => new Reader(Buffer.from([0xff, 0xff])).string(), /null/);
});

test('crc32c matches the standard check value and known Kafka vectors', () => {
  assert.is(crc32c(Buffer.from('123456789')), 0xe3069283);
  assert.is(crc32c(Buffer.alloc(32)), 0x8a9136aa);
  assert.is(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
  const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 31) & 0xff));
  // Incremental = one shot, at any split, aligned or not.
  for (const cut of [0, 1, 7, 8, 9, 500, 999]) assert.is(crc32c(data, cut, data.length, crc32c(data, 0, cut)), crc32c(data));
});

test('request header v1/v2 and response header v0/v1 round-trip', () => {
  for (const flexible of [false, true]) {
    const w = encodeRequestHeader(new Writer(), { apiKey: 3, apiVersion: 8, correlationId: 42, clientId: 'rdkafka' }, flexible ? 2 : 1);
    w.int32(7);
    const r = new Reader(w.toBuffer());
    const h = decodeRequestHeader(r, () => flexible);
    assert.equal({ ...h }, { apiKey: 3, apiVersion: 8, correlationId: 42, clientId: 'rdkafka', version: flexible ? 2 : 1 });
    assert.is(r.int32(), 7);
  }
  for (const v of [0, 1] as const) {
    const r = new Reader(encodeResponseHeader(new Writer(), 99, v).toBuffer());
    assert.is(decodeResponseHeader(r, v).correlationId, 99);
    assert.is(r.remaining, 0);
  }
});

test.run();
