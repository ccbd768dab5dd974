import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Kafka, logLevel } from 'kafkajs';

test('`kafkalab broker` prints one ready line, serves clients, stops on SIGTERM and SIGINT keeping data', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-cli-'));
  const start = () => {
    const child = spawn(process.execPath, ['-r', 'tsx/cjs', path.join(__dirname, 'run-cli.ts'), 'broker', '--port', '0', '--data-dir', dir, '--partitions', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const ready = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ready line in 20s: ${out} ${err}`)), 20_000);
      child.stdout.on('data', (d) => {
        out += d;
        const m = /^kafkalab broker listening on 127\.0\.0\.1:(\d+)\n$/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`broker exited ${code}: ${err}`));
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, ready, exited, output: () => out };
  };
  try {
    const first = start();
    const port = await first.ready;
    const kafka = new Kafka({ brokers: [`localhost:${port}`], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'cli', messages: [{ value: 'kept' }] });
    await producer.disconnect();
    first.child.kill('SIGTERM');
    assert.is(await first.exited, 0);
    assert.is(first.output().split('\n').filter(Boolean).length, 1, 'exactly one line on stdout');

    const second = start();
    const port2 = await second.ready;
    const admin = new Kafka({ brokers: [`localhost:${port2}`], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets('cli');
    assert.is(offsets.length, 2, 'auto-created with --partitions 2');
    assert.is(offsets.reduce((n, o) => n + Number(o.high), 0), 1);
    await admin.disconnect();
    second.child.kill('SIGINT');
    assert.is(await second.exited, 0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('`kafkalab broker` on a busy port fails with a hint, exit code 1', async () => {
  const net = await import('net');
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const port = (blocker.address() as { port: number }).port;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-cli-'));
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', path.join(__dirname, 'run-cli.ts'), 'broker', '--port', String(port), '--data-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  blocker.close();
  fs.rmSync(dir, { recursive: true, force: true });
  assert.is(code, 1);
  assert.match(err, /already in use.*--port 0/);
});

test.run();
