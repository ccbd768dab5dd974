// Confluent's own Python serializers against the embedded broker and Schema Registry, both
// directions: confluent_kafka.avro AvroProducer / AvroConsumer (python3-avro), and
// confluent_kafka.schema_registry's JSONSerializer / ProtobufSerializer and their deserializers
// register and write, kafkalab decodes; kafkalab writes, they read. Compatibility errors are the
// same answers for both.
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import { missingPython, needing } from '../helpers/skip';
import { runProcess, succeeded } from './helpers';
import { connect, type KafkaConnection } from '../../sdk/kafka/connect';
import { readReport, recordsOf } from '../../sdk/frame/dataframe';
import { SchemaDecoder } from '../../sdk/registry/serdes';
import { startRegistryRig, stopRegistryRig, type RegistryRig } from '../registry/helpers';

const test = needing(
  uvuTest,
  missingPython('confluent_kafka.avro, confluent_kafka.schema_registry.json_schema, confluent_kafka.schema_registry.protobuf', 'apt-get install -y python3-confluent-kafka python3-avro python3-protobuf python3-jsonschema'),
);

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

/** A Python script with BS (bootstrap) and URL (registry) defined; its stdout. */
async function python(script: string, timeoutMs = 90_000): Promise<string> {
  const prelude = `import os, sys, json, time, datetime\nBS = os.environ['BOOTSTRAP']\nURL = os.environ['SR_URL']\n`;
  const r = await runProcess('/usr/bin/python3', ['-c', prelude + script], { env: { ...process.env, BOOTSTRAP: `127.0.0.1:${rig.broker.port}`, SR_URL: rig.registry.url }, timeoutMs, label: 'python' });
  return succeeded(r, 'python');
}

const line = (out: string, tag: string) => JSON.parse(new RegExp(`^${tag} (.*)$`, 'm').exec(out)![1]);

async function decodedValues(topic: string): Promise<unknown[]> {
  const df = await kafka.topic(topic).read({ from: 'earliest', format: 'bytes' });
  const decoder = new SchemaDecoder(kafka.schemaRegistry!);
  const out = [];
  for (const r of recordsOf(df)) out.push(JSON.parse(JSON.stringify((await decoder.decode(Buffer.from(r.value as string, 'base64'))).value)));
  return out;
}

/** A Python protobuf class built from a descriptor (no protoc here): lab.Reading { string motor = 1; double rpm = 2; repeated string tags = 3; }. */
const PY_PROTO_CLASS = `
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
fdp = descriptor_pb2.FileDescriptorProto(name='reading.proto', package='lab', syntax='proto3')
m = fdp.message_type.add(name='Reading')
m.field.add(name='motor', number=1, type=descriptor_pb2.FieldDescriptorProto.TYPE_STRING, label=1)
m.field.add(name='rpm', number=2, type=descriptor_pb2.FieldDescriptorProto.TYPE_DOUBLE, label=1)
m.field.add(name='tags', number=3, type=descriptor_pb2.FieldDescriptorProto.TYPE_STRING, label=3)
pool = descriptor_pool.DescriptorPool(); pool.Add(fdp)
Reading = message_factory.MessageFactory(pool).GetPrototype(pool.FindMessageTypeByName('lab.Reading'))
`;

test('Avro: AvroProducer writes, kafkalab decodes; kafkalab writes, AvroConsumer reads', async () => {
  const out = await python(`
from confluent_kafka import avro
from confluent_kafka.avro import AvroProducer
schema = avro.loads(json.dumps({"type": "record", "name": "Reading", "namespace": "py", "fields": [
  {"name": "motor", "type": "string"}, {"name": "rpm", "type": "double"},
  {"name": "temp", "type": ["null", "double"], "default": None},
  {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}}]}))
p = AvroProducer({'bootstrap.servers': BS, 'schema.registry.url': URL}, default_value_schema=schema)
for i in range(5):
    p.produce(topic='py-avro', value={"motor": "m%d" % i, "rpm": 1000.5 + i, "temp": None if i % 2 else 20.0 + i,
              "at": datetime.datetime.fromtimestamp((1700000000000 + i) / 1000, tz=datetime.timezone.utc)})
print('UNFLUSHED', p.flush(15))
`);
  assert.match(out, 'UNFLUSHED 0');
  assert.ok((await rig.call('GET', '/subjects')).body.includes('py-avro-value'));
  assert.equal(await decodedValues('py-avro'), [0, 1, 2, 3, 4].map((i) => ({ motor: `m${i}`, rpm: 1000.5 + i, temp: i % 2 ? null : 20 + i, at: 1700000000000 + i })));
  // read() (format 'auto') decodes the Python-written records into typed columns: a null union as null, the timestamp as epoch ms.
  const frame = await kafka.topic('py-avro').read({ from: 'earliest' });
  assert.equal(readReport(frame)!.schemas?.map((x) => [x.type, x.name, x.records]), [['AVRO', 'py.Reading', 5]]);
  assert.equal(
    recordsOf(frame).map((r) => [r.motor, r.rpm, r.temp, r.at]),
    [0, 1, 2, 3, 4].map((i) => [`m${i}`, 1000.5 + i, i % 2 ? null : 20 + i, 1700000000000 + i]),
  );

  await kafka.createTopic('lab-avro');
  const schema = {
    type: 'record', name: 'Reading', namespace: 'lab',
    fields: [
      { name: 'motor', type: 'string' },
      { name: 'state', type: { type: 'enum', name: 'State', symbols: ['RUN', 'STOP'] } },
      { name: 'vib', type: { type: 'record', name: 'Vib', fields: [{ name: 'x', type: 'double' }] } },
      { name: 'temp', type: ['null', 'double'], default: null },
      { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    ],
  };
  await kafka.topic('lab-avro').produce([0, 1, 2].map((i) => ({ motor: `m${i}`, state: i ? 'RUN' : 'STOP', vib: { x: i / 4 }, temp: i === 1 ? null : 30 + i, at: 1700000000000 + i })), { format: 'avro', schema });
  const read = await python(`
from confluent_kafka.avro import AvroConsumer
c = AvroConsumer({'bootstrap.servers': BS, 'schema.registry.url': URL, 'group.id': 'py-avro-reader', 'auto.offset.reset': 'earliest'})
c.subscribe(['lab-avro'])
got, t0 = [], time.time()
while len(got) < 3 and time.time() - t0 < 40:
    m = c.poll(1)
    if m is None or m.error(): continue
    v = m.value(); v['at'] = int(v['at'].timestamp() * 1000); got.append(v)
c.close()
print('GOT', json.dumps(got))
`);
  assert.equal(line(read, 'GOT'), [0, 1, 2].map((i) => ({ motor: `m${i}`, state: i ? 'RUN' : 'STOP', vib: { x: i / 4 }, temp: i === 1 ? null : 30 + i, at: 1700000000000 + i })));
});

test('JSON Schema: JSONSerializer writes, kafkalab decodes; kafkalab writes, JSONDeserializer reads', async () => {
  const schema = { title: 'Reading', type: 'object', properties: { motor: { type: 'string' }, rpm: { type: 'number' }, vib: { type: 'object', properties: { x: { type: 'number' } } } }, required: ['motor', 'rpm'] };
  await python(`
from confluent_kafka import SerializingProducer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.json_schema import JSONSerializer
sr = SchemaRegistryClient({'url': URL})
p = SerializingProducer({'bootstrap.servers': BS, 'value.serializer': JSONSerializer(${JSON.stringify(JSON.stringify(schema))}, sr, lambda o, ctx: o)})
for i in range(3): p.produce('py-json', value={"motor": "m%d" % i, "rpm": 10.5 * i, "vib": {"x": i}})
p.flush(15)
`);
  assert.is((await rig.call('GET', '/subjects/py-json-value/versions/1')).body.schemaType, 'JSON');
  assert.equal(await decodedValues('py-json'), [0, 1, 2].map((i) => ({ motor: `m${i}`, rpm: 10.5 * i, vib: { x: i } })));

  await kafka.createTopic('lab-json');
  await kafka.topic('lab-json').produce([0, 1].map((i) => ({ motor: `m${i}`, rpm: i + 0.5, 'vib.x': i })), { format: 'json-schema', schema });
  const out = await python(`
from confluent_kafka import DeserializingConsumer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer
c = DeserializingConsumer({'bootstrap.servers': BS, 'group.id': 'py-json-reader', 'auto.offset.reset': 'earliest',
    'value.deserializer': JSONDeserializer(${JSON.stringify(JSON.stringify(schema))}, from_dict=lambda d, ctx: d)})
c.subscribe(['lab-json'])
got, t0 = [], time.time()
while len(got) < 2 and time.time() - t0 < 40:
    m = c.poll(1)
    if m is None or m.error(): continue
    got.append(m.value())
c.close()
print('GOT', json.dumps(got))
`);
  assert.equal(line(out, 'GOT'), [0, 1].map((i) => ({ motor: `m${i}`, rpm: i + 0.5, vib: { x: i } })));
});

test('Protobuf: ProtobufSerializer writes (a base64 descriptor, stored as .proto text), kafkalab decodes; kafkalab writes, ProtobufDeserializer reads', async () => {
  await python(`
${PY_PROTO_CLASS}
from confluent_kafka import SerializingProducer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
sr = SchemaRegistryClient({'url': URL})
p = SerializingProducer({'bootstrap.servers': BS, 'value.serializer': ProtobufSerializer(Reading, sr)})
for i in range(3): p.produce('py-proto', value=Reading(motor='m%d' % i, rpm=1.5 * i, tags=['t%d' % i]))
p.flush(15)
`);
  const stored = (await rig.call('GET', '/subjects/py-proto-value/versions/1')).body;
  assert.is(stored.schemaType, 'PROTOBUF');
  assert.match(stored.schema, /message Reading \{\n  string motor = 1;\n  double rpm = 2;\n  repeated string tags = 3;\n\}/);
  assert.equal(await decodedValues('py-proto'), [0, 1, 2].map((i) => ({ motor: `m${i}`, rpm: 1.5 * i, tags: [`t${i}`] })));

  await kafka.createTopic('lab-proto');
  const proto = 'syntax = "proto3";\npackage lab;\nmessage Reading { string motor = 1; double rpm = 2; repeated string tags = 3; }\n';
  await kafka.topic('lab-proto').produce([0, 1].map((i) => ({ motor: `m${i}`, rpm: i + 0.25, tags: ['a', 'b'].slice(i) })), { format: 'protobuf', schema: proto });
  const out = await python(`
${PY_PROTO_CLASS}
from confluent_kafka import DeserializingConsumer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer
c = DeserializingConsumer({'bootstrap.servers': BS, 'group.id': 'py-proto-reader', 'auto.offset.reset': 'earliest', 'value.deserializer': ProtobufDeserializer(Reading)})
c.subscribe(['lab-proto'])
got, t0 = [], time.time()
while len(got) < 2 and time.time() - t0 < 40:
    m = c.poll(1)
    if m is None or m.error(): continue
    v = m.value(); got.append({'motor': v.motor, 'rpm': v.rpm, 'tags': list(v.tags)})
c.close()
print('GOT', json.dumps(got))
`);
  assert.equal(line(out, 'GOT'), [0, 1].map((i) => ({ motor: `m${i}`, rpm: i + 0.25, tags: ['a', 'b'].slice(i) })));
});

test('compatibility errors: the Python clients and kafkalab get the same 409 and the same lookup 40403', async () => {
  const v1 = { type: 'record', name: 'Evolving', fields: [{ name: 'a', type: 'int' }] };
  const bad = { ...v1, fields: [...v1.fields, { name: 'b', type: 'string' }] };
  await kafka.createTopic('evolving');
  await kafka.topic('evolving').produce([{ a: 1 }], { format: 'avro', schema: v1 });
  const out = await python(`
from confluent_kafka.schema_registry import SchemaRegistryClient, Schema
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.avro import CachedSchemaRegistryClient, loads
from confluent_kafka.avro.error import ClientError
sr = SchemaRegistryClient({'url': URL})
bad = Schema(${JSON.stringify(JSON.stringify(bad))}, 'AVRO')
try:
    sr.register_schema('evolving-value', bad); print('REGISTERED')
except SchemaRegistryError as e:
    print('NEW', json.dumps({'status': e.http_status_code, 'code': e.error_code, 'message': e.error_message}))
print('COMPATIBLE', json.dumps(sr.test_compatibility('evolving-value', bad)))
try:
    sr.lookup_schema('evolving-value', bad)
except SchemaRegistryError as e:
    print('LOOKUP', json.dumps({'status': e.http_status_code, 'code': e.error_code}))
legacy = CachedSchemaRegistryClient(URL)
try:
    legacy.register('evolving-value', loads(${JSON.stringify(JSON.stringify(bad))})); print('LEGACY REGISTERED')
except ClientError as e:
    print('LEGACY', json.dumps({'status': e.http_code, 'message': e.message}))
`);
  const py = line(out, 'NEW');
  assert.equal([py.status, py.code], [409, 409]);
  assert.match(py.message, /^Schema being registered is incompatible with an earlier schema for subject "evolving-value", details: \[\{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE'/);
  assert.is(line(out, 'COMPATIBLE'), false);
  assert.equal(line(out, 'LOOKUP'), { status: 404, code: 40403 });
  assert.match(line(out, 'LEGACY').message, /^Incompatible Avro schema:409/, 'the legacy client branches on the 409');

  const ours = await kafka.topic('evolving').produce([{ a: 1, b: 'x' }], { format: 'avro', schema: bad }).catch((e) => e);
  assert.equal([ours.status, ours.errorCode], [409, 409]);
  assert.is(ours.registryMessage, py.message, 'the same message for both clients');
});

test('Avro longs past 2^52 (avsc flipped their sign): Python writes, kafkalab reads exactly; kafkalab writes, Python reads exactly', async () => {
  const EDGES = [-(2 ** 52) - 1, -(2 ** 53) + 2, 2 ** 53 - 2, -(2 ** 52), 2 ** 52 + 1, -(2 ** 31), 1765000000000, -1];
  const schema = { type: 'record', name: 'Big', namespace: 'py', fields: [{ name: 'i', type: 'int' }, { name: 'n', type: 'long' }] };
  const out = await python(`
from confluent_kafka import avro
from confluent_kafka.avro import AvroProducer
p = AvroProducer({'bootstrap.servers': BS, 'schema.registry.url': URL}, default_value_schema=avro.loads(${JSON.stringify(JSON.stringify(schema))}))
for i, n in enumerate(${JSON.stringify(EDGES)}):
    p.produce(topic='py-avro-long', value={"i": i, "n": n})
print('UNFLUSHED', p.flush(15))
`);
  assert.match(out, 'UNFLUSHED 0');
  assert.equal(await decodedValues('py-avro-long'), EDGES.map((n, i) => ({ i, n })), 'the SchemaDecoder (avsc)');
  const frame = await kafka.topic('py-avro-long').read({ from: 'earliest' });
  assert.equal(recordsOf(frame).map((r) => r.n), EDGES, "read()'s columns");

  await kafka.createTopic('lab-avro-long');
  await kafka.topic('lab-avro-long').produce(EDGES.map((n, i) => ({ i, n })), { format: 'avro', schema: { ...schema, namespace: 'lab' } });
  const read = await python(`
from confluent_kafka.avro import AvroConsumer
c = AvroConsumer({'bootstrap.servers': BS, 'schema.registry.url': URL, 'group.id': 'py-avro-long', 'auto.offset.reset': 'earliest'})
c.subscribe(['lab-avro-long'])
got, t0 = [], time.time()
while len(got) < ${EDGES.length} and time.time() - t0 < 40:
    m = c.poll(1)
    if m is None or m.error(): continue
    got.append([m.value()['i'], str(m.value()['n'])])
c.close()
print('GOT', json.dumps(sorted(got)))
`);
  assert.equal(line(read, 'GOT'), EDGES.map((n, i) => [i, String(n)]));
});

test.run();
