// The registry client: basic auth from { url, auth } or from the URL's user info, credentials
// never in an error or log line, errors with Confluent's codes and a hint, unreachable registry.
import { test } from 'uvu';
import * as net from 'net';
import * as assert from 'uvu/assert';
import { SchemaRegistryClient, SchemaRegistryError } from '../../sdk/registry/client';
import { consoleLogger } from '../../sdk/util/log';
import { startRegistryRig, stopRegistryRig, type RegistryRig } from './helpers';

let rig: RegistryRig;
const lines: string[] = [];
test.before(async () => {
  rig = await startRegistryRig({ users: { key: 'top-secret-value' } });
});
test.after(async () => {
  await stopRegistryRig(rig);
});

const logger = consoleLogger({ level: 'debug', write: (l) => lines.push(l) });

test('basic auth: { url, auth } and user info in the URL both work; a wrong password is 401 with a hint', async () => {
  const a = new SchemaRegistryClient({ url: rig.registry.url, auth: { username: 'key', password: 'top-secret-value' } }, { logger });
  assert.is(await a.register('auth-value', { schema: '"string"' }), 1);
  const withUserInfo = rig.registry.url.replace('http://', 'http://key:top-secret-value@');
  const b = new SchemaRegistryClient(withUserInfo, { logger });
  assert.is(b.url, rig.registry.url, 'credentials are not part of the URL it shows');
  assert.equal(await b.subjects(), ['auth-value']);
  const wrong = new SchemaRegistryClient(rig.registry.url.replace('http://', 'http://key:nope-wrong@'), { logger });
  const err = await wrong.subjects().catch((e) => e);
  assert.instance(err, SchemaRegistryError);
  assert.is(err.status, 401);
  assert.match(err.message, /credentials/);
  for (const text of [err.message, String(err.stack), ...lines]) {
    assert.not.match(text, 'top-secret-value');
    assert.not.match(text, 'nope-wrong');
  }
  assert.ok(lines.length > 0, 'the client logged its requests at debug level');
});

test('cached: the id of a registered schema and a schema by id are asked once', async () => {
  const c = new SchemaRegistryClient({ url: rig.registry.url, auth: { username: 'key', password: 'top-secret-value' } });
  let requests = 0;
  const request = c.request.bind(c);
  c.request = ((...args: Parameters<typeof request>) => {
    requests++;
    return request(...args);
  }) as typeof c.request;
  const ids = await Promise.all([1, 2, 3].map(() => c.register('cache-value', { schema: '"int"' })));
  assert.equal(ids, [2, 2, 2]);
  await Promise.all([c.schemaById(2), c.schemaById(2)]);
  await c.schemaById(2);
  assert.is(requests, 2);
  assert.equal(await c.schemaById(2), { schemaType: 'AVRO', schema: '"int"', references: [] });
  const missing = await c.schemaById(999).catch((e) => e);
  assert.equal([missing.status, missing.errorCode], [404, 40403]);
});

test('an unreachable registry says where and what to do', async () => {
  // A port that was free a moment ago: nothing listens there.
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const c = new SchemaRegistryClient(`http://127.0.0.1:${port}`);
  const err = await c.subjects().catch((e) => e);
  assert.is(err.code, 'SCHEMA_REGISTRY_UNREACHABLE');
  assert.match(err.message, `Cannot reach the Schema Registry at http://127.0.0.1:${port} (ECONNREFUSED)`);
});

test.run();
