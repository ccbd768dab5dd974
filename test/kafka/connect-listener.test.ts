// runner: exclusive port-9092 (these tests put listeners on the embedded default port)
/**
 * connect() without brokers when something already listens on :9092 (issue 12 item 5): it says
 * what it found and only reuses a kafkalab broker keeping the same data dir; a foreign listener
 * or another data dir's broker gets an in-process broker on a free port instead, so the
 * notebook never depends on a process it did not start and cannot see.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { connect, describeListener, EMBEDDED_PORT, isListening, probeListener } from '../../sdk/kafka/connect';
import type { Logger } from '../../sdk/util/log';
import { skip } from '../helpers/skip';

const root = path.resolve(__dirname, '..', '..');

function recordingLogger(lines: string[]): Logger {
  const log = (level: string) => (msg: string, fields?: Record<string, unknown>) => lines.push(`${level} ${msg}${fields ? ' ' + JSON.stringify(fields) : ''}`);
  const l: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: () => l } as unknown as Logger;
  return l;
}

async function nineOhNineTwoFree(): Promise<boolean> {
  if (process.env.KAFKA_BROKERS) return (skip('KAFKA_BROKERS is set; these tests need the embedded default'), false);
  if (await isListening('127.0.0.1', EMBEDDED_PORT)) return (skip(`something already listens on ${EMBEDDED_PORT}; these tests put their own listener there`), false);
  return true;
}

/** A kafkalab broker in another process on :9092 with `dataDir`; resolves once it listens. */
function brokerProcess(dataDir: string): Promise<ChildProcess> {
  const script = `require(${JSON.stringify(path.join(root, 'sdk', 'broker'))}).startBroker({ port: ${EMBEDDED_PORT}, dataDir: ${JSON.stringify(dataDir)} }).then(() => console.log('ready'), (e) => { console.error(e.message); process.exit(1); });`;
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => String(d).includes('ready') && resolve(child));
    child.once('exit', (code) => reject(new Error(`broker process exited ${code}: ${err}`)));
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await gone;
}

test('a non-Kafka listener on :9092: connect() names it and starts an in-process broker on a free port', async () => {
  if (!(await nineOhNineTwoFree())) return;
  // Accepts, reads, answers garbage: what a web server or a stale tunnel looks like to Kafka.
  const server = net.createServer((s) => s.on('data', () => s.end('HTTP/1.1 400 Bad Request\r\n\r\n')).on('error', () => undefined));
  await new Promise<void>((r) => server.listen(EMBEDDED_PORT, '127.0.0.1', r));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-foreign-'));
  const lines: string[] = [];
  try {
    const id = await probeListener('127.0.0.1', EMBEDDED_PORT, 1000);
    assert.is(id.kind, 'other');
    const kafka = await connect({ dataDir, logger: recordingLogger(lines) });
    try {
      assert.ok(kafka.embedded, 'started its own broker');
      assert.is.not(kafka.embedded!.port, EMBEDDED_PORT);
      assert.equal(kafka.brokers, [kafka.embedded!.bootstrap]);
      assert.is(kafka.origin?.kind, 'in-process');
      assert.is(kafka.origin?.dataDir, dataDir);
      const warn = lines.find((l) => l.startsWith('warn '));
      assert.ok(warn, lines.join('\n'));
      assert.match(warn!, /not using something that is not a Kafka broker on localhost:9092/);
      assert.match(warn!, /starting an in-process broker on a free port/);
      // It works: the topic lands in this broker, not behind the foreign listener.
      await kafka.topic('after-foreign').produce([{ a: 1 }, { a: 2 }]);
      assert.is((await kafka.topic('after-foreign').read()).shape[0], 2);
      assert.ok(fs.existsSync(path.join(dataDir, 'topics')), 'data in the requested dir');
    } finally {
      await kafka.close();
    }
    assert.not.ok(await isListening('127.0.0.1', kafka.embedded!.port), 'the fallback broker stops with its last connection');
  } finally {
    await new Promise((r) => server.close(r));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test("another process's kafkalab broker: reused with pid and data dir when it keeps this data dir, else an in-process broker", async () => {
  if (!(await nineOhNineTwoFree())) return;
  const theirs = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-theirs-'));
  const mine = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-mine-'));
  const child = await brokerProcess(theirs);
  try {
    const id = await probeListener('127.0.0.1', EMBEDDED_PORT);
    assert.equal(id, { kind: 'kafkalab', pid: child.pid, dataDir: theirs, clusterId: (id as { clusterId?: string }).clusterId });
    assert.is(describeListener(id, 'localhost:9092'), `the kafkalab broker of process ${child.pid} (data dir ${theirs}) on localhost:9092`);

    // Same data dir: the same topics, so reusing is what the user meant; the log says whose.
    const lines: string[] = [];
    const same = await connect({ dataDir: theirs, logger: recordingLogger(lines) });
    try {
      assert.is(same.embedded, undefined);
      assert.equal(same.brokers, [`localhost:${EMBEDDED_PORT}`]);
      assert.equal([same.origin?.kind, same.origin?.pid, same.origin?.dataDir], ['reused', child.pid, theirs]);
      assert.ok(lines.some((l) => l.startsWith(`info using the kafkalab broker of process ${child.pid} (data dir ${theirs})`)), lines.join('\n'));
      await same.topic('shared').produce([{ x: 1 }]);
    } finally {
      await same.close();
    }

    // Another data dir: not the user's broker; an in-process one on a free port, the reason logged.
    const lines2: string[] = [];
    const other = await connect({ dataDir: mine, logger: recordingLogger(lines2) });
    try {
      assert.ok(other.embedded);
      assert.is.not(other.embedded!.port, EMBEDDED_PORT);
      assert.is(other.origin?.kind, 'in-process');
      const warn = lines2.find((l) => l.startsWith('warn '));
      assert.match(warn ?? '', new RegExp(`not using the kafkalab broker of process ${child.pid} \\(data dir ${theirs.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\) on localhost:9092: it keeps its data in`));
      const topics = (await other.topics()).column('topic').values as string[];
      assert.not.ok(topics.includes('shared'), 'a different broker from the reused one');
    } finally {
      await other.close();
    }
    assert.ok(child.exitCode === null, 'their broker is left running');
  } finally {
    await stopProcess(child);
    fs.rmSync(theirs, { recursive: true, force: true });
    fs.rmSync(mine, { recursive: true, force: true });
  }
});

test.run();
