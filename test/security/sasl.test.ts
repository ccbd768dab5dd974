/**
 * The secure broker with kafkajs as the peer: SASL PLAIN / SCRAM-SHA-256 / SCRAM-SHA-512 over
 * plaintext (SASL_PLAINTEXT) and over TLS (SASL_SSL), TLS alone (SSL) and mutual TLS, wrong
 * passwords and wrong certificates, the pre-authentication gate, session lifetimes with
 * re-authentication, and a property test of SCRAM against kafkajs's independent client.
 */
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import * as tls from 'tls';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { startBroker, type Broker, type BrokerOptions } from '../../sdk/broker';
import { consoleLogger } from '../../sdk/util/log';
import { needing } from '../helpers/skip';
import { makeCerts, missingOpenssl, type Certs } from './certs';
import { rawClient } from '../broker/wire';
import { MetadataRequest, MetadataResponse } from '../../sdk/protocol/messages/metadata';
import { SaslHandshakeRequest, SaslHandshakeResponse } from '../../sdk/protocol/messages/sasl-handshake';
import { SaslAuthenticateRequest, SaslAuthenticateResponse } from '../../sdk/protocol/messages/sasl-authenticate';
import { scramCredential } from '../../sdk/broker/sasl';

const test = needing(uvuTest, missingOpenssl());
const SECRET = 'pa55-Secret-Not-For-Logs';
let certs: Certs;
const logLines: string[] = [];
const logger = () => consoleLogger({ level: 'debug', namespace: 'broker', write: (l) => logLines.push(l) });

test.before(() => {
  certs = makeCerts();
});
test.after(() => certs?.remove());

async function withBroker<T>(opts: BrokerOptions, fn: (b: Broker) => Promise<T>): Promise<T> {
  const b = await startBroker({ port: 0, logger: logger(), ...opts });
  try {
    return await fn(b);
  } finally {
    await b.stop();
  }
}

const tlsOpts = () => ({ key: certs.read(certs.serverKey), cert: certs.read(certs.serverCert) });
const users = { alice: SECRET, bob: 'bob-pw' };

function kafka(b: Broker, extra: { ssl?: unknown; sasl?: SASLOptions; reauthenticationThreshold?: number; connectionTimeout?: number }) {
  return new Kafka({ brokers: [b.bootstrap], clientId: 'sec-test', logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 5000, ...(extra as object) });
}

/** Produce then consume one record through kafkajs; resolves with the value read back. */
async function roundTrip(k: Kafka, topic: string): Promise<string> {
  const producer = k.producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ key: 'k', value: `v-${topic}` }] });
  await producer.disconnect();
  const consumer = k.consumer({ groupId: `g-${topic}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('nothing consumed in 20 s')), 20_000);
    void consumer.run({ eachMessage: async ({ message }) => (clearTimeout(t), resolve(String(message.value))) });
  });
  await consumer.disconnect();
  return got;
}

async function failure(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: Error) => e,
  );
}

for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512'] as const) {
  test(`SASL_SSL ${mechanism}: kafkajs produces and consumes; a wrong password fails with a clear error`, async () => {
    await withBroker({ tls: tlsOpts(), sasl: { users } }, async (b) => {
      const ssl = { ca: [certs.read(certs.caCert)] };
      const ok = kafka(b, { ssl, sasl: { mechanism, username: 'alice', password: SECRET } as SASLOptions });
      assert.is(await roundTrip(ok, `t-ssl-${mechanism}`), `v-t-ssl-${mechanism}`);
      const wrong = kafka(b, { ssl, sasl: { mechanism, username: 'alice', password: 'not-it' } as SASLOptions });
      const admin = wrong.admin();
      const err = await failure(admin.connect());
      assert.is(err.name, 'KafkaJSSASLAuthenticationError');
      assert.match(err.message, /invalid credentials with SASL mechanism/);
      const unknown = kafka(b, { ssl, sasl: { mechanism, username: 'mallory', password: SECRET } as SASLOptions });
      assert.is((await failure(unknown.admin().connect())).name, 'KafkaJSSASLAuthenticationError');
    });
  });
}

test('SASL_PLAINTEXT: SCRAM without TLS; a client without SASL is cut off before any metadata', async () => {
  await withBroker({ sasl: { users, mechanisms: ['SCRAM-SHA-256'] } }, async (b) => {
    const ok = kafka(b, { sasl: { mechanism: 'scram-sha-256', username: 'bob', password: 'bob-pw' } });
    assert.is(await roundTrip(ok, 't-plain'), 'v-t-plain');
    const plainNotEnabled = kafka(b, { sasl: { mechanism: 'plain', username: 'bob', password: 'bob-pw' } });
    const notEnabled = (await failure(plainNotEnabled.admin().connect())).message;
    assert.match(notEnabled, /does not support the requested SASL mechanism/, notEnabled);
    // Raw: Metadata before authenticating closes the connection, as Kafka does.
    const c = await rawClient(b.port);
    const refused = await c.call(MetadataRequest, MetadataResponse, 12, { topics: null, includeTopicAuthorizedOperations: false }).then(
      () => 'answered',
      (e: Error) => e.message,
    );
    assert.is(refused, 'connection closed by broker');
  });
});

test('raw SCRAM exchange: server-first carries our salt and iterations; a forged proof is refused with 58 and the connection closes', async () => {
  await withBroker({ sasl: { users: { carol: { 'SCRAM-SHA-256': scramCredential('SCRAM-SHA-256', 'c-pw', { iterations: 8192 }) } } } }, async (b) => {
    const c = await rawClient(b.port);
    const hs = await c.call(SaslHandshakeRequest, SaslHandshakeResponse, 1, { mechanism: 'SCRAM-SHA-256' });
    assert.is(hs.errorCode, 0);
    const first = await c.call(SaslAuthenticateRequest, SaslAuthenticateResponse, 2, { authBytes: Buffer.from('n,,n=carol,r=abc123') });
    const serverFirst = first.authBytes.toString();
    assert.match(serverFirst, /^r=abc123[^,]+,s=[A-Za-z0-9+/=]+,i=8192$/);
    const nonce = /r=([^,]+)/.exec(serverFirst)![1];
    const forged = await c.call(SaslAuthenticateRequest, SaslAuthenticateResponse, 2, { authBytes: Buffer.from(`c=biws,r=${nonce},p=${Buffer.alloc(32, 7).toString('base64')}`) });
    assert.is(forged.errorCode, 58);
    assert.match(forged.errorMessage ?? '', /invalid credentials with SASL mechanism SCRAM-SHA-256/);
    await c.closed;
  });
});

test('SSL alone: TLS with the right CA works; a client trusting another CA fails with a certificate error; plaintext to a TLS port fails', async () => {
  await withBroker({ tls: tlsOpts() }, async (b) => {
    assert.is(await roundTrip(kafka(b, { ssl: { ca: [certs.read(certs.caCert)] } }), 't-tls'), 'v-t-tls');
    const wrongCa = await failure(kafka(b, { ssl: { ca: [certs.read(certs.otherCaCert)] } }).admin().connect());
    assert.match(wrongCa.message, /self.signed|unable to verify|certificate/i);
    const plain = await failure(kafka(b, { connectionTimeout: 2000 }).admin().connect());
    assert.ok(plain instanceof Error);
  });
});

test('mutual TLS: the client certificate names the principal; without a certificate the handshake fails', async () => {
  await withBroker({ tls: { ...tlsOpts(), ca: certs.read(certs.caCert), requestCert: true }, acls: { bindings: [{ resourceType: 'topic', resourceName: 'guarded', principal: 'User:CN=alice,O=kafkalab', operation: 'write', permission: 'deny' }] } }, async (b) => {
    const ssl = { ca: [certs.read(certs.caCert)], cert: certs.read(certs.clientCert), key: certs.read(certs.clientKey) };
    assert.is(await roundTrip(kafka(b, { ssl }), 't-mtls'), 'v-t-mtls');
    const producer = kafka(b, { ssl }).producer();
    await producer.connect();
    const denied = await failure(producer.send({ topic: 'guarded', messages: [{ value: 'x' }] }));
    assert.match(denied.message, /not authorized|authorization/i, 'DENY WRITE for User:CN=alice,O=kafkalab applies');
    await producer.disconnect();
    // Node's own TLS client without a certificate: the broker refuses the handshake.
    const refused = await new Promise<string>((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', port: b.port, ca: [certs.read(certs.caCert)], servername: 'localhost' });
      s.on('secureConnect', () => s.write(Buffer.alloc(8)));
      s.on('error', (e) => resolve(e.message));
      s.on('close', () => resolve('closed'));
    });
    assert.ok(refused.length > 0);
  });
});

test('session lifetime: SaslAuthenticate v1+ answers it; kafkajs re-authenticates on the same connection and keeps working', async () => {
  await withBroker({ sasl: { users, sessionLifetimeMs: 3000 } }, async (b) => {
    const c = await rawClient(b.port);
    await c.call(SaslHandshakeRequest, SaslHandshakeResponse, 1, { mechanism: 'PLAIN' });
    const auth = await c.call(SaslAuthenticateRequest, SaslAuthenticateResponse, 1, { authBytes: Buffer.from(`\0alice\0${SECRET}`) });
    assert.equal([auth.errorCode, auth.sessionLifetimeMs], [0, 3000]);
    c.close();
    const k = kafka(b, { sasl: { mechanism: 'scram-sha-512', username: 'alice', password: SECRET }, reauthenticationThreshold: 2000 });
    const producer = k.producer();
    await producer.connect();
    for (let i = 0; i < 4; i++) {
      await producer.send({ topic: 'reauth', messages: [{ value: `m${i}` }] });
      await new Promise((r) => setTimeout(r, 1500));
    }
    await producer.disconnect();
    assert.ok(logLines.some((l) => l.includes('re-authenticated')), 'kafkajs re-authenticated within the session');
  });
});

test('property: kafkajs SCRAM-SHA-256/512 and PLAIN authenticate any user name and password; any other password fails', async () => {
  // User names with ',' and '=' exercise RFC 5802 saslname escaping; passwords any unicode.
  const name = fc.stringMatching(/^[A-Za-z0-9_.,=@-]{1,20}$/);
  const password = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 24 });
  const mech = fc.constantFrom('plain', 'scram-sha-256', 'scram-sha-512');
  await fc.assert(
    fc.asyncProperty(name, password, password, mech, fc.integer({ min: 4096, max: 6000 }), async (user, pw, other, mechanism, iterations) => {
      fc.pre(pw !== other && !pw.includes('\0'));
      await withBroker({ sasl: { users: { [user]: pw }, iterations } }, async (b) => {
        const good = kafka(b, { sasl: { mechanism, username: user, password: pw } as SASLOptions }).admin();
        await good.connect();
        await good.listTopics();
        await good.disconnect();
        const bad = await failure(kafka(b, { sasl: { mechanism, username: user, password: other } as SASLOptions }).admin().connect());
        assert.is(bad.name, 'KafkaJSSASLAuthenticationError');
      });
    }),
    { numRuns: 12 },
  );
});

test('no secret in any broker log line of this file', () => {
  assert.ok(logLines.length > 20);
  for (const l of logLines) assert.not.ok(l.includes(SECRET) || l.includes('bob-pw') || l.includes('c-pw'), l);
});

test.run();
