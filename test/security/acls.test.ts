/**
 * ACLs enforced per principal, with kafkajs's admin ACL API and its producer/consumer as the
 * peers over SASL: literal and prefixed patterns, ALLOW and DENY, super users, the
 * allow-if-no-ACL switch, TOPIC_AUTHORIZATION_FAILED / GROUP_AUTHORIZATION_FAILED, persistence
 * across a restart; and properties of the authorizer on generated ACL sets.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes, type Admin } from 'kafkajs';
import { startBroker, type Broker } from '../../sdk/broker';
import { AclAuthorizer } from '../../sdk/broker/acls';
import { AclOperation, AclPatternType, AclPermissionType, AclResourceType } from '../../sdk/protocol/messages/acl-types';

const users = { admin: 'admin-pw', alice: 'alice-pw', bob: 'bob-pw' };
const client = (b: Broker, user: keyof typeof users) =>
  new Kafka({ brokers: [b.bootstrap], clientId: `acl-${user}`, logLevel: logLevel.NOTHING, retry: { retries: 1 }, sasl: { mechanism: 'scram-sha-256', username: user, password: users[user] } });

/** The Kafka error type of a kafkajs failure (kafkajs wraps some in a non-retriable error whose cause has it). */
async function rejects(p: Promise<unknown>): Promise<{ type?: string; message: string }> {
  return p.then(
    () => ({ message: 'no error' }),
    (e: { type?: string; message: string; cause?: { type?: string } }) => ({ type: e.type ?? e.cause?.type, message: e.message }),
  );
}

function consumeOne(k: Kafka, topic: string, groupId: string): Promise<string> {
  const consumer = k.consumer({ groupId, retry: { retries: 0 } });
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('nothing consumed')), 20_000);
    const finish = (f: () => void) => {
      clearTimeout(timer);
      void consumer.disconnect().finally(f);
    };
    consumer.on(consumer.events.CRASH, (e) => finish(() => reject(e.payload.error)));
    consumer
      .connect()
      .then(() => consumer.subscribe({ topic, fromBeginning: true }))
      .then(() => consumer.run({ eachMessage: async ({ message }) => finish(() => resolve(String(message.value))) }))
      .catch((e) => finish(() => reject(e)));
  });
}

const acl = (resourceType: AclResourceTypes, resourceName: string, pattern: ResourcePatternTypes, principal: string, operation: AclOperationTypes, permissionType: AclPermissionTypes) => ({
  resourceType,
  resourceName,
  resourcePatternType: pattern,
  principal,
  host: '*',
  operation,
  permissionType,
});

test('per-principal ACLs through kafkajs: prefixed ALLOW, DENY wins, super user, group ACLs, Create/Describe/DeleteAcls, persisted', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-acls-'));
  let b = await startBroker({ port: 0, dataDir, sasl: { users }, acls: { superUsers: ['User:admin'] } });
  let admin: Admin | undefined;
  try {
    admin = client(b, 'admin').admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'orders-eu' }, { topic: 'payments' }] });
    await admin.createAcls({
      acl: [
        acl(AclResourceTypes.TOPIC, 'orders-', ResourcePatternTypes.PREFIXED, 'User:alice', AclOperationTypes.ALL, AclPermissionTypes.ALLOW),
        acl(AclResourceTypes.GROUP, 'alice-', ResourcePatternTypes.PREFIXED, 'User:alice', AclOperationTypes.READ, AclPermissionTypes.ALLOW),
        acl(AclResourceTypes.GROUP, 'locked', ResourcePatternTypes.LITERAL, 'User:alice', AclOperationTypes.READ, AclPermissionTypes.DENY),
        acl(AclResourceTypes.GROUP, 'locked', ResourcePatternTypes.LITERAL, 'User:alice', AclOperationTypes.DESCRIBE, AclPermissionTypes.ALLOW),
        acl(AclResourceTypes.TOPIC, 'orders-', ResourcePatternTypes.PREFIXED, 'User:bob', AclOperationTypes.WRITE, AclPermissionTypes.DENY),
      ],
    });
    const described = await admin.describeAcls({
      resourceType: AclResourceTypes.ANY,
      resourcePatternType: ResourcePatternTypes.ANY,
      principal: 'User:alice',
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
    });
    assert.is(described.resources.length, 3);
    assert.is(described.resources.reduce((n, r) => n + r.acls.length, 0), 4);
    assert.equal(described.resources.map((r) => r.resourceName).sort(), ['alice-', 'locked', 'orders-']);

    const alice = client(b, 'alice');
    const ap = alice.producer();
    await ap.connect();
    await ap.send({ topic: 'orders-eu', messages: [{ value: 'from alice' }] });
    await ap.disconnect();
    assert.is(await consumeOne(alice, 'orders-eu', 'alice-readers'), 'from alice');
    const locked = await rejects(consumeOne(alice, 'orders-eu', 'locked'));
    assert.is(locked.type, 'GROUP_AUTHORIZATION_FAILED', locked.message);

    const bob = client(b, 'bob');
    const bp = bob.producer({ retry: { retries: 0 } });
    await bp.connect();
    const denied = await rejects(bp.send({ topic: 'orders-eu', messages: [{ value: 'from bob' }] }));
    assert.is(denied.type, 'TOPIC_AUTHORIZATION_FAILED', denied.message);
    await bp.send({ topic: 'payments', messages: [{ value: 'no ACL on payments: open' }] });
    // bob's DENY removed: orders-* still has ACLs, none allowing bob, so still refused.
    const del = await admin.deleteAcls({
      filters: [{ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, principal: 'User:bob', operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY }],
    });
    assert.is(del.filterResponses[0].matchingAcls.length, 1);
    assert.is((await rejects(bp.send({ topic: 'orders-eu', messages: [{ value: 'x' }] }))).type, 'TOPIC_AUTHORIZATION_FAILED');
    await bp.disconnect();
    // The super user reads what alice wrote (no ACL names admin).
    assert.is(await consumeOne(client(b, 'admin'), 'orders-eu', 'admin-group'), 'from alice');
    await admin.disconnect();
    admin = undefined;

    await b.stop();
    b = await startBroker({ port: 0, dataDir, sasl: { users }, acls: { superUsers: ['User:admin'] } });
    admin = client(b, 'admin').admin();
    await admin.connect();
    const after = await admin.describeAcls({ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY });
    assert.is(after.resources.reduce((n, r) => n + r.acls.length, 0), 4, 'ACLs survive a restart');
  } finally {
    await admin?.disconnect();
    await b.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test('allowIfNoAclFound: false: nothing without an ACL; a non-super user may not create ACLs (31)', async () => {
  const b = await startBroker({ port: 0, sasl: { users }, acls: { superUsers: ['User:admin'], allowIfNoAclFound: false } });
  try {
    const admin = client(b, 'admin').admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'closed' }] });
    const alice = client(b, 'alice');
    const p = alice.producer({ retry: { retries: 0 } });
    await p.connect();
    assert.is((await rejects(p.send({ topic: 'closed', messages: [{ value: 'x' }] }))).type, 'TOPIC_AUTHORIZATION_FAILED');
    await p.disconnect();
    const aliceAdmin = alice.admin();
    await aliceAdmin.connect();
    const refused = await rejects(aliceAdmin.createAcls({ acl: [acl(AclResourceTypes.TOPIC, 'closed', ResourcePatternTypes.LITERAL, 'User:alice', AclOperationTypes.WRITE, AclPermissionTypes.ALLOW)] }));
    assert.is(refused.type, 'CLUSTER_AUTHORIZATION_FAILED', refused.message);
    const topics = await aliceAdmin.listTopics();
    assert.not.ok(topics.includes('closed'), 'a topic alice may not DESCRIBE is left out of metadata');
    await aliceAdmin.disconnect();
    await admin.createAcls({ acl: [acl(AclResourceTypes.TOPIC, 'closed', ResourcePatternTypes.LITERAL, 'User:alice', AclOperationTypes.WRITE, AclPermissionTypes.ALLOW)] });
    const p2 = alice.producer({ retry: { retries: 0 } });
    await p2.connect();
    await p2.send({ topic: 'closed', messages: [{ value: 'now allowed' }] });
    await p2.disconnect();
    await admin.disconnect();
  } finally {
    await b.stop();
  }
});

test('no SASL, no acls option: the broker stays open plaintext and the ACL APIs answer SECURITY_DISABLED', async () => {
  const b = await startBroker({ port: 0 });
  try {
    const k = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const admin = k.admin();
    await admin.connect();
    const err = await rejects(admin.describeAcls({ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY }));
    assert.is(err.type, 'SECURITY_DISABLED');
    await admin.createTopics({ topics: [{ topic: 'open' }] });
    await admin.disconnect();
  } finally {
    await b.stop();
  }
});

// Properties of the authorizer on generated ACL sets.
const names = fc.constantFrom('a', 'ab', 'abc', 'b', 'orders', 'orders-eu');
const principals = fc.constantFrom('User:alice', 'User:bob', 'User:*');
const ops = fc.constantFrom(AclOperation.READ, AclOperation.WRITE, AclOperation.CREATE, AclOperation.DELETE, AclOperation.ALTER, AclOperation.DESCRIBE, AclOperation.ALL);
const binding = fc.record({
  resourceType: fc.constantFrom(AclResourceType.TOPIC, AclResourceType.GROUP),
  resourceName: fc.oneof(names, fc.constant('*')),
  patternType: fc.constantFrom(AclPatternType.LITERAL, AclPatternType.PREFIXED),
  principal: principals,
  host: fc.constant('*'),
  operation: ops,
  permissionType: fc.constantFrom(AclPermissionType.ALLOW, AclPermissionType.DENY),
});
const query = fc.record({ principal: fc.constantFrom('User:alice', 'User:bob'), op: ops.filter((o) => o !== AclOperation.ALL), type: fc.constantFrom(AclResourceType.TOPIC, AclResourceType.GROUP), name: names });

test('property: super users always pass; a DENY ALL on the literal name always refuses; an ALLOW for the op with no DENY allows', () => {
  fc.assert(
    fc.property(fc.array(binding, { maxLength: 12 }), query, fc.boolean(), (bindings, q, open) => {
      const az = new AclAuthorizer({ superUsers: ['User:root'], allowIfNoAclFound: open });
      az.create(bindings.filter((b) => !(b.patternType === AclPatternType.PREFIXED && b.resourceName === '*')));
      assert.ok(az.authorize('User:root', '1.2.3.4', q.op, { type: q.type, name: q.name }));
      const noDeny = !az.describe({ resourceType: AclResourceType.ANY, resourceName: null, patternType: AclPatternType.ANY, principal: null, host: null, operation: AclOperation.ANY, permissionType: AclPermissionType.DENY }).length;
      if (noDeny) {
        az.create([{ resourceType: q.type, resourceName: q.name, patternType: AclPatternType.LITERAL, principal: q.principal, host: '*', operation: q.op, permissionType: AclPermissionType.ALLOW }]);
        assert.ok(az.authorize(q.principal, '1.2.3.4', q.op, { type: q.type, name: q.name }));
      }
      az.create([{ resourceType: q.type, resourceName: q.name, patternType: AclPatternType.LITERAL, principal: q.principal, host: '*', operation: AclOperation.ALL, permissionType: AclPermissionType.DENY }]);
      assert.not.ok(az.authorize(q.principal, '1.2.3.4', q.op, { type: q.type, name: q.name }));
    }),
    { numRuns: 300 },
  );
});

test('CreateAcls validation: ANY types, a non-literal cluster and a principal without a type are INVALID_REQUEST (42)', () => {
  const az = new AclAuthorizer();
  const base = { resourceType: AclResourceType.TOPIC, resourceName: 't', patternType: AclPatternType.LITERAL, principal: 'User:a', host: '*', operation: AclOperation.READ, permissionType: AclPermissionType.ALLOW };
  const results = az.create([
    { ...base, resourceType: AclResourceType.ANY },
    { ...base, patternType: AclPatternType.MATCH },
    { ...base, resourceType: AclResourceType.CLUSTER, resourceName: 'x' },
    { ...base, principal: 'alice' },
    { ...base, operation: AclOperation.ANY },
    base,
  ]);
  assert.equal(results.map((r) => r.errorCode), [42, 42, 42, 42, 42, 0]);
});

test.run();
