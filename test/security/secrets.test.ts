/**
 * A planted secret never shows up in what each component really prints: the `kafkalab ingest`
 * and `kafkalab broker` processes (stdout, stderr, at debug level), the Schema Registry
 * client's errors, the kernel's cell errors. Each case also checks that the place where the
 * secret would have been is there, masked, so the test cannot pass by printing nothing.
 */
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startBroker } from '../../sdk/broker';
import { startMqttBroker } from '../../sdk/ingest/mqtt-broker';
import { SchemaRegistryClient } from '../../sdk/registry/client';
import { cellError } from '../../kernel/protocol';
import { MASK } from '../../sdk/util/redact';
import { needing, missingCommand, skip } from '../helpers/skip';
import { makeCerts, missingOpenssl } from './certs';
import { runKcat } from '../compat/helpers';
import { waitFor } from '../ingest/helpers';
import { kafkalab } from './cli';

const test = needing(uvuTest, missingOpenssl());
const PLANTED = 'Planted-S3cret-xyz';

test('kafkalab ingest --mqtt mqtt://user:PASS@host: the start-up log and the final counters show user:***@, never PASS', async () => {
  const kb = await startBroker({ port: 0 });
  const mb = await startMqttBroker({ port: 0 });
  const url = mb.url.replace('mqtt://', `mqtt://user:${PLANTED}@`);
  const p = kafkalab(['ingest', '--mqtt', url, '--from', 'planted/+', '--to', 'planted', '--brokers', kb.bootstrap, '--log-level', 'debug', '--stats-every', '0']);
  try {
    assert.ok(await waitFor(() => p.out().includes('bridge started'), 30_000), p.out());
    p.child.kill('SIGINT');
    assert.is(await p.exit, 0, p.out());
    assert.ok(p.out().includes(`user:${MASK}@`), p.out());
    assert.not.ok(p.out().includes(PLANTED), p.out());
  } finally {
    p.child.kill('SIGKILL');
    await mb.stop();
    await kb.stop();
  }
});

test('kafkalab ingest to an MQTT broker that is not there: the error names the URL, masked', async () => {
  const p = kafkalab(['ingest', '--mqtt', `mqtt://user:${PLANTED}@127.0.0.1:1`, '--from', 'a/+', '--to', 'b', '--brokers', '127.0.0.1:1', '--log-level', 'debug']);
  const code = await Promise.race([p.exit, new Promise<string>((r) => setTimeout(() => r('running'), 45_000))]);
  p.child.kill('SIGKILL');
  assert.is.not(code, 0, p.out());
  assert.match(p.out(), /127\.0\.0\.1:1/);
  assert.not.ok(p.out().includes(PLANTED), p.out());
});

const kcatMissing = missingCommand('kcat', 'apt-get install kcat', ['-V']);
test('kafkalab broker --tls-key --tls-cert --sasl-users: SASL_SSL for kcat; debug logs of good and bad logins carry no password', async () => {
  if (kcatMissing) return skip(kcatMissing);
  const certs = makeCerts();
  const users = path.join(certs.dir, 'users.json');
  fs.writeFileSync(users, JSON.stringify({ alice: PLANTED }));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-sec-cli-'));
  const p = kafkalab(['broker', '--port', '0', '--data-dir', dataDir, '--tls-key', certs.serverKey, '--tls-cert', certs.serverCert, '--sasl-users', users, '--log-level', 'debug']);
  try {
    assert.ok(await waitFor(() => /listening on [\d.]+:\d+ \(SASL_SSL\)/.test(p.out()), 30_000), p.out());
    const port = Number(/listening on [\d.]+:(\d+)/.exec(p.out())![1]);
    const sec = (pw: string) => ['-X', 'security.protocol=SASL_SSL', '-X', 'sasl.mechanisms=SCRAM-SHA-256', '-X', 'sasl.username=alice', '-X', `sasl.password=${pw}`, '-X', `ssl.ca.location=${certs.caCert}`];
    const ok = await runKcat(`localhost:${port}`, [...sec(PLANTED), '-P', '-t', 'cli-secure'], 'one\ntwo\n');
    assert.is(ok.code, 0, ok.stderr);
    const bad = await runKcat(`localhost:${port}`, [...sec(`${PLANTED}-wrong`), '-L', '-m', '3']);
    assert.is.not(bad.code, 0);
    const plain = await runKcat(`localhost:${port}`, ['-L', '-m', '3']);
    assert.is.not(plain.code, 0, 'a plaintext client gets nothing from a TLS listener');
    p.child.kill('SIGTERM');
    assert.is(await p.exit, 0, p.out());
    assert.match(p.out(), /authenticated/);
    assert.match(p.out(), /SASL authentication failed/);
    assert.not.ok(p.out().includes(PLANTED), p.out());
  } finally {
    p.child.kill('SIGKILL');
    certs.remove();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test('kafkalab broker --sasl-users with a broken file: a clear error that does not quote the file', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-sec-users-'));
  const users = path.join(dir, 'users.json');
  fs.writeFileSync(users, `{ "alice": "${PLANTED}", }`);
  const p = kafkalab(['broker', '--port', '0', '--data-dir', dir, '--sasl-users', users]);
  assert.is(await p.exit, 1, p.out());
  assert.match(p.out(), /SASL users file .* is not valid JSON/);
  assert.not.ok(p.out().includes(PLANTED), p.out());
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the Schema Registry client: an unreachable URL with credentials is reported without the password', async () => {
  const client = new SchemaRegistryClient(`http://reg-user:${PLANTED}@127.0.0.1:1`, { timeoutMs: 2000 });
  const err = await client.compatibility().then(
    () => undefined,
    (e: Error) => e,
  );
  assert.ok(err, 'the call fails');
  assert.match(err!.message, /127\.0\.0\.1:1/);
  assert.not.ok(`${err!.message} ${err!.stack}`.includes(PLANTED), err!.message);
});

test('the kernel: a cell error quoting a URL with a password, or a remembered secret, reaches Jupyter masked', () => {
  const e = cellError(new Error(`connect ECONNREFUSED mqtt://me:${PLANTED}@broker:1883`));
  const shown = JSON.stringify(e);
  assert.ok(shown.includes(`me:${MASK}@broker`), shown);
  assert.not.ok(shown.includes(PLANTED), shown);
  // The registry client above remembered PLANTED as a password: it is masked even bare.
  const bare = JSON.stringify(cellError(new Error(`the password ${PLANTED} did not work`)));
  assert.not.ok(bare.includes(PLANTED), bare);
});

test.run();
