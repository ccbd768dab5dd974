/**
 * The exported scoring app's TLS/SASL environment against a TLS + SCRAM embedded broker
 * (SASL_SSL): KAFKA_SSL_CA + KAFKA_SASL_MECHANISM/USERNAME/PASSWORD score every record; a wrong
 * password fails with a clear log line; no log line of the app ever carries the password.
 */
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import { startAppProcess } from '../../sdk/export/process';
import { needing } from '../helpers/skip';
import { makeCerts, missingOpenssl, type Certs } from './certs';
import { startRig, type Rig } from '../export/parity-rig';
import { readAll, waitFor } from '../ingest/helpers';

const test = needing(uvuTest, missingOpenssl());
const PW = 'App-S3cret-planted';
let certs: Certs;
let rig: Rig;

test.before(async () => {
  certs = makeCerts();
  rig = await startRig('link', {
    broker: { tls: { key: certs.read(certs.serverKey), cert: certs.read(certs.serverCert) }, sasl: { users: { scorer: PW } } },
    connect: { ssl: { ca: [certs.read(certs.caCert)] }, sasl: { mechanism: 'scram-sha-256', username: 'scorer', password: PW } },
  });
});
test.after(async () => {
  await rig?.stop();
  certs?.remove();
});

const env = (password: string, topic: string) => ({
  KAFKA_BROKERS: rig.broker.bootstrap,
  KAFKA_SSL_CA: certs.caCert,
  KAFKA_SASL_MECHANISM: 'scram-sha-512',
  KAFKA_SASL_USERNAME: 'scorer',
  KAFKA_SASL_PASSWORD: password,
  INPUT_TOPIC: topic,
  OUTPUT_TOPIC: `${topic}-out`,
  DLQ_TOPIC: `${topic}-dlq`,
  GROUP_ID: `${topic}-scorer`,
  OUTPUT_MODE: 'all',
  SESSION_TIMEOUT_MS: '10000',
  LOG_LEVEL: 'debug',
});

test('the app scores every record over SASL_SSL SCRAM-SHA-512 with KAFKA_SSL_CA; its debug logs never show the password', async () => {
  const topic = 'app-secure';
  await rig.kafka.topic(topic).produce(Array.from({ length: 120 }, (_, i) => ({ x: i % 7 })));
  const app = await startAppProcess(rig.appDir, env(PW, topic));
  try {
    await app.ready(60_000);
    assert.ok(await waitFor(async () => (await readAll(rig.kafka, `${topic}-out`)).length >= 120, 60_000), 'every record scored');
    const out = await readAll(rig.kafka, `${topic}-out`);
    assert.is(out.length, 120);
    assert.ok(out.every((r) => typeof r.score === 'number'), JSON.stringify(out[0]));
  } finally {
    app.kill('SIGTERM');
    await app.exited;
  }
  const text = JSON.stringify(app.logs);
  assert.ok(text.includes('scram-sha-512'), 'the start-up line names the mechanism');
  assert.not.ok(text.includes(PW), 'no log line has the password');
});

test('a wrong KAFKA_SASL_PASSWORD: the app does not start scoring and logs a clear authentication error, without the password', async () => {
  const wrong = 'Wrong-planted-pw';
  const app = await startAppProcess(rig.appDir, env(wrong, 'app-wrong')).catch((e: Error) => e);
  let logs: Record<string, unknown>[] = [];
  if (app instanceof Error) logs = [{ startError: app.message }];
  else {
    try {
      const became = await app.ready(15_000).then(
        () => true,
        () => false,
      );
      assert.not.ok(became, 'a wrong password never becomes ready');
    } finally {
      app.kill('SIGTERM');
      await app.exited;
    }
    logs = app.logs;
  }
  const text = JSON.stringify(logs);
  assert.match(text, /SASL|[Aa]uthentication/, text.slice(0, 2000));
  assert.not.ok(text.includes(wrong), 'the wrong password is not echoed either');
  assert.not.ok(text.includes(PW));
});

test.run();
