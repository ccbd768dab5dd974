// The embedded Schema Registry over HTTP, against Confluent's REST API: status codes, error
// codes and bodies, versions, deletes, config, mode, references, content types, basic auth,
// and state rebuilt from the _schemas topic after a restart.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { avro, callRegistry, startRegistryRig, stopRegistryRig, type RegistryRig } from './helpers';
import { startSchemaRegistry } from '../../sdk/registry';

let rig: RegistryRig;
test.before(async () => {
  rig = await startRegistryRig();
});
test.after(async () => {
  await stopRegistryRig(rig);
});

const car1 = { type: 'record', name: 'Car', namespace: 'lab', fields: [{ name: 'speed', type: 'double' }] };
const car2 = { ...car1, fields: [...car1.fields, { name: 'rpm', type: 'int', default: 0 }] };
const car2bad = { ...car2, fields: [...car2.fields, { name: 'gear', type: 'int' }] };

test('register: ids, versions, the same schema again, the same schema under another subject', async () => {
  const a = await rig.call('POST', '/subjects/cars-value/versions', avro(car1));
  assert.is(a.status, 200);
  assert.is(a.type, 'application/vnd.schemaregistry.v1+json');
  // Whitespace does not make another schema.
  const again = await rig.call('POST', '/subjects/cars-value/versions', { schema: JSON.stringify(car1, null, 2) });
  assert.equal(again.body, a.body);
  const b = await rig.call('POST', '/subjects/cars-value/versions', avro(car2));
  assert.is(b.body.id, a.body.id + 1);
  const other = await rig.call('POST', '/subjects/other-value/versions', avro(car1));
  assert.is(other.body.id, a.body.id, 'same schema, same id');
  assert.equal((await rig.call('GET', '/subjects/cars-value/versions')).body, [1, 2]);
  const latest = await rig.call('GET', '/subjects/cars-value/versions/latest');
  assert.equal([latest.body.subject, latest.body.version, latest.body.id], ['cars-value', 2, b.body.id]);
  assert.equal(JSON.parse(latest.body.schema), car2);
  assert.equal((await rig.call('GET', '/subjects/cars-value/versions/-1')).body.version, 2);
  assert.equal((await rig.call('GET', '/subjects/cars-value/versions/1/schema')).body, car1, 'the bare schema text');
  assert.equal((await rig.call('GET', `/schemas/ids/${a.body.id}/versions`)).body, [
    { subject: 'cars-value', version: 1 },
    { subject: 'other-value', version: 1 },
  ]);
  assert.equal((await rig.call('GET', `/schemas/ids/${a.body.id}/subjects`)).body, ['cars-value', 'other-value']);
  const byId = await rig.call('GET', `/schemas/ids/${b.body.id}`);
  assert.equal(Object.keys(byId.body), ['schema'], 'schemaType is left out for Avro');
  assert.ok((await rig.call('GET', '/subjects')).body.includes('cars-value'));
  assert.equal((await rig.call('GET', '/schemas/types')).body, ['AVRO', 'JSON', 'PROTOBUF']);
});

test('errors: Confluent status, error_code and message', async () => {
  const cases: [string, string, unknown, number, number][] = [
    ['GET', '/subjects/nope/versions', undefined, 404, 40401],
    ['GET', '/subjects/nope/versions/1', undefined, 404, 40401],
    ['GET', '/subjects/cars-value/versions/99', undefined, 404, 40402],
    ['GET', '/subjects/cars-value/versions/0', undefined, 422, 42202],
    ['GET', '/subjects/cars-value/versions/one', undefined, 422, 42202],
    ['GET', '/schemas/ids/9999', undefined, 404, 40403],
    ['POST', '/subjects/cars-value', avro({ type: 'record', name: 'Never', fields: [] }), 404, 40403],
    ['POST', '/subjects/nope', avro(car1), 404, 40401],
    ['POST', '/subjects/x-value/versions', avro({ type: 'recrd', name: 'X' }), 422, 42201],
    ['POST', '/subjects/x-value/versions', { schema: 'not json' }, 422, 42201],
    ['POST', '/subjects/x-value/versions', { schema: '"int"', schemaType: 'XML' }, 422, 42201],
    ['POST', '/subjects/cars-value/versions', avro(car2bad), 409, 409],
    ['GET', '/config/cars-value', undefined, 404, 40408],
    ['GET', '/mode/cars-value', undefined, 404, 40409],
    ['PUT', '/config', { compatibility: 'SIDEWAYS' }, 422, 42203],
    ['GET', '/no/such/path', undefined, 404, 404],
    ['PATCH', '/subjects', undefined, 405, 405],
  ];
  for (const [method, path, body, status, code] of cases) {
    const r = await rig.call(method, path, body);
    assert.is(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`);
    assert.is(r.body.error_code, code, `${method} ${path}`);
    assert.type(r.body.message, 'string');
  }
  const r = await rig.call('GET', '/subjects/nope/versions');
  assert.is(r.body.message, "Subject 'nope' not found.");
  const inc = await rig.call('POST', '/subjects/cars-value/versions', avro(car2bad));
  assert.match(inc.body.message, /^Schema being registered is incompatible with an earlier schema for subject "cars-value", details: \[\{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE'/);
  assert.match(inc.body.message, /\{oldSchemaVersion: 2\}/);
  assert.match(inc.body.message, /\{compatibility: 'BACKWARD'\}\]$/);
});

test('compatibility endpoint and levels: global and per subject, transitive', async () => {
  const s = 'levels-value';
  const v1 = { type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] };
  const v2 = { type: 'record', name: 'R', fields: [{ name: 'a', type: 'long' }] }; // int → long: backward only
  await rig.call('POST', `/subjects/${s}/versions`, avro(v1));
  assert.equal((await rig.call('POST', `/compatibility/subjects/${s}/versions/latest`, avro(v2))).body, { is_compatible: true });
  assert.is((await rig.call('PUT', `/config/${s}`, { compatibility: 'forward' })).body.compatibility, 'FORWARD');
  const fwd = await rig.call('POST', `/compatibility/subjects/${s}/versions/latest?verbose=true`, avro(v2));
  assert.is(fwd.body.is_compatible, false);
  assert.match(fwd.body.messages[0], /TYPE_MISMATCH.*reader type: INT not compatible with writer type: LONG/);
  assert.is((await rig.call('GET', '/config')).body.compatibilityLevel, 'BACKWARD');
  assert.is((await rig.call('GET', `/config/${s}`)).body.compatibilityLevel, 'FORWARD');
  assert.is((await rig.call('DELETE', `/config/${s}`)).body.compatibilityLevel, 'FORWARD');
  assert.is((await rig.call('GET', `/config/${s}?defaultToGlobal=true`)).body.compatibilityLevel, 'BACKWARD');

  // BACKWARD checks the latest only; BACKWARD_TRANSITIVE every version.
  const t = 'transitive-value';
  const base = { type: 'record', name: 'T', fields: [{ name: 'a', type: 'int' }] };
  await rig.call('POST', `/subjects/${t}/versions`, avro(base));
  await rig.call('POST', `/subjects/${t}/versions`, avro({ ...base, fields: [] }));
  const readdNoDefault = { ...base, fields: [{ name: 'a', type: 'int' }, { name: 'b', type: 'int', default: 1 }] };
  assert.ok((await rig.call('POST', `/compatibility/subjects/${t}/versions`, avro(readdNoDefault))).body.is_compatible === false, 'a has no default, missing in v2');
  await rig.call('PUT', `/config/${t}`, { compatibility: 'NONE' });
  assert.is((await rig.call('POST', `/subjects/${t}/versions`, avro({ type: 'string' }))).status, 200);
});

test('soft and hard deletes of versions and subjects', async () => {
  const s = 'del-value';
  for (const n of [1, 2, 3]) await rig.call('POST', `/subjects/${s}/versions`, avro({ type: 'record', name: 'D', fields: Array.from({ length: n }, (_, i) => ({ name: `f${i}`, type: 'int', default: 0 })) }));
  assert.is((await rig.call('DELETE', `/subjects/${s}/versions/2?permanent=true`)).body.error_code, 40407);
  assert.is((await rig.call('DELETE', `/subjects/${s}/versions/2`)).body, 2);
  assert.is((await rig.call('DELETE', `/subjects/${s}/versions/2`)).body.error_code, 40406);
  assert.equal((await rig.call('GET', `/subjects/${s}/versions`)).body, [1, 3]);
  assert.equal((await rig.call('GET', `/subjects/${s}/versions?deleted=true`)).body, [1, 2, 3]);
  assert.equal((await rig.call('GET', `/subjects/${s}/versions?deletedOnly=true`)).body, [2]);
  assert.is((await rig.call('GET', `/subjects/${s}/versions/2`)).body.error_code, 40402);
  assert.is((await rig.call('GET', `/subjects/${s}/versions/2?deleted=true`)).body.version, 2);
  const id2 = (await rig.call('GET', `/subjects/${s}/versions/2?deleted=true`)).body.id;
  assert.is((await rig.call('GET', `/schemas/ids/${id2}`)).status, 200, 'a soft-deleted schema is still readable by id');
  assert.is((await rig.call('DELETE', `/subjects/${s}/versions/2?permanent=true`)).body, 2);
  assert.is((await rig.call('GET', `/schemas/ids/${id2}`)).body.error_code, 40403);

  assert.is((await rig.call('DELETE', `/subjects/${s}?permanent=true`)).body.error_code, 40405);
  assert.equal((await rig.call('DELETE', `/subjects/${s}`)).body, [1, 3]);
  assert.is((await rig.call('DELETE', `/subjects/${s}`)).body.error_code, 40404);
  assert.is((await rig.call('GET', `/subjects/${s}/versions`)).body.error_code, 40401);
  assert.ok(!(await rig.call('GET', '/subjects')).body.includes(s));
  assert.ok((await rig.call('GET', '/subjects?deleted=true')).body.includes(s));
  // Registering after a soft delete continues the version numbers.
  const again = await rig.call('POST', `/subjects/${s}/versions`, avro({ type: 'string' }));
  assert.is(again.status, 200);
  assert.equal((await rig.call('GET', `/subjects/${s}/versions`)).body, [4]);
  await rig.call('DELETE', `/subjects/${s}`);
  assert.equal((await rig.call('DELETE', `/subjects/${s}?permanent=true`)).body, [1, 3, 4]);
  assert.ok(!(await rig.call('GET', '/subjects?deleted=true')).body.includes(s));
});

test('references: a schema using another subject\'s named type; referencedby; no delete while referenced', async () => {
  const address = { type: 'record', name: 'Address', namespace: 'lab', fields: [{ name: 'city', type: 'string' }] };
  await rig.call('POST', '/subjects/address/versions', avro(address));
  const person = { type: 'record', name: 'Person', namespace: 'lab', fields: [{ name: 'home', type: 'lab.Address' }] };
  const noRef = await rig.call('POST', '/subjects/person-value/versions', avro(person));
  assert.is(noRef.body.error_code, 42201, 'lab.Address is unknown without the reference');
  const refs = [{ name: 'lab.Address', subject: 'address', version: 1 }];
  const p = await rig.call('POST', '/subjects/person-value/versions', { ...avro(person), references: refs });
  assert.is(p.status, 200, JSON.stringify(p.body));
  assert.equal((await rig.call('GET', `/schemas/ids/${p.body.id}`)).body.references, refs);
  assert.equal((await rig.call('GET', '/subjects/address/versions/1/referencedby')).body, [p.body.id]);
  assert.is((await rig.call('DELETE', '/subjects/address/versions/1')).body.error_code, 42206);
  const looked = await rig.call('POST', '/subjects/person-value', { ...avro(person), references: refs });
  assert.is(looked.body.id, p.body.id);
});

test('mode: READONLY refuses writes (42205); IMPORT registers with the given id and version', async () => {
  await rig.call('PUT', '/mode/ro-value', { mode: 'READONLY' });
  assert.is((await rig.call('GET', '/mode/ro-value')).body.mode, 'READONLY');
  assert.is((await rig.call('POST', '/subjects/ro-value/versions', avro('"int"'))).body.error_code, 42205);
  assert.is((await rig.call('DELETE', '/mode/ro-value')).body.mode, 'READONLY');
  assert.is((await rig.call('POST', '/subjects/ro-value/versions', avro('"int"'))).status, 200);
  assert.is((await rig.call('GET', '/mode')).body.mode, 'READWRITE');

  assert.is((await rig.call('PUT', '/mode/imported-value', { mode: 'IMPORT' })).body.mode, 'IMPORT');
  const r = await rig.call('POST', '/subjects/imported-value/versions', { ...avro('"bytes"'), id: 5000, version: 7 });
  assert.equal(r.body, { id: 5000 });
  assert.is((await rig.call('GET', '/subjects/imported-value/versions/7')).body.id, 5000);
  assert.is((await rig.call('POST', '/subjects/imported-value/versions', { ...avro('"string"'), id: 5000, version: 8 })).body.error_code, 42207);
  assert.is((await rig.call('POST', '/subjects/ro-value/versions', { ...avro('"long"'), id: 6000 })).body.error_code, 42205, 'an id outside IMPORT mode');
  // Ids handed out later continue above the imported one.
  assert.is((await rig.call('POST', '/subjects/after-import-value/versions', avro('"float"'))).body.id, 5001);
});

test('content types: the three JSON media types, 406 and 415', async () => {
  const v1 = await rig.call('GET', '/subjects', undefined, { Accept: 'application/vnd.schemaregistry.v1+json' });
  assert.is(v1.type, 'application/vnd.schemaregistry.v1+json');
  assert.is((await rig.call('GET', '/subjects', undefined, { Accept: 'application/json' })).type, 'application/json');
  assert.is((await rig.call('GET', '/subjects', undefined, { Accept: 'application/vnd.schemaregistry+json' })).type, 'application/vnd.schemaregistry+json');
  assert.is((await rig.call('GET', '/subjects', undefined, { Accept: 'text/html' })).status, 406);
  const plain = await rig.call('POST', '/subjects/ct-value/versions', avro('"int"'), { 'Content-Type': 'application/json' });
  assert.is(plain.status, 200);
  assert.is((await rig.call('POST', '/subjects/ct-value/versions', avro('"int"'), { 'Content-Type': 'text/plain' })).status, 415);
  assert.is((await rig.call('POST', '/subjects/ct-value/versions', '{not json', {})).status, 400);
});

test('basic auth: 401 without or with wrong credentials, 200 with them', async () => {
  const guarded = await startSchemaRegistry({ brokers: rig.broker.bootstrap, port: 0, topic: '_schemas_auth', users: { alice: 's3cret' } });
  try {
    const none = await callRegistry(guarded.url, 'GET', '/subjects');
    assert.equal([none.status, none.body.error_code], [401, 401]);
    const wrong = await callRegistry(guarded.url, 'GET', '/subjects', undefined, { Authorization: 'Basic ' + Buffer.from('alice:nope').toString('base64') });
    assert.is(wrong.status, 401);
    const ok = await callRegistry(guarded.url, 'GET', '/subjects', undefined, { Authorization: 'Basic ' + Buffer.from('alice:s3cret').toString('base64') });
    assert.equal([ok.status, ok.body], [200, []]);
  } finally {
    await guarded.stop();
  }
});

test('concurrent registrations get distinct ids and versions', async () => {
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) => rig.call('POST', '/subjects/many-value/versions', avro({ type: 'record', name: 'M', fields: Array.from({ length: i }, (_, j) => ({ name: `f${j}`, type: 'int', default: j })) }))),
  );
  const ids = results.map((r) => r.body.id);
  assert.is(new Set(ids).size, 20);
  assert.equal((await rig.call('GET', '/subjects/many-value/versions')).body, Array.from({ length: 20 }, (_, i) => i + 1));
});

test('a restart rebuilds everything from the _schemas topic; two registries on one topic agree', async () => {
  const lastId = (await rig.call('POST', '/subjects/before-restart-value/versions', avro('"null"'))).body.id;
  const before = {
    subjects: (await rig.call('GET', '/subjects?deleted=true')).body,
    cars: (await rig.call('GET', '/subjects/cars-value/versions/latest')).body,
    config: (await rig.call('GET', '/config/levels-value?defaultToGlobal=true')).body,
    deleted: (await rig.call('GET', '/subjects/del-value/versions?deleted=true')).body,
  };
  await rig.registry.stop();
  rig.registry = await startSchemaRegistry({ brokers: rig.broker.bootstrap, port: 0 });
  assert.equal((await rig.call('GET', '/subjects?deleted=true')).body, before.subjects);
  assert.equal((await rig.call('GET', '/subjects/cars-value/versions/latest')).body, before.cars);
  assert.equal((await rig.call('GET', '/config/levels-value?defaultToGlobal=true')).body, before.config);
  assert.equal((await rig.call('GET', '/subjects/del-value/versions?deleted=true')).body, before.deleted);
  // The next id continues after the highest one the topic holds.
  const next = await rig.call('POST', '/subjects/restart-value/versions', avro('"double"'));
  assert.is(next.body.id, lastId + 1);

  const second = await startSchemaRegistry({ brokers: rig.broker.bootstrap, port: 0 });
  try {
    const written = await callRegistry(second.url, 'POST', '/subjects/from-second-value/versions', avro('"boolean"'));
    assert.is(written.status, 200);
    // The first registry reads the second's write from the topic within its long poll.
    let seen: any;
    for (let i = 0; i < 50 && !seen?.id; i++) {
      seen = (await rig.call('GET', '/subjects/from-second-value/versions/1')).body;
      if (!seen?.id) await new Promise((r) => setTimeout(r, 100));
    }
    assert.is(seen.id, written.body.id);
  } finally {
    await second.stop();
  }
});

test.run();
