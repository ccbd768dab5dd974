// kill -9 of a broker process in the middle of a produce stream, three times over: after each
// restart every acknowledged record is readable, offsets are dense and the log accepts more.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Kafka, logLevel } from 'kafkajs';
import { rawClient } from '../broker/wire';
import { FetchRequest, FetchResponse } from '../../sdk/protocol/messages/fetch';
import { decodeRecords } from '../../sdk/protocol/record-batch';

const PARTITIONS = 3;

function startChild(dir: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', path.join(__dirname, '../broker/run-cli.ts'), 'broker', '--port', '0', '--data-dir', dir, '--partitions', String(PARTITIONS), '--segment-bytes', '200000'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('broker not ready in 30s')), 30_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on [\d.]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited ${code}: ${err}`));
    });
  });
}

async function readPartition(port: number, topic: string, partition: number): Promise<Array<{ offset: number; value: string }>> {
  const c = await rawClient(port);
  const out: Array<{ offset: number; value: string }> = [];
  try {
    for (let offset = 0, i = 0; i < 10_000; i++) {
      const r = await c.request(1, 11, (w) =>
        FetchRequest.encode(w, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 4 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
          topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, logStartOffset: -1, partitionMaxBytes: 4 << 20 }] }], forgottenTopicsData: [], rackId: '' }, 11));
      const p = FetchResponse.decode(r, 11).responses[0].partitions[0];
      assert.is(p.errorCode, 0, `fetch ${topic}-${partition}@${offset}`);
      const recs = decodeRecords(p.records!).filter((x) => x.offset >= offset);
      if (!recs.length) {
        assert.is(offset, p.highWatermark, 'reading stopped before the high watermark');
        break;
      }
      for (const x of recs) out.push({ offset: x.offset, value: x.value!.toString() });
      offset = recs[recs.length - 1].offset + 1;
    }
  } finally {
    c.close();
  }
  return out;
}

test('kill -9 during a produce stream loses no acknowledged record (3 crashes)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-crash-'));
  const acked = new Set<string>();
  let child: ChildProcess | undefined;
  try {
    for (let round = 0; round < 3; round++) {
      const started = await startChild(dir);
      child = started.child;
      const kafka = new Kafka({ brokers: [`127.0.0.1:${started.port}`], logLevel: logLevel.NOTHING, retry: { retries: 0 }, requestTimeout: 3000 });
      const producer = kafka.producer({ allowAutoTopicCreation: true });
      await producer.connect();
      let seq = 0;
      let crashed = false;
      const streams = Array.from({ length: 3 }, async (_, s) => {
        while (!crashed) {
          const values = Array.from({ length: 25 }, () => `r${round}-s${s}-${seq++}`);
          try {
            await producer.send({ topic: 'crash', acks: -1, messages: values.map((value) => ({ key: value, value })) });
            for (const v of values) acked.add(v);
          } catch {
            return; // the broker died under this request: not acknowledged
          }
        }
      });
      await new Promise((r) => setTimeout(r, 1500 + round * 300));
      crashed = true;
      child.kill('SIGKILL');
      await Promise.all(streams);
      await new Promise((r) => child!.exitCode !== null || child!.signalCode !== null ? r(null) : child!.on('exit', r));
      await producer.disconnect().catch(() => {});
      assert.ok(acked.size > 100, `only ${acked.size} records acknowledged before the crash`);
    }

    const { child: last, port } = await startChild(dir);
    child = last;
    const stored = new Set<string>();
    for (let p = 0; p < PARTITIONS; p++) {
      const recs = await readPartition(port, 'crash', p);
      assert.equal(recs.map((r) => r.offset), recs.map((_, i) => i), `offsets of partition ${p} are not dense`);
      for (const r of recs) {
        assert.not.ok(stored.has(r.value), `duplicate ${r.value}`);
        stored.add(r.value);
      }
    }
    const lost = [...acked].filter((v) => !stored.has(v));
    assert.equal(lost.slice(0, 5), [], `${lost.length} acknowledged records lost`);
    // The recovered log keeps accepting writes at its end.
    const producer = new Kafka({ brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    const [meta] = await producer.send({ topic: 'crash', messages: [{ value: 'after', partition: 0 }] });
    await producer.disconnect();
    const p0 = await readPartition(port, 'crash', 0);
    assert.is(Number(meta.baseOffset), p0.length - 1);
    assert.is(p0[p0.length - 1].value, 'after');
  } finally {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.on('exit', r));
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
