/**
 * The security seam (sdk/broker/security.ts) with a stand-in security module: a toy SASL
 * mechanism, an authorizer that denies one principal one thing, an in-memory ACL store. It shows
 * what a real module gets from the broker: the pre-authentication gate, the SaslHandshake /
 * SaslAuthenticate flow (and raw v0 tokens), per-connection principals, authorize() call sites
 * answering *_AUTHORIZATION_FAILED, and the ACL APIs reaching the store.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { registerService } from '../../sdk/broker/registry';
import { SECURITY_SERVICE, type AclBinding, type AclFilter, type Security } from '../../sdk/broker/security';
import { startBroker, type Broker } from '../../sdk/broker';
import { rawClient, type RawClient } from './wire';
import { encodeRecordBatch } from '../../sdk/protocol/record-batch';
import { ApiVersionsRequest, ApiVersionsResponse } from '../../sdk/protocol/messages/api-versions';
import { MetadataRequest, MetadataResponse } from '../../sdk/protocol/messages/metadata';
import { ProduceRequest, ProduceResponse } from '../../sdk/protocol/messages/produce';
import { SaslHandshakeRequest, SaslHandshakeResponse } from '../../sdk/protocol/messages/sasl-handshake';
import { SaslAuthenticateRequest, SaslAuthenticateResponse } from '../../sdk/protocol/messages/sasl-authenticate';
import { CreateAclsRequest, CreateAclsResponse } from '../../sdk/protocol/messages/create-acls';
import { DescribeAclsRequest, DescribeAclsResponse } from '../../sdk/protocol/messages/describe-acls';
import { DeleteAclsRequest, DeleteAclsResponse } from '../../sdk/protocol/messages/delete-acls';
import { AclOperation, AclPatternType, AclPermissionType, AclResourceType } from '../../sdk/protocol/messages/acl-types';

const decisions: Array<[string, number, string]> = [];
const stored: AclBinding[] = [];
const matches = (f: AclFilter, b: AclBinding) =>
  (f.resourceType === AclResourceType.ANY || f.resourceType === b.resourceType) && (f.resourceName === null || f.resourceName === b.resourceName) && (f.principal === null || f.principal === b.principal);

const toy: Security = {
  saslMechanisms: ['TOY'],
  requireAuthentication: true,
  // TOY: the client sends "name:secret"; one round trip.
  startSasl: () => ({
    step(token) {
      const [name, secret] = token.toString().split(':');
      if (secret !== 'open-sesame') throw new Error('bad credentials for TOY');
      return { response: Buffer.from(`welcome ${name}`), principal: `User:${name}` };
    },
  }),
  authorizer: {
    authorize(principal, _host, operation, resource) {
      decisions.push([principal, operation, resource.name]);
      return !(principal === 'User:mallory' && operation === AclOperation.WRITE);
    },
  },
  acls: {
    describe: (f) => stored.filter((b) => matches(f, b)),
    create: (bs) => bs.map((b) => (stored.push(b), { errorCode: 0, errorMessage: null })),
    delete: (fs) =>
      fs.map((f) => {
        const gone = stored.filter((b) => matches(f, b));
        for (const b of gone) stored.splice(stored.indexOf(b), 1);
        return { errorCode: 0, errorMessage: null, deleted: gone };
      }),
  },
};
registerService(SECURITY_SERVICE, () => toy);

let broker: Broker;
test.before(async () => {
  broker = await startBroker({ port: 0 });
});
test.after(async () => {
  await broker.stop();
});

async function login(name: string, secret: string, c?: RawClient) {
  c ??= await rawClient(broker.port);
  const hs = await c.call(SaslHandshakeRequest, SaslHandshakeResponse, 1, { mechanism: 'TOY' });
  assert.equal(hs, { errorCode: 0, mechanisms: ['TOY'] });
  const auth = await c.call(SaslAuthenticateRequest, SaslAuthenticateResponse, 2, { authBytes: Buffer.from(`${name}:${secret}`) });
  return { c, auth };
}

test('before authentication only ApiVersions and SASL are served; anything else closes the connection', async () => {
  const c = await rawClient(broker.port);
  const av = await c.call(ApiVersionsRequest, ApiVersionsResponse, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
  assert.ok(av.apiKeys.some((k) => k.apiKey === 36));
  assert.equal(await c.call(SaslHandshakeRequest, SaslHandshakeResponse, 1, { mechanism: 'PLAIN' }), { errorCode: 33, mechanisms: ['TOY'] });
  const refused = await c.call(MetadataRequest, MetadataResponse, 12, { topics: null, includeTopicAuthorizedOperations: false }).then(
    () => 'answered',
    (e: Error) => e.message,
  );
  assert.is(refused, 'connection closed by broker');
  await c.closed;
});

test('a failed SASL authentication answers 58 with the reason, then closes', async () => {
  const { c, auth } = await login('eve', 'guess');
  assert.equal([auth.errorCode, auth.errorMessage], [58, 'bad credentials for TOY']);
  await c.closed;
});

test('an authenticated principal reaches handlers: authorize() decides, denial is 29 for that topic only', async () => {
  const { c, auth } = await login('mallory', 'open-sesame');
  assert.equal([auth.errorCode, auth.authBytes.toString()], [0, 'welcome mallory']);
  await c.call(MetadataRequest, MetadataResponse, 12, { topics: [{ name: 'guarded' }], includeTopicAuthorizedOperations: false });
  const res = await c.call(ProduceRequest, ProduceResponse, 9, {
    acks: -1, timeoutMs: 1000, topicData: [{ name: 'guarded', partitionData: [{ index: 0, records: encodeRecordBatch([{ key: null, value: Buffer.from('x') }]) }] }],
  });
  assert.is(res.responses[0].partitionResponses[0].errorCode, 29);
  assert.ok(decisions.some(([p, op, name]) => p === 'User:mallory' && op === AclOperation.WRITE && name === 'guarded'));
  const again = await c.call(SaslHandshakeRequest, SaslHandshakeResponse, 1, { mechanism: 'TOY' });
  assert.is(again.errorCode, 34, 'no second handshake on an authenticated connection');
  c.close();
});

test('SaslHandshake v0: raw size-prefixed tokens follow, answered the same way', async () => {
  const c = await rawClient(broker.port);
  assert.is((await c.call(SaslHandshakeRequest, SaslHandshakeResponse, 0, { mechanism: 'TOY' })).errorCode, 0);
  const token = Buffer.from('alice:open-sesame');
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(token.length, 0);
  const got = await c.rawExchange(Buffer.concat([prefix, token]));
  assert.is(got.toString(), 'welcome alice');
  const md = await c.call(MetadataRequest, MetadataResponse, 12, { topics: null, includeTopicAuthorizedOperations: false });
  assert.ok(md.brokers.length === 1, 'authenticated by the raw exchange');
  c.close();
});

test('ACL APIs reach the security module\'s store', async () => {
  const { c } = await login('admin', 'open-sesame');
  const acl = { resourceType: AclResourceType.TOPIC, resourceName: 'payments', resourcePatternType: AclPatternType.LITERAL, principal: 'User:bob', host: '*', operation: AclOperation.READ, permissionType: AclPermissionType.ALLOW };
  assert.equal((await c.call(CreateAclsRequest, CreateAclsResponse, 3, { creations: [acl] })).results, [{ errorCode: 0, errorMessage: null }]);
  const filter = { resourceTypeFilter: AclResourceType.ANY, resourceNameFilter: null, patternTypeFilter: AclPatternType.ANY, principalFilter: 'User:bob', hostFilter: null, operation: AclOperation.ANY, permissionType: AclPermissionType.ANY };
  const described = await c.call(DescribeAclsRequest, DescribeAclsResponse, 3, filter);
  assert.equal(described.resources, [{ resourceType: AclResourceType.TOPIC, resourceName: 'payments', patternType: AclPatternType.LITERAL, acls: [{ principal: 'User:bob', host: '*', operation: AclOperation.READ, permissionType: AclPermissionType.ALLOW }] }]);
  const deleted = await c.call(DeleteAclsRequest, DeleteAclsResponse, 3, { filters: [filter] });
  assert.is(deleted.filterResults[0].matchingAcls.length, 1);
  assert.is(stored.length, 0);
  c.close();
});

test.run();

