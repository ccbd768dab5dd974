// librdkafka 2.0.2 (through kcat) against the embedded broker: produce, consume, metadata,
// offsets by time, and a balanced consumer group.
import { test as uvuTest } from 'uvu';
import { missingCommand, needing } from '../helpers/skip';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'child_process';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type Broker } from '../../sdk/broker';
import { runKcat } from './helpers';
import { rawClient } from '../broker/wire';
import { FetchRequest, FetchResponse } from '../../sdk/protocol/messages/fetch';
import { readBatchHeader } from '../../sdk/protocol/record-batch';

const test = needing(uvuTest, missingCommand('kcat', 'apt-get install -y kcat', ['-V']));

/** Compression codecs of the stored batches of partition 0 (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd). */
async function storedCodecs(topic: string): Promise<number[]> {
  const c = await rawClient(broker.port);
  try {
    const r = await c.request(1, 11, (w) =>
      FetchRequest.encode(w, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '' }, 11));
    const records = FetchResponse.decode(r, 11).responses[0].partitions[0].records!;
    const codecs = new Set<number>();
    for (let at = 0; at < records.length; at += 12 + records.readInt32BE(at + 8)) codecs.add(readBatchHeader(records, at).attributes & 7);
    return [...codecs].sort();
  } finally {
    c.close();
  }
}

let broker: Broker;
let bootstrap: string;
test.before(async () => {
  broker = await startBroker({ port: 0, partitions: 3 });
  bootstrap = `127.0.0.1:${broker.port}`;
});
test.after(async () => {
  await broker.stop();
});

const kcat = (args: string[], input?: string, timeoutMs = 20_000) => runKcat(bootstrap, args, input, timeoutMs);

test('kcat -P with keys, then -C reads every record back from every partition', async () => {
  const lines = Array.from({ length: 300 }, (_, i) => `car${i % 12}:{"i":${i}}`);
  const p = await kcat(['-P', '-t', 'kc-data', '-K:'], lines.join('\n') + '\n');
  assert.is(p.code, 0, p.stderr);
  const c = await kcat(['-C', '-t', 'kc-data', '-e', '-q', '-f', '%k|%s|%p|%o\n']);
  assert.is(c.code, 0, c.stderr);
  const got = c.stdout.trim().split('\n').map((l) => l.split('|'));
  assert.is(got.length, 300);
  assert.equal(got.map(([k, v]) => `${k}:${v}`).sort(), [...lines].sort());
  // The same key always lands in the same partition, and offsets are dense per partition.
  const partitionOfKey = new Map<string, string>();
  for (const [k, , part] of got) {
    assert.is(partitionOfKey.get(k) ?? part, part);
    partitionOfKey.set(k, part);
  }
  for (const part of ['0', '1', '2']) {
    const offs = got.filter((g) => g[2] === part).map((g) => Number(g[3])).sort((a, b) => a - b);
    assert.equal(offs, offs.map((_, i) => i));
  }
});

test('kcat -z: gzip, snappy, lz4 and zstd batches are stored as received and read back', async () => {
  for (const [id, codec] of ['gzip', 'snappy', 'lz4', 'zstd'].entries()) {
    const topic = `kc-${codec}`;
    const lines = Array.from({ length: 200 }, (_, i) => `${codec}-${i}-${'x'.repeat(i % 50)}`);
    const p = await kcat(['-P', '-t', topic, '-p', '0', '-z', codec], lines.join('\n') + '\n');
    assert.is(p.code, 0, p.stderr);
    // librdkafka sends a batch uncompressed when compressing would not make it smaller.
    assert.ok((await storedCodecs(topic)).includes(id + 1), `${codec} batches stored as sent`);
    const c = await kcat(['-C', '-t', topic, '-e', '-q', '-f', '%o|%s\n', '-o', '17']);
    assert.is(c.code, 0, c.stderr);
    const got = c.stdout.trim().split('\n');
    // Reading from the middle of a compressed batch starts exactly at the asked offset.
    assert.is(got[0], `17|${lines[17]}`, codec);
    assert.is(got.length, 183, codec);
  }
});

test('kcat -L reports this broker as controller and leader of every partition', async () => {
  const r = await kcat(['-L', '-J', '-t', 'kc-data']);
  assert.is(r.code, 0, r.stderr);
  const md = JSON.parse(r.stdout);
  assert.equal(md.brokers, [{ id: 0, name: `127.0.0.1:${broker.port}` }]);
  assert.is(md.controllerid, 0);
  const t = md.topics.find((x: { topic: string }) => x.topic === 'kc-data');
  assert.is(t.partitions.length, 3);
  for (const p of t.partitions) {
    assert.is(p.leader, 0);
    assert.equal(p.replicas, [{ id: 0 }]);
    assert.equal(p.isrs, [{ id: 0 }]);
  }
});

test('kcat -Q resolves timestamps to offsets through the time index', async () => {
  const producer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  const base = 1_700_000_000_000;
  for (let i = 0; i < 10; i++) {
    await producer.send({ topic: 'kc-times', messages: [{ value: `m${i}`, partition: 0, timestamp: String(base + i * 1000) }] });
  }
  await producer.disconnect();
  const q = async (ts: number) => {
    const r = await kcat(['-Q', '-t', `kc-times:0:${ts}`]);
    assert.is(r.code, 0, r.stderr);
    return r.stdout.trim();
  };
  assert.match(await q(base + 3500), /kc-times \[0\] offset 4$/);
  assert.match(await q(base), /kc-times \[0\] offset 0$/);
  assert.match(await q(base + 60_000), /kc-times \[0\] offset -1$/);
});

test('kcat -G: two members of one group split the partitions and together read everything once', async () => {
  const lines = Array.from({ length: 120 }, (_, i) => `k${i}:v${i}`);
  assert.is((await kcat(['-P', '-t', 'kc-group', '-K:'], lines.join('\n') + '\n')).code, 0);
  const members: ChildProcess[] = [];
  const outputs: string[] = ['', ''];
  try {
    for (let m = 0; m < 2; m++) {
      const child = spawn('kcat', ['-b', bootstrap, '-u', '-G', 'kc-balanced', '-o', 'beginning', '-f', '%p|%s\n', '-X', 'session.timeout.ms=6000', 'kc-group'], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.on('data', (d) => (outputs[m] += d));
      child.stderr!.on('data', () => {});
      members.push(child);
    }
    const deadline = Date.now() + 45_000;
    const count = () => outputs.join('').split('\n').filter(Boolean).length;
    while (Date.now() < deadline && count() < 120) await new Promise((r) => setTimeout(r, 200));
    // Let a late rebalance show itself as duplicates, if any.
    await new Promise((r) => setTimeout(r, 500));
    const all = outputs.join('').split('\n').filter(Boolean);
    assert.is(all.length, 120, `read ${all.length} of 120`);
    assert.equal(all.map((l) => l.split('|')[1]).sort(), lines.map((l) => l.split(':')[1]).sort());
    const partsOf = (o: string) => new Set(o.split('\n').filter(Boolean).map((l) => l.split('|')[0]));
    const [a, b] = outputs.map(partsOf);
    assert.ok(a.size > 0 && b.size > 0, 'both members got partitions');
    for (const p of a) assert.not.ok(b.has(p), `partition ${p} consumed by both members`);
  } finally {
    for (const m of members) m.kill('SIGTERM');
    await Promise.all(members.map((m) => new Promise((r) => (m.exitCode !== null ? r(null) : m.on('exit', r)))));
  }
});

test.run();
