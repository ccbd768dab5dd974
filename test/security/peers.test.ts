/**
 * Secure peers for real against one TLS + SCRAM embedded broker (SASL_SSL): the SDK's
 * `connect({ ssl, sasl })` (admin, produce, the raw-fetch read path), the MQTT bridge producing
 * into it, kcat (librdkafka) with each mechanism, and confluent-kafka-python with a consumer
 * group. Wrong passwords and wrong CAs fail with clear errors. Every log line collected here is
 * checked for the planted passwords.
 */
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import * as mqtt from 'mqtt';
import { startBroker, type Broker } from '../../sdk/broker';
import { connect, type KafkaConnection } from '../../sdk';
import { ingestMqtt } from '../../sdk/ingest/bridge';
import { startMqttBroker } from '../../sdk/ingest/mqtt-broker';
import { consoleLogger } from '../../sdk/util/log';
import { KafkalabError } from '../../sdk/util/errors';
import { needing, missingCommand, missingPython, skip } from '../helpers/skip';
import { makeCerts, missingOpenssl, type Certs } from './certs';
import { runKcat, runPython, succeeded } from '../compat/helpers';
import { readAll, waitFor } from '../ingest/helpers';
import { kafkalab } from './cli';

const test = needing(uvuTest, missingOpenssl());
const PW = 'Kafka-S3cret-planted';
const MQTT_PW = 'Mqtt-S3cret-planted';
let certs: Certs;
let broker: Broker;
const lines: string[] = [];
const capture = (ns: string) => consoleLogger({ level: 'debug', namespace: ns, write: (l) => lines.push(l) });

test.before(async () => {
  certs = makeCerts();
  broker = await startBroker({
    port: 0,
    tls: { key: certs.read(certs.serverKey), cert: certs.read(certs.serverCert) },
    sasl: { users: { alice: PW } },
    logger: capture('broker'),
  });
});
test.after(async () => {
  await broker?.stop();
  certs?.remove();
});

const secure = (mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512', password = PW) => ({
  brokers: broker.bootstrap,
  ssl: { ca: [certs.read(certs.caCert)] },
  sasl: { mechanism, username: 'alice', password } as never,
  logger: capture('sdk'),
});

async function failure(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: Error) => e,
  );
}

test('SDK connect({ ssl, sasl }): produce and read back (raw fetch path) over SASL_SSL SCRAM-SHA-512', async () => {
  const kafka = await connect(secure('scram-sha-512'));
  try {
    const rows = Array.from({ length: 200 }, (_, i) => ({ id: i, v: i * 0.5 }));
    await kafka.topic('sdk-secure').produce(rows);
    const back = await readAll(kafka, 'sdk-secure');
    assert.is(back.length, 200);
    assert.equal(back.map((r) => r.id), rows.map((r) => r.id));
  } finally {
    await kafka.close();
  }
});

test('SDK connect: a wrong password is AUTHENTICATION_FAILED, a wrong CA a certificate error; neither message has the password', async () => {
  const wrong = await failure(connect(secure('scram-sha-256', 'not-the-password')));
  assert.ok(wrong instanceof KafkalabError, String(wrong));
  assert.is((wrong as KafkalabError).code, 'AUTHENTICATION_FAILED');
  assert.match(wrong.message, /SASL credentials/);
  assert.not.ok(wrong.message.includes('not-the-password'));
  const badCa = await failure(connect({ ...secure('scram-sha-256'), ssl: { ca: [certs.read(certs.otherCaCert)] } }));
  assert.match(badCa.message, /certificate|self.signed|verify/i, badCa.message);
});

test('the MQTT bridge produces into the SASL_SSL broker through a secure connect(); its logs and metrics keep both passwords out', async () => {
  const mb = await startMqttBroker({ port: 0 });
  const kafka = await connect(secure('scram-sha-256'));
  const url = mb.url.replace('mqtt://', `mqtt://bridge:${encodeURIComponent(MQTT_PW)}@`);
  const bridge = await ingestMqtt({ mqtt: url, from: 'secure/+', to: 'bridge-secure', kafka, logger: capture('ingest'), lingerMs: 5 });
  const pub = await mqtt.connectAsync(mb.url, { clientId: 'secure-pub' });
  try {
    for (let i = 0; i < 100; i++) await pub.publishAsync(`secure/${i % 4}`, JSON.stringify({ i }), { qos: 1 });
    assert.ok(await waitFor(() => bridge.stats().produced === 100, 20_000), JSON.stringify(bridge.stats()));
    const got = await readAll(kafka, 'bridge-secure');
    assert.is(got.length, 100);
    const metrics = bridge.metrics();
    assert.not.ok(metrics.includes(MQTT_PW) || metrics.includes(PW));
    assert.ok(lines.some((l) => l.includes('bridge started') && l.includes('bridge:***@')), 'the start-up line names the URL with the password masked');
  } finally {
    await pub.endAsync();
    await bridge.stop();
    await kafka.close();
    await mb.stop();
  }
});

test('kafkalab ingest (the CLI) bridges into the SASL_SSL broker with the app\'s KAFKA_SSL_CA / KAFKA_SASL_* variables; a wrong one fails clearly', async () => {
  const mb = await startMqttBroker({ port: 0 });
  const kafka = await connect(secure('scram-sha-256'));
  const env = (password: string) => ({ KAFKA_SSL_CA: certs.caCert, KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'alice', KAFKA_SASL_PASSWORD: password });
  const ingest = kafkalab(['ingest', '--mqtt', mb.url, '--from', 'cli/+', '--to', 'cli-secure', '--brokers', broker.bootstrap, '--stats-every', '0', '--log-level', 'debug'], env(PW));
  const pub = await mqtt.connectAsync(mb.url, { clientId: 'cli-pub' });
  try {
    assert.ok(await waitFor(() => ingest.out().includes('cli/+ → cli-secure'), 30_000), ingest.out());
    for (let i = 0; i < 50; i++) await pub.publishAsync(`cli/${i % 3}`, JSON.stringify({ i }), { qos: 1 });
    assert.ok(await waitFor(async () => (await readAll(kafka, 'cli-secure')).length === 50, 30_000), ingest.out());
    ingest.child.kill('SIGINT');
    assert.is(await ingest.exit, 0, ingest.out());
    assert.is(JSON.parse(ingest.out().trim().split('\n').pop()!).produced, 50);
    assert.not.ok(ingest.out().includes(PW), 'the debug log never shows the password');
    const wrong = kafkalab(['ingest', '--mqtt', mb.url, '--from', 'cli/+', '--to', 'cli-secure', '--brokers', broker.bootstrap], env('wrong-password-x'));
    assert.is(await wrong.exit, 1, wrong.out());
    assert.match(wrong.out(), /Kafka rejected the SASL credentials/);
    assert.not.ok(wrong.out().includes('wrong-password-x'));
  } finally {
    ingest.child.kill('SIGKILL');
    await pub.endAsync();
    await kafka.close();
    await mb.stop();
  }
});

const kcatMissing = missingCommand('kcat', 'apt-get install kcat', ['-V']);
for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512', 'PLAIN']) {
  test(`kcat over SASL_SSL ${mechanism}: produce and consume; a wrong password fails with librdkafka's authentication error`, async () => {
    if (kcatMissing) return skip(kcatMissing);
    const sec = (pw: string) => ['-X', 'security.protocol=SASL_SSL', '-X', `sasl.mechanisms=${mechanism}`, '-X', 'sasl.username=alice', '-X', `sasl.password=${pw}`, '-X', `ssl.ca.location=${certs.caCert}`];
    const topic = `kcat-${mechanism.toLowerCase()}`;
    const input = Array.from({ length: 50 }, (_, i) => `line-${i}`).join('\n') + '\n';
    succeeded(await runKcat(broker.bootstrap, [...sec(PW), '-P', '-t', topic], input), 'kcat -P');
    const out = succeeded(await runKcat(broker.bootstrap, [...sec(PW), '-C', '-t', topic, '-e', '-o', 'beginning', '-q']), 'kcat -C');
    assert.is(out.trim().split('\n').length, 50);
    assert.ok(out.includes('line-49'));
    const bad = await runKcat(broker.bootstrap, [...sec('wrong-password'), '-L', '-m', '4']);
    assert.is.not(bad.code, 0);
    assert.match(bad.stderr, /Authentication failed during authentication due to invalid credentials/);
  });
}

const pyMissing = missingPython('confluent_kafka', 'apt-get install python3-confluent-kafka');
test('confluent-kafka-python over SASL_SSL SCRAM-SHA-512: produce, consume in a group, commit; a wrong password reports an authentication error', async () => {
  if (pyMissing) return skip(pyMissing);
  const script = `
import sys, json
from confluent_kafka import Producer, Consumer, KafkaError
conf = {'bootstrap.servers': sys.argv[1], 'security.protocol': 'SASL_SSL', 'sasl.mechanisms': 'SCRAM-SHA-512',
        'sasl.username': 'alice', 'sasl.password': '${PW}', 'ssl.ca.location': '${certs.caCert}'}
p = Producer(conf)
for i in range(30):
    p.produce('py-secure', key=str(i % 3), value=json.dumps({'i': i}))
assert p.flush(20) == 0
c = Consumer(dict(conf, **{'group.id': 'py-secure-g', 'auto.offset.reset': 'earliest', 'enable.auto.commit': False}))
c.subscribe(['py-secure'])
got = []
import time
deadline = time.time() + 40
while len(got) < 30 and time.time() < deadline:
    m = c.poll(1.0)
    if m is None or m.error():
        continue
    got.append(json.loads(m.value())['i'])
c.commit(asynchronous=False)
committed = sum(tp.offset for tp in c.committed(c.assignment(), timeout=10))
c.close()
errors = []
bad = Producer(dict(conf, **{'sasl.password': 'wrong-password', 'error_cb': lambda e: errors.append(e)}))
bad.produce('py-secure', value='x')
bad.flush(8)
print(json.dumps({'got': sorted(got), 'committed': committed, 'auth_errors': [e.str() for e in errors if e.code() == KafkaError._AUTHENTICATION]}))
`;
  const r = await runPython(broker.bootstrap, script, 90_000);
  const res = JSON.parse(succeeded(r, 'python').trim().split('\n').pop()!);
  assert.equal(res.got, Array.from({ length: 30 }, (_, i) => i));
  assert.is(res.committed, 30);
  assert.ok(res.auth_errors.length > 0, JSON.stringify(res));
  assert.match(res.auth_errors[0], /Authentication failed/);
});

test('no planted password in any log line of the broker, the SDK or the bridge', () => {
  assert.ok(lines.length > 50, `${lines.length} lines`);
  for (const l of lines) assert.not.ok(l.includes(PW) || l.includes(MQTT_PW) || l.includes(encodeURIComponent(MQTT_PW)), l);
});

test.run();
