// @kafkajs/confluent-schema-registry (the registry client kafkajs users run) against the
// embedded Schema Registry with basic auth: it registers and encodes, kafkalab decodes; kafkalab
// registers and encodes, it decodes; Avro, JSON Schema and Protobuf; an incompatible schema is
// its 409.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { SchemaRegistryClient } from '../../sdk/registry/client';
import { SchemaDecoder, schemaEncoder } from '../../sdk/registry/serdes';
import { startRegistryRig, stopRegistryRig, type RegistryRig } from '../registry/helpers';

const auth = { username: 'lab', password: 'pw-123' };
let rig: RegistryRig;
let theirs: SchemaRegistry;
let ours: SchemaRegistryClient;
test.before(async () => {
  rig = await startRegistryRig({ users: { [auth.username]: auth.password } });
  theirs = new SchemaRegistry({ host: rig.registry.url, auth }, { [SchemaType.PROTOBUF]: { messageName: 'Reading' } });
  ours = new SchemaRegistryClient({ url: rig.registry.url, auth });
});
test.after(async () => {
  await stopRegistryRig(rig);
});

const plain = (v: unknown) => JSON.parse(JSON.stringify(v));

test('Avro both ways, and the same id for the same schema', async () => {
  const schema = { type: 'record', name: 'Reading', namespace: 'js', fields: [{ name: 'motor', type: 'string' }, { name: 'rpm', type: 'double' }, { name: 'temp', type: ['null', 'double'], default: null }] };
  const { id } = await theirs.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject: 'js-avro-value' });
  const bytes = await theirs.encode(id, { motor: 'm1', rpm: 12.5, temp: 3 });
  const decoded = await new SchemaDecoder(ours).decode(bytes);
  assert.equal(plain(decoded.value), { motor: 'm1', rpm: 12.5, temp: 3 });

  const enc = await schemaEncoder(ours, 'js-avro', { format: 'avro', schema });
  assert.is(enc.id, id, 'registering the same schema again gives the same id');
  assert.equal(plain(await theirs.decode(enc.encode({ motor: 'm2', rpm: 1 }))), { motor: 'm2', rpm: 1, temp: null });
});

test('JSON Schema both ways', async () => {
  const schema = { title: 'Reading', type: 'object', properties: { motor: { type: 'string' }, rpm: { type: 'number' } }, required: ['motor'] };
  const { id } = await theirs.register({ type: SchemaType.JSON, schema: JSON.stringify(schema) }, { subject: 'js-json-value' });
  const decoded = await new SchemaDecoder(ours).decode(await theirs.encode(id, { motor: 'm1', rpm: 2 }));
  assert.equal(decoded.value, { motor: 'm1', rpm: 2 });
  const enc = await schemaEncoder(ours, 'js-json', { format: 'json-schema', schema });
  assert.equal(await theirs.decode(enc.encode({ motor: 'm2', rpm: 3 })), { motor: 'm2', rpm: 3 });
});

test('Protobuf both ways (it writes no message indexes; kafkalab reads that as the first message)', async () => {
  const proto = 'syntax = "proto3";\npackage js;\nmessage Reading { string motor = 1; double rpm = 2; repeated int32 codes = 3; }\n';
  const { id } = await theirs.register({ type: SchemaType.PROTOBUF, schema: proto }, { subject: 'js-proto-value' });
  const bytes = await theirs.encode(id, { motor: 'm1', rpm: 4.5, codes: [1, 2] });
  assert.equal((await new SchemaDecoder(ours).decode(bytes)).value, { motor: 'm1', rpm: 4.5, codes: [1, 2] });
  const enc = await schemaEncoder(ours, 'js-proto', { format: 'protobuf', schema: proto });
  assert.equal(plain(await theirs.decode(enc.encode({ motor: 'm2', rpm: 1, codes: [7] }))), { motor: 'm2', rpm: 1, codes: [7] });
});

test('an incompatible schema is a 409 for it as for kafkalab', async () => {
  const v1 = { type: 'record', name: 'Evolving', fields: [{ name: 'a', type: 'int' }] };
  const bad = { ...v1, fields: [...v1.fields, { name: 'b', type: 'string' }] };
  await theirs.register({ type: SchemaType.AVRO, schema: JSON.stringify(v1) }, { subject: 'js-evolving-value' });
  const err = await theirs.register({ type: SchemaType.AVRO, schema: JSON.stringify(bad) }, { subject: 'js-evolving-value' }).catch((e) => e);
  assert.is(err.status, 409);
  assert.match(err.message, /incompatible with an earlier schema/);
  const mine = await schemaEncoder(ours, 'js-evolving', { format: 'avro', schema: bad }).catch((e) => e);
  assert.equal([mine.status, mine.errorCode], [409, 409]);
});

test.run();
