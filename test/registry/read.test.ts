// read() and stream() of Confluent-framed Avro, Protobuf and JSON Schema records against the
// embedded broker and registry: the columns JSON gives, format 'auto' and forced formats, several
// schema versions unioned with a report, framed keys, both read routes, no registry, bad payloads.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from '../../sdk/kafka/connect';
import { readReport, recordsOf } from '../../sdk/frame/dataframe';
import { readTopicWith } from '../../sdk/kafka/read';
import { frame } from '../../sdk/registry/serdes/wire';
import { codecFor } from '../../sdk/registry/serdes';
import { connectedRig } from './helpers';

const ctx = connectedRig(test);

const meta = (r: Record<string, unknown>) => {
  const { _partition, _offset, _timestamp, ...rest } = r;
  return rest;
};

const reading = {
  name: 'Reading',
  namespace: 'motors',
  type: 'record',
  fields: [
    { name: 'count', type: 'long' },
    { name: 'rpm', type: 'double' },
    { name: 'motor', type: 'string' },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'atMicros', type: { type: 'long', logicalType: 'timestamp-micros' } },
    { name: 'day', type: { type: 'int', logicalType: 'date' } },
    { name: 'state', type: { type: 'enum', name: 'State', symbols: ['RUN', 'STOP'] } },
    { name: 'temp', type: ['null', 'double'], default: null },
    { name: 'bearing', type: { type: 'record', name: 'Bearing', fields: [{ name: 'vib', type: 'float' }, { name: 'ok', type: 'boolean' }] } },
    { name: 'price', type: { type: 'bytes', logicalType: 'decimal', precision: 9, scale: 2 } },
    { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
    { name: 'tags', type: { type: 'array', items: 'string' }, default: [] },
    { name: 'extra', type: { type: 'map', values: 'double' }, default: {} },
    { name: 'raw', type: 'bytes' },
    { name: 'owner', type: ['null', { type: 'record', name: 'Owner', fields: [{ name: 'name', type: 'string' }] }], default: null },
  ],
};

const at = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
const day = Date.UTC(2026, 0, 2);
const avroRows = [
  { _key: 'm1', motor: 'm1', rpm: 1500.5, count: 2 ** 40, at, atMicros: at, day, state: 'RUN', temp: 71.5, bearing: { vib: 0.25, ok: true }, price: 12.34, id: '6f1c2d8e-0000-4000-8000-000000000001', tags: ['a', 'b'], extra: { x: 1.5 }, raw: Buffer.from([1, 2, 255]), owner: { name: 'ann' } },
  { _key: 'm2', motor: 'm2', rpm: -0.5, count: -3, at: at + 1, atMicros: at + 1, day: 0, state: 'STOP', temp: null, bearing: { vib: 1, ok: false }, price: -0.01, id: '6f1c2d8e-0000-4000-8000-000000000002', tags: [], extra: {}, raw: Buffer.alloc(0), owner: null },
];
const expected = [
  { _key: 'm1', motor: 'm1', rpm: 1500.5, count: 2 ** 40, at, atMicros: at, day, state: 'RUN', temp: 71.5, 'bearing.vib': 0.25, 'bearing.ok': true, price: 12.34, id: '6f1c2d8e-0000-4000-8000-000000000001', tags: '["a","b"]', 'extra.x': 1.5, raw: 'AQL/', 'owner.name': 'ann' },
  { _key: 'm2', motor: 'm2', rpm: -0.5, count: -3, at: at + 1, atMicros: at + 1, day: 0, state: 'STOP', temp: null, 'bearing.vib': 1, 'bearing.ok': false, price: -0.01, id: '6f1c2d8e-0000-4000-8000-000000000002', tags: '[]', 'extra.x': null, raw: '', 'owner.name': null },
];

test('avro: typed columns as JSON gives them (nesting flattened, unions, enums, logical types, arrays, maps)', async () => {
  await ctx.kafka.createTopic('r-avro');
  await ctx.kafka.topic('r-avro').produce(avroRows, { format: 'avro', schema: reading });
  const df = await ctx.kafka.topic('r-avro').read({ from: 'earliest' });
  assert.equal(recordsOf(df).map(meta), expected);
  const report = readReport(df)!;
  assert.is(report.failed, 0);
  assert.equal(report.schemas?.map((s) => [s.type, s.name, s.records]), [['AVRO', 'motors.Reading', 2]]);
  // The same rows by kafkajs's fetch route, by a stream, and with `columns`.
  const viaKafkajs = await readTopicWith(ctx.kafka, 'r-avro', { from: 'earliest' }, 'kafkajs');
  assert.equal(recordsOf(viaKafkajs).map(meta), expected);
  const streamed = await ctx.kafka.topic('r-avro').stream({ from: 'earliest', to: 'latest' }).collect();
  assert.equal(streamed.map((r) => meta(r as Record<string, unknown>)), expected);
  const some = await ctx.kafka.topic('r-avro').read({ from: 'earliest', columns: ['rpm', 'bearing.vib', 'extra.x'] });
  assert.equal(recordsOf(some).map(meta), expected.map((e) => ({ _key: e._key, rpm: e.rpm, 'bearing.vib': e['bearing.vib'], 'extra.x': e['extra.x'] })));
});

test('the same values as JSON records give the same frame', async () => {
  await ctx.kafka.createTopic('r-avro-json');
  const asJson = expected.map((e) => ({ ...e, tags: JSON.parse(e.tags as string), extra: e['extra.x'] === null ? {} : { x: e['extra.x'] } }));
  await ctx.kafka.topic('r-avro-json').produce(asJson.map((r) => { const { 'extra.x': _x, ...rest } = r; return rest; }));
  const json = recordsOf(await ctx.kafka.topic('r-avro-json').read({ from: 'earliest' })).map(meta);
  const avro = recordsOf(await ctx.kafka.topic('r-avro').read({ from: 'earliest' })).map(meta);
  // JSON has no null-record marker: the null owner is a missing column there, a null cell here.
  assert.equal(json.map((r) => ({ ...r, 'owner.name': r['owner.name'] ?? null, 'extra.x': r['extra.x'] ?? null })), avro);
});

test('several schema versions in one range: columns unioned, the report says so', async () => {
  await ctx.kafka.createTopic('r-versions');
  const v1 = { type: 'record', name: 'V', fields: [{ name: 'a', type: 'double' }] };
  const v2 = { type: 'record', name: 'V', fields: [{ name: 'a', type: 'double' }, { name: 'b', type: ['null', 'string'], default: null }] };
  await ctx.kafka.topic('r-versions').produce([{ a: 1 }, { a: 2 }], { format: 'avro', schema: v1 });
  await ctx.kafka.topic('r-versions').produce([{ a: 3, b: 'x' }], { format: 'avro', schema: v2 });
  const df = await ctx.kafka.topic('r-versions').read({ from: 'earliest' });
  assert.equal(recordsOf(df).map(meta), [{ _key: null, a: 1, b: null }, { _key: null, a: 2, b: null }, { _key: null, a: 3, b: 'x' }]);
  const report = readReport(df)!;
  assert.is(report.schemas?.length, 2);
  assert.equal(report.schemas?.map((s) => s.records), [2, 1]);
  assert.ok(report.warnings.some((w) => /2 schemas in this range .*union/.test(w)), report.warnings.join('\n'));
});

test('decode threads give the same frame and report (schemas fetched by each thread)', async () => {
  await ctx.kafka.createTopic('r-threads', { partitions: 3 });
  const v1 = { type: 'record', name: 'T', fields: [{ name: 'id', type: 'string' }, { name: 'a', type: 'double' }] };
  const v2 = { type: 'record', name: 'T', fields: [{ name: 'id', type: 'string' }, { name: 'a', type: 'double' }, { name: 'b', type: ['null', 'string'], default: null }] };
  await ctx.kafka.topic('r-threads').produce(Array.from({ length: 60 }, (_, i) => ({ id: `m${i % 7}`, a: i / 4 })), { format: 'avro', schema: v1, key: 'id' });
  await ctx.kafka.topic('r-threads').produce(Array.from({ length: 30 }, (_, i) => ({ id: `m${i % 5}`, a: i, b: `x${i}` })), { format: 'avro', schema: v2, key: 'id' });
  await ctx.kafka.topic('r-threads').produce([{ id: 'j', a: 'text' }], { key: 'id' });
  const one = await ctx.kafka.topic('r-threads').read({ from: 'earliest', parallel: false });
  const three = await ctx.kafka.topic('r-threads').read({ from: 'earliest', parallel: 3 });
  assert.is(one.shape[0], 91);
  assert.equal(three.columns, one.columns);
  assert.equal(recordsOf(three), recordsOf(one));
  assert.equal({ ...readReport(three)!, elapsedMs: 0 }, { ...readReport(one)!, elapsedMs: 0 });
  assert.equal(readReport(three)!.schemas?.map((s) => s.records), [60, 30]);
});

test('protobuf and JSON Schema records decode into the same kind of columns', async () => {
  await ctx.kafka.createTopic('r-proto');
  const proto = `syntax = "proto3";
package motors;
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";
message Reading {
  string motor = 1;
  double rpm = 2;
  int64 count = 3;
  enum State { RUN = 0; STOP = 1; }
  State state = 4;
  message Bearing { float vib = 1; }
  Bearing bearing = 5;
  google.protobuf.Timestamp at = 6;
  repeated string tags = 7;
  google.protobuf.DoubleValue temp = 8;
}`;
  await ctx.kafka.topic('r-proto').produce(
    [
      { motor: 'm1', rpm: 1.5, count: 7, state: 'STOP', bearing: { vib: 0.25 }, at, tags: ['a'], temp: 20.5 },
      { motor: 'm2', rpm: 0, count: 0, state: 'RUN', bearing: { vib: 1 }, at: at + 1, tags: [] },
    ],
    { format: 'protobuf', schema: proto },
  );
  const df = await ctx.kafka.topic('r-proto').read({ from: 'earliest' });
  assert.equal(recordsOf(df).map(meta), [
    { _key: null, motor: 'm1', rpm: 1.5, count: 7, state: 'STOP', 'bearing.vib': 0.25, at, tags: '["a"]', temp: 20.5 },
    { _key: null, motor: 'm2', rpm: 0, count: 0, state: 'RUN', 'bearing.vib': 1, at: at + 1, tags: '[]', temp: null },
  ]);
  assert.equal(readReport(df)!.schemas?.map((s) => [s.type, s.name]), [['PROTOBUF', 'motors.Reading']]);

  await ctx.kafka.createTopic('r-jsonschema');
  const js = { title: 'Reading', type: 'object', properties: { motor: { type: 'string' }, rpm: { type: 'number' }, bearing: { type: 'object', properties: { vib: { type: 'number' } } } } };
  await ctx.kafka.topic('r-jsonschema').produce([{ motor: 'm1', rpm: 2, bearing: { vib: 0.5 } }], { format: 'json-schema', schema: js });
  const dj = await ctx.kafka.topic('r-jsonschema').read({ from: 'earliest' });
  assert.equal(recordsOf(dj).map(meta), [{ _key: null, motor: 'm1', rpm: 2, 'bearing.vib': 0.5 }]);
  assert.equal(readReport(dj)!.schemas?.map((s) => [s.type, s.name]), [['JSON', 'Reading']]);
});

test('forced formats: records of another format fail with the reason; auto mixes JSON and Avro', async () => {
  await ctx.kafka.createTopic('r-mixed');
  await ctx.kafka.topic('r-mixed').produce([{ a: 1 }]);
  await ctx.kafka.topic('r-mixed').produce([{ a: 2 }], { format: 'avro', schema: { type: 'record', name: 'M', fields: [{ name: 'a', type: 'int' }] } });
  const auto = await ctx.kafka.topic('r-mixed').read({ from: 'earliest' });
  assert.equal(recordsOf(auto).map((r) => r.a), [1, 2]);
  const avroOnly = await ctx.kafka.topic('r-mixed').read({ from: 'earliest', format: 'avro' });
  assert.equal(recordsOf(avroOnly).map((r) => r.a), [2]);
  assert.equal(readReport(avroOnly)!.failures, { 'not Confluent-framed (no magic byte 0 and schema id)': 1 });
  const protoOnly = await ctx.kafka.topic('r-mixed').read({ from: 'earliest', format: 'protobuf' });
  assert.is(protoOnly.shape[0], 0);
  assert.ok(Object.keys(readReport(protoOnly)!.failures).some((r) => /^schema id \d+ is AVRO, not PROTOBUF$/.test(r)), JSON.stringify(readReport(protoOnly)!.failures));
  const jsonOnly = await ctx.kafka.topic('r-mixed').read({ from: 'earliest', format: 'json' });
  assert.equal(recordsOf(jsonOnly).map((r) => r.a), [1]);
  assert.equal(readReport(jsonOnly)!.failures, { 'invalid JSON': 1 });
});

test('bad payloads, unknown ids, no registry: failures with reasons, nothing half-written', async () => {
  await ctx.kafka.createTopic('r-bad');
  const schema = JSON.stringify({ type: 'record', name: 'B', fields: [{ name: 'a', type: 'double' }, { name: 's', type: 'string' }] });
  const id = await ctx.kafka.schemaRegistry!.register('r-bad-value', { schema });
  const good = codecFor('AVRO', schema).encode({ a: 1, s: 'ok' });
  const producer = ctx.kafka.kafka.producer();
  await producer.connect();
  await producer.send({
    topic: 'r-bad',
    messages: [
      { value: frame(id, good) },
      { value: frame(id, good.subarray(0, 5)) }, // truncated
      { value: frame(id, Buffer.concat([good, Buffer.from([1])])) }, // trailing bytes
      { value: frame(9999, good) }, // unknown id
      { value: frame(id, good) },
    ],
  });
  await producer.disconnect();
  const df = await ctx.kafka.topic('r-bad').read({ from: 'earliest' });
  assert.equal(recordsOf(df).map(meta), [{ _key: null, a: 1, s: 'ok' }, { _key: null, a: 1, s: 'ok' }]);
  const report = readReport(df)!;
  assert.is(report.failed, 3);
  assert.equal(report.samples.map((s) => s.offset), [1, 2, 3]);
  assert.match(report.samples[0].reason, /^Avro payload (shorter than its schema|does not match)/);
  assert.is(report.samples[1].reason, 'Avro payload longer than its schema');
  assert.is(report.samples[2].reason, 'schema id 9999 is not in the Schema Registry');

  const noRegistry = await connect({ brokers: ctx.rig.broker.bootstrap });
  try {
    if (!noRegistry.schemaRegistry) {
      const plain = await noRegistry.topic('r-bad').read({ from: 'earliest' });
      assert.is(plain.shape[0], 0);
      assert.match(Object.keys(readReport(plain)!.failures)[0], /no Schema Registry is configured/);
    }
  } finally {
    await noRegistry.close();
  }
});

test('framed keys: a primitive key as its text, a record key as its JSON', async () => {
  await ctx.kafka.createTopic('r-keys');
  const keyId = await ctx.kafka.schemaRegistry!.register('r-keys-key', { schema: '"string"' });
  const recKeyId = await ctx.kafka.schemaRegistry!.register('r-keys-key2', { schema: JSON.stringify({ type: 'record', name: 'K', fields: [{ name: 'vin', type: 'string' }, { name: 'n', type: 'int' }] }) });
  const value = { type: 'record', name: 'KV', fields: [{ name: 'a', type: 'int' }] };
  const valueId = await ctx.kafka.schemaRegistry!.register('r-keys-value', { schema: JSON.stringify(value) });
  const producer = ctx.kafka.kafka.producer();
  await producer.connect();
  await producer.send({
    topic: 'r-keys',
    messages: [
      { key: frame(keyId, codecFor('AVRO', '"string"').encode('car-1')), value: frame(valueId, codecFor('AVRO', JSON.stringify(value)).encode({ a: 1 })) },
      { key: frame(recKeyId, codecFor('AVRO', JSON.stringify({ type: 'record', name: 'K', fields: [{ name: 'vin', type: 'string' }, { name: 'n', type: 'int' }] })).encode({ vin: 'V', n: 2 })), value: '{"a":2}' },
      { key: 'plain', value: '{"a":3}' },
    ],
  });
  await producer.disconnect();
  const df = await ctx.kafka.topic('r-keys').read({ from: 'earliest' });
  assert.equal(recordsOf(df).map((r) => [r._key, r.a]), [['car-1', 1], ['{"vin":"V","n":2}', 2], ['plain', 3]]);
});

test('an unknown format is refused up front', async () => {
  const e = await ctx.kafka.topic('r-avro').read({ format: 'avro2' as never }).then(() => undefined, (x: Error) => x);
  assert.match(String(e?.message), /Unknown format "avro2"; use one of auto, json, avro, protobuf, json-schema/);
});

test.run();
