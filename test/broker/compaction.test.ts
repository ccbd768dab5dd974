// Compacted topics over the wire: created and fed through kafkajs, compacted by the broker's
// background cleaner, read back by a kafkajs consumer group across the gaps; the last value of
// every key survives a clean restart and kill -9 of a broker child process.
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker } from '../../sdk/broker';

const TOPIC_CONFIG = [
  { name: 'cleanup.policy', value: 'compact' },
  { name: 'segment.bytes', value: '2048' },
  { name: 'min.cleanable.dirty.ratio', value: '0.01' },
];

function client(bootstrap: string): Kafka {
  return new Kafka({ brokers: [bootstrap], clientId: 'compaction-test', logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 100 } });
}

/** Reads a topic from the beginning with a kafkajs consumer group until every partition's high watermark. */
async function consumeAll(kafka: Kafka, topic: string, group: string): Promise<Array<{ offset: number; key: string; value: string | null }>> {
  const admin = kafka.admin();
  await admin.connect();
  const highs = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
  await admin.disconnect();
  const pending = new Set([...highs].filter(([, high]) => high > 0).map(([p]) => p));
  const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const out: Array<{ offset: number; key: string; value: string | null }> = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`kafkajs read ${out.length} records but partitions ${[...pending]} never reached their end (stuck in a gap?)`)), 30_000);
      if (pending.size === 0) resolve();
      void consumer.run({
        eachBatchAutoResolve: true,
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) out.push({ offset: Number(m.offset), key: m.key!.toString(), value: m.value?.toString() ?? null });
          if (Number(batch.lastOffset()) >= highs.get(batch.partition)! - 1) pending.delete(batch.partition);
          if (pending.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

function lastPerKey(records: Array<{ key: string; value: string | null }>): Record<string, string | null> {
  const m: Record<string, string | null> = {};
  for (const r of records) m[r.key] = r.value;
  return m;
}

async function until(what: string, fn: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('kafkajs: compacted topic cleaned in the background, consumed across its gaps, same after a restart', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-compaction-'));
  let broker = await startBroker({ port: 0, dataDir, cleanerIntervalMs: 50 });
  try {
    let kafka = client(broker.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'profiles', numPartitions: 1, configEntries: TOPIC_CONFIG }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const sent: Array<{ key: string; value: string | null }> = [];
    for (let b = 0; b < 40; b++) {
      const messages = Array.from({ length: 15 }, (_, i) => ({ key: `user-${(b * 15 + i) % 23}`, value: b === 39 && i < 3 ? null : `{"b":${b},"i":${i}}` }));
      if (b % 8 === 0) messages.push({ key: `rare-${b}`, value: 'written once' }); // survivors between removed records
      await producer.send({ topic: 'profiles', messages });
      sent.push(...messages);
    }
    try {
      await producer.send({ topic: 'profiles', messages: [{ value: 'no key' }] });
      assert.unreachable('a record without a key must be refused');
    } catch (err) {
      assert.is((err as { type?: string }).type, 'INVALID_RECORD');
    }
    await producer.disconnect();
    const expected = lastPerKey(sent);
    let read: Awaited<ReturnType<typeof consumeAll>> = [];
    let round = 0;
    await until('the cleaner to compact', async () => {
      read = await consumeAll(kafka, 'profiles', `readers-${round++}`);
      return read.length < sent.length / 3;
    });
    assert.equal(lastPerKey(read), expected, 'replay gives the last value of every key');
    assert.ok(read.some((r, i) => i > 0 && r.offset > read[i - 1].offset + 1), 'there are gaps, and kafkajs read past them');
    await broker.stop();
    broker = await startBroker({ port: 0, dataDir, cleanerIntervalMs: 50 });
    kafka = client(broker.bootstrap);
    const after = await consumeAll(kafka, 'profiles', 'after-restart');
    assert.equal(lastPerKey(after), expected, 'after a restart');
  } finally {
    await broker.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

function startChild(dataDir: string): Promise<{ child: ChildProcess; bootstrap: string }> {
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', path.join(__dirname, 'run-cli.ts'), 'broker', '--port', '0', '--data-dir', dataDir, '--cleaner-interval', '50ms'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`broker child did not start: ${out}`)), 30_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on [\d.]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, bootstrap: `127.0.0.1:${m[1]}` });
      }
    });
    child.on('exit', (code) => reject(new Error(`broker child exited with ${code}: ${out}`)));
  });
}

test('kill -9 of a broker child while producing and compacting: every key keeps at least its last acknowledged value', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-compaction-kill-'));
  const acked = new Map<string, number>();
  let n = 0;
  try {
    for (let round = 0; round < 3; round++) {
      const { child, bootstrap } = await startChild(dataDir);
      const exited = new Promise((r) => child.once('exit', r));
      const kafka = client(bootstrap);
      if (round === 0) {
        const admin = kafka.admin();
        await admin.connect();
        await admin.createTopics({ topics: [{ topic: 'state', numPartitions: 2, configEntries: TOPIC_CONFIG }] });
        await admin.disconnect();
      }
      const producer = kafka.producer({ retry: { retries: 0 } });
      await producer.connect();
      let killed = false;
      const stopAt = 300 + round * 150;
      let batches = 0;
      while (!killed) {
        const messages = Array.from({ length: 10 }, () => {
          const v = n++;
          return { key: `key-${v % 37}`, value: String(v) };
        });
        try {
          await producer.send({ topic: 'state', acks: -1, messages });
          for (const m of messages) acked.set(m.key, Math.max(acked.get(m.key) ?? -1, Number(m.value)));
        } catch {
          /* in flight when the broker died: not acknowledged */
        }
        if (++batches === stopAt / 10) {
          child.kill('SIGKILL');
          killed = true;
        }
      }
      await exited;
      await producer.disconnect().catch(() => undefined);
      n += 10_000; // values written but not acknowledged stay below the next round's
    }
    const { child, bootstrap } = await startChild(dataDir);
    try {
      const read = await consumeAll(client(bootstrap), 'state', 'verify');
      const latest = new Map<string, number>();
      for (const r of read) latest.set(r.key, Number(r.value));
      for (const [key, value] of acked) assert.ok((latest.get(key) ?? -1) >= value, `${key}: latest ${latest.get(key)} >= last acknowledged ${value}`);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
