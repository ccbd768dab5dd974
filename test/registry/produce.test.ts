// produce() with format 'avro' | 'protobuf' | 'json-schema' against the embedded broker and
// registry: the subject it registers, Confluent's framing of every record, decoding by id,
// rows that do not fit (an error naming the row and field, nothing written), subject strategies.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, type KafkaConnection } from '../../sdk/kafka/connect';
import { recordsOf } from '../../sdk/frame/dataframe';
import { SchemaDecoder, schemaIdOf } from '../../sdk/registry/serdes';
import { decodeMessageIndexes, encodeMessageIndexes } from '../../sdk/registry/serdes/wire';
import { startRegistryRig, stopRegistryRig, type RegistryRig } from './helpers';

let rig: RegistryRig;
let kafka: KafkaConnection;
test.before(async () => {
  rig = await startRegistryRig();
  kafka = await connect({ brokers: rig.broker.bootstrap, schemaRegistry: rig.registry.url });
});
test.after(async () => {
  await kafka?.close();
  await stopRegistryRig(rig);
});

/** The raw values of a topic, in offset order. */
async function rawValues(topic: string): Promise<Buffer[]> {
  const df = await kafka.topic(topic).read({ from: 'earliest', format: 'bytes' });
  return recordsOf(df).map((r) => Buffer.from(r.value as string, 'base64'));
}

const reading = {
  type: 'record',
  name: 'Reading',
  namespace: 'motors',
  fields: [
    { name: 'motor', type: 'string' },
    { name: 'rpm', type: 'double' },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'state', type: { type: 'enum', name: 'State', symbols: ['RUN', 'STOP'] } },
    { name: 'temp', type: ['null', 'double'], default: null },
    { name: 'bearing', type: { type: 'record', name: 'Bearing', fields: [{ name: 'vib', type: 'float' }] } },
    { name: 'tags', type: { type: 'array', items: 'string' }, default: [] },
  ],
};

test('avro: registers <topic>-value, frames each record with its id, decodes by id', async () => {
  await kafka.createTopic('motors-avro');
  const at = Date.UTC(2026, 0, 2, 3, 4, 5);
  const rows = [
    { _key: 'm1', motor: 'm1', rpm: 1500.5, at: new Date(at), state: 'RUN', temp: 71.5, bearing: { vib: 0.25 }, tags: ['a'] },
    { _key: 'm2', motor: 'm2', rpm: 0, at: '2026-01-02T03:04:06Z', state: 'STOP', 'bearing.vib': 0.5 }, // flattened, as read() gives it
  ];
  const res = await kafka.topic('motors-avro').produce(rows, { format: 'avro', schema: reading });
  assert.is(res.records, 2);
  const latest = await rig.call('GET', '/subjects/motors-avro-value/versions/latest');
  assert.is(latest.status, 200);
  const values = await rawValues('motors-avro');
  assert.equal(values.map((v) => [v[0], schemaIdOf(v)]), [[0, latest.body.id], [0, latest.body.id]]);
  const decoder = new SchemaDecoder(kafka.schemaRegistry!);
  const decoded = await Promise.all(values.map((v) => decoder.decode(v)));
  assert.equal(JSON.parse(JSON.stringify(decoded[0].value)), { motor: 'm1', rpm: 1500.5, at, state: 'RUN', temp: 71.5, bearing: { vib: 0.25 }, tags: ['a'] });
  const second = decoded[1].value as Record<string, any>;
  assert.equal([second.at, second.temp, second.bearing.vib, second.tags], [at + 1000, null, 0.5, []]);
});

test('a row that does not fit: which row, which field, nothing written', async () => {
  await kafka.createTopic('motors-bad');
  const good = { motor: 'm1', rpm: 1, at: 0, state: 'RUN', bearing: { vib: 0 } };
  const cases: [object, RegExp][] = [
    [{ ...good, rpm: 'fast' }, /Row 1 does not fit the schema of "motors-bad-value": field "rpm" is "fast", not a double/],
    [{ ...good, state: 'BROKEN' }, /field "state" is "BROKEN", not an enum/],
    [{ ...good, bearing: { vib: 'x' } }, /field "bearing.vib" is "x", not a float/],
    [{ ...good, extra: 1 }, /field "extra" is not in the schema/],
    [{ motor: 'm1', rpm: 1, at: 0, state: 'RUN' }, /field "bearing" is missing, not a record/],
  ];
  for (const [row, message] of cases) {
    const err = await kafka.topic('motors-bad').produce([good, row], { format: 'avro', schema: reading }).catch((e) => e);
    assert.instance(err, Error);
    assert.match(err.message, message);
    assert.is(err.code, 'SCHEMA_MISMATCH');
  }
  assert.is((await rawValues('motors-bad')).length, 0, 'nothing was written');
});

test('an incompatible schema is the registry\'s 409, explained; produce without a schema uses the latest', async () => {
  await kafka.createTopic('motors-evolve');
  const v1 = { type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] };
  await kafka.topic('motors-evolve').produce([{ a: 1 }], { format: 'avro', schema: v1 });
  const err = await kafka.topic('motors-evolve').produce([{ a: 1, b: 2 }], { format: 'avro', schema: { ...v1, fields: [...v1.fields, { name: 'b', type: 'int' }] } }).catch((e) => e);
  assert.is(err.code, 'SCHEMA_REGISTRY');
  assert.is(err.errorCode, 409);
  assert.match(err.message, /READER_FIELD_MISSING_DEFAULT_VALUE/);
  assert.match(err.message, /give a new field a default/);
  await kafka.topic('motors-evolve').produce([{ a: 2 }], { format: 'avro' });
  assert.is((await rawValues('motors-evolve')).length, 2);
});

test('protobuf: message indexes, nested and second messages, timestamps, enums', async () => {
  await kafka.createTopic('motors-proto');
  const proto = `syntax = "proto3";
package motors;
import "google/protobuf/timestamp.proto";
message Other { string x = 1; }
message Reading {
  string motor = 1;
  double rpm = 2;
  google.protobuf.Timestamp at = 3;
  enum State { RUN = 0; STOP = 1; }
  State state = 4;
  Bearing bearing = 5;
  repeated string tags = 6;
  message Bearing { float vib = 1; }
}`;
  const at = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
  await kafka.topic('motors-proto').produce([{ motor: 'm1', rpm: 12.5, at: new Date(at), state: 'STOP', bearing: { vib: 0.5 }, tags: ['x', 'y'] }], { format: 'protobuf', schema: proto, messageName: 'Reading' });
  const [v] = await rawValues('motors-proto');
  const { indexes } = decodeMessageIndexes(v);
  assert.equal(indexes, [1], 'the second top-level message');
  assert.equal([...v.subarray(5, 7)], [2, 2], 'count 1 and index 1 as zig-zag varints');
  const decoded = await new SchemaDecoder(kafka.schemaRegistry!).decode(v);
  assert.equal(decoded.value, { motor: 'm1', rpm: 12.5, at, state: 'STOP', bearing: { vib: 0.5 }, tags: ['x', 'y'] });
  const err = await kafka.topic('motors-proto').produce([{ motor: 'm1', rpm: 'fast' }], { format: 'protobuf', schema: proto, messageName: 'Reading' }).catch((e) => e);
  assert.match(err.message, /field "rpm" is "fast", number expected/);
  const unknown = await kafka.topic('motors-proto').produce([{ motor: 'm1', speed: 3 }], { format: 'protobuf', schema: proto, messageName: 'Reading' }).catch((e) => e);
  assert.match(unknown.message, /field "speed" is not in the schema/);
});

test('json-schema: validated with the registered schema, the failing field named', async () => {
  await kafka.createTopic('motors-json');
  const schema = { title: 'Reading', type: 'object', properties: { motor: { type: 'string' }, rpm: { type: 'number', minimum: 0 }, bearing: { type: 'object', properties: { vib: { type: 'number' } } } }, required: ['motor', 'rpm'], additionalProperties: false };
  await kafka.topic('motors-json').produce([{ motor: 'm1', rpm: 3, 'bearing.vib': 0.1 }], { format: 'json-schema', schema });
  const [v] = await rawValues('motors-json');
  assert.equal(JSON.parse(v.subarray(5).toString()), { motor: 'm1', rpm: 3, bearing: { vib: 0.1 } });
  assert.is((await rig.call('GET', '/subjects/motors-json-value/versions/1')).body.schemaType, 'JSON');
  const neg = await kafka.topic('motors-json').produce([{ motor: 'm1', rpm: -1 }], { format: 'json-schema', schema }).catch((e) => e);
  assert.match(neg.message, /Row 0 does not fit the schema of "motors-json-value": field "rpm" must be >= 0/);
  const missing = await kafka.topic('motors-json').produce([{ motor: 'm1' }], { format: 'json-schema', schema }).catch((e) => e);
  assert.match(missing.message, /must have required property 'rpm'/);
});

test('subject strategies: record and topic-record names', async () => {
  await kafka.createTopic('motors-strategy');
  await kafka.topic('motors-strategy').produce([{ motor: 'm', rpm: 1, at: 0, state: 'RUN', bearing: { vib: 0 } }], { format: 'avro', schema: reading, subjectStrategy: 'record' });
  await kafka.topic('motors-strategy').produce([{ motor: 'm', rpm: 1, at: 0, state: 'RUN', bearing: { vib: 0 } }], { format: 'avro', schema: reading, subjectStrategy: 'topic-record' });
  const subjects = (await rig.call('GET', '/subjects')).body;
  assert.ok(subjects.includes('motors.Reading'));
  assert.ok(subjects.includes('motors-strategy-motors.Reading'));
  const none = await kafka.topic('motors-strategy').produce([{ a: 1 }], { format: 'json-schema', schema: { type: 'object' }, subjectStrategy: 'record' }).catch((e) => e);
  assert.match(none.message, /needs a record name/);
});

test('no registry: a clear error; bad options: named', async () => {
  const plain = await connect({ brokers: rig.broker.bootstrap });
  try {
    const err = await plain.topic('motors-avro').produce([{ a: 1 }], { format: 'avro', schema: reading }).catch((e) => e);
    assert.is(err.code, 'NO_SCHEMA_REGISTRY');
    assert.match(err.message, /SCHEMA_REGISTRY_URL/);
  } finally {
    await plain.close();
  }
  const err = await kafka.topic('motors-avro').produce([{ a: 1 }], { format: 'json', schema: reading }).catch((e) => e);
  assert.is(err.code, 'BAD_OPTION');
});

test('message indexes: zig-zag varints round trip; [0] is one byte', () => {
  for (const idx of [[0], [1], [0, 0], [3, 1, 2], [200, 5000]]) {
    const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, 1]), encodeMessageIndexes(idx), Buffer.from([9])]);
    const { indexes, payloadStart } = decodeMessageIndexes(framed);
    assert.equal(indexes, idx);
    assert.is(framed[payloadStart], 9);
  }
  assert.equal([...encodeMessageIndexes([0])], [0]);
});

test.run();
