// Bounded memory under hostile clients (issue 13 item 5): 50 connections each declare a 95 MB
// request and stream all of it but the last KiB, again and again, against a broker child process
// (the built CLI, default memory options but a 15 s frame timeout), while kafkajs produces and
// consumes. The broker's RSS is sampled every 100 ms and must stay under the bound stated here;
// every kafkajs round must complete. Before the memory budget, 40 such connections took RSS to 3.9 GB.
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel } from 'kafkajs';

const CONNECTIONS = 50;
const FRAME = 95 * 1000 * 1000;
const ATTACK_MS = Number(process.env.MEMORY_TEST_MS ?? 40_000);
/**
 * The bound stated in the README: RSS before the attack + the default queuedMaxRequestBytes
 * (200 MiB) + 64 KiB per waiting connection + 100 MiB for everything else (V8 heap growth,
 * a freed frame not yet collected, kafkajs traffic).
 */
const BOUND = (baseline: number) => baseline + 200 * 1024 * 1024 + CONNECTIONS * 64 * 1024 + 100 * 1024 * 1024;
const ROOT = path.join(__dirname, '..', '..');

function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

function startBroker(dataDir: string): Promise<{ child: ChildProcess; port: number }> {
  const bin = path.join(ROOT, 'bin', 'kafkalab.js');
  const child = spawn(process.execPath, [bin, 'broker', '--port', '0', '--data-dir', dataDir, '--frame-timeout', '15s', '--log-level', process.env.MEMORY_TEST_LOG ?? 'error'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on [\d.]+:(\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.on('exit', (code) => reject(new Error(`broker exited with ${code} (is it built? npm run build): ${out}`)));
  });
}

/** One hostile stream: declares FRAME bytes, sends all but the last KiB, waits to be closed, repeats. */
function attacker(port: number, running: () => boolean, stats: { closed: number; bytes: number }): Promise<void> {
  const chunk = Buffer.alloc(1024 * 1024);
  return new Promise((resolve) => {
    const once = () => {
      if (!running()) return resolve();
      const socket = net.connect(port, '127.0.0.1');
      socket.on('error', () => {});
      let sent = 0;
      const pump = () => {
        while (sent < FRAME - 1024 && running()) {
          const n = Math.min(chunk.length, FRAME - 1024 - sent);
          sent += n;
          stats.bytes += n;
          if (!socket.write(chunk.subarray(0, n))) return void socket.once('drain', pump);
        }
      };
      socket.once('connect', () => {
        const head = Buffer.alloc(4);
        head.writeInt32BE(FRAME);
        socket.write(head);
        pump();
      });
      socket.once('close', () => {
        if (running()) stats.closed++; // closed by the broker, not by this test stopping
        setImmediate(once);
      });
      const stop = setInterval(() => {
        if (!running()) {
          clearInterval(stop);
          socket.destroy();
        }
      }, 200);
      socket.once('close', () => clearInterval(stop));
    };
    once();
  });
}

test(`RSS stays bounded while ${CONNECTIONS} connections stream 95 MB partial frames; kafkajs keeps being served`, async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-memory-'));
  const { child, port } = await startBroker(dataDir);
  const kafka = new Kafka({ brokers: [`127.0.0.1:${port}`], clientId: 'legit', logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  try {
    await producer.connect();
    await producer.send({ topic: 'legit', messages: [{ key: 'warm', value: 'up' }] });
    await new Promise((r) => setTimeout(r, 500));
    const baseline = rss(child.pid!);
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, rss(child.pid!))), 100);

    let attacking = true;
    const stats = { closed: 0, bytes: 0 };
    const attackers = Array.from({ length: CONNECTIONS }, () => attacker(port, () => attacking, stats));
    const t0 = Date.now();
    let rounds = 0;
    let produced = 1;
    while (Date.now() - t0 < ATTACK_MS) {
      const messages = Array.from({ length: 100 }, (_, i) => ({ key: `k${i % 10}`, value: JSON.stringify({ round: rounds, i }) }));
      await producer.send({ topic: 'legit', messages });
      produced += messages.length;
      rounds++;
    }
    // Reading everything back during the attack too.
    const consumer = kafka.consumer({ groupId: 'legit-readers', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'legit', fromBeginning: true });
    let consumed = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed ${consumed} of ${produced} during the attack`)), 60_000);
      void consumer.run({
        eachMessage: async () => {
          if (++consumed === produced) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    attacking = false;
    await Promise.all(attackers);
    clearInterval(sampler);

    const mb = (n: number) => (n / 1e6).toFixed(0);
    console.log(
      `  RSS baseline ${mb(baseline)} MB, peak ${mb(peak)} MB (bound ${mb(BOUND(baseline))} MB); ` +
        `${(stats.bytes / 1e9).toFixed(1)} GB offered by ${CONNECTIONS} hostile connections, ${stats.closed} closed by the frame timeout; ` +
        `kafkajs ${rounds} produce rounds (${produced} records) and all consumed back`,
    );
    assert.ok(peak < BOUND(baseline), `RSS peak ${mb(peak)} MB over the bound ${mb(BOUND(baseline))} MB`);
    assert.ok(stats.closed >= 2, 'stalled frames were closed, freeing their memory for the next');
    assert.ok(rounds >= 3, `kafkajs produced ${rounds} rounds`);
    assert.is(child.exitCode, null, 'the broker is alive');
  } finally {
    await producer.disconnect().catch(() => undefined);
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(null)));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
