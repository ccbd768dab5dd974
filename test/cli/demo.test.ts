// `kafkalab demo` end to end, small: MQTT fleet → bridge → topic → DataFrame → autoencoder →
// exported app installed, built and run until it has scored every ingested record.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startBroker, type Broker } from '../../sdk/broker';

const root = resolve(__dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'kafkalab-demo-'));
let broker: Broker;

test.before(async () => {
  broker = await startBroker({ port: 0 });
});
test.after(async () => {
  await broker.stop();
  rmSync(work, { recursive: true, force: true });
});

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'kafkalab.js'), ...args], { cwd: work, env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => done({ code, out, err }));
  });
}

test('the demo ingests, trains, exports and scores every record', async () => {
  const r = await run(['demo', '--cars', '8', '--readings', '300', '--epochs', '4', '--out', 'apps/scorer'], { KAFKA_BROKERS: broker.bootstrap });
  assert.is(r.code, 0, r.err.slice(-3000));
  const field = (name: string) => new RegExp(`^  ${name}\\s+(.*)$`, 'm').exec(r.out)?.[1] ?? '';
  assert.match(field('records ingested'), /^2,400 \(MQTT → Kafka, 0 dead-lettered\)/);
  assert.match(field('model trained'), /^1,800 rows of 6 healthy cars/);
  assert.match(field('records scored'), /^2,400 by the app/);
  const f1 = Number(/^([\d.]+)/.exec(field('F1'))?.[1]);
  assert.ok(f1 >= 0 && f1 <= 1, `F1 ${field('F1')}`);
  assert.ok(Number(field('anomalies found').replace(/,/g, '')) > 0, 'the app flags some anomalies');
  for (const f of ['package.json', 'model/model.json', 'model/pipeline.json', 'dist/src/main.js']) assert.ok(existsSync(join(work, 'apps/scorer', f)), f);
  assert.ok(r.err.includes(`cluster at ${broker.bootstrap}`), 'KAFKA_BROKERS is honoured');
});

test('bad options fail with a clear message', async () => {
  const r = await run(['demo', '--cars', '2'], { KAFKA_BROKERS: broker.bootstrap });
  assert.is(r.code, 1);
  assert.match(r.err, /--cars must be at least 4/);
  const u = await run(['demo', '--carz', '8'], {});
  assert.is(u.code, 1);
  assert.match(u.err, /unknown option --carz/);
});

test.run();
