// librdkafka 2.0.2 consumer groups (kcat -G) against the embedded broker: a balanced split,
// a member leaving and the other taking over, and the committed offsets librdkafka leaves behind.
import { test as uvuTest } from 'uvu';
import { missingCommand, needing } from '../helpers/skip';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'child_process';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type Broker } from '../../sdk/broker';

const test = needing(uvuTest, missingCommand('kcat', 'apt-get install -y kcat', ['-V']));

const TOPIC = 'kg-readings';
const GROUP = 'kg-balanced';
const PARTITIONS = 4;

let broker: Broker;
let bootstrap: string;
let kafka: Kafka;
test.before(async () => {
  broker = await startBroker({ port: 0 });
  bootstrap = `127.0.0.1:${broker.port}`;
  kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'kcat-group-test', logLevel: logLevel.NOTHING });
});
test.after(async () => {
  await broker.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function produce(from: number, count: number): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: TOPIC, messages: Array.from({ length: count }, (_, i) => ({ key: `k${from + i}`, value: `v${from + i}` })) });
  await producer.disconnect();
}

interface Member {
  child: ChildProcess;
  /** "partition|value" lines */
  lines: () => string[];
  exited: Promise<unknown>;
}

function member(): Member {
  // -u: unbuffered output, otherwise lines sit in stdio's buffer until kcat exits. No -o: kcat
  // would assign that offset explicitly and ignore the committed ones.
  const child = spawn('kcat', ['-b', bootstrap, '-G', GROUP, '-u', '-X', 'auto.offset.reset=earliest', '-f', '%p|%s\n', '-X', 'session.timeout.ms=6000', '-X', 'heartbeat.interval.ms=300', TOPIC], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', () => {});
  const exited = new Promise((r) => (child.exitCode !== null ? r(null) : child.on('exit', r)));
  return { child, lines: () => out.split('\n').filter(Boolean), exited };
}

async function waitFor(what: string, cond: () => boolean, ms = 40_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

test('kcat -G: two members split the partitions; one leaves, the other takes over; offsets are committed', async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
  await produce(0, 200);
  const a = member();
  const b = member();
  try {
    const values = () => new Set([...a.lines(), ...b.lines()].map((l) => l.split('|')[1]));
    await waitFor('200 records', () => values().size === 200);
    const partsOf = (m: Member) => new Set(m.lines().map((l) => l.split('|')[0]));
    const pa = partsOf(a);
    const pb = partsOf(b);
    assert.ok(pa.size > 0 && pb.size > 0, `both members got partitions (${[...pa]} / ${[...pb]})`);
    for (const p of pa) assert.not.ok(pb.has(p), `partition ${p} consumed by both members`);

    // SIGTERM: kcat closes its consumer, which commits and sends LeaveGroup.
    b.child.kill('SIGTERM');
    await b.exited;
    const before = a.lines().length;
    await produce(200, 100);
    await waitFor('the survivor reads the 100 new records from every partition', () => a.lines().length - before >= 100);
    const fresh = a.lines().slice(before);
    assert.equal(new Set(fresh.map((l) => l.split('|')[0])).size, PARTITIONS, 'the survivor owns every partition');
    const all = new Set([...a.lines(), ...b.lines()].map((l) => l.split('|')[1]));
    for (let i = 0; i < 300; i++) assert.ok(all.has(`v${i}`), `v${i} lost`);
  } finally {
    for (const m of [a, b]) if (m.child.exitCode === null) m.child.kill('SIGTERM');
    await Promise.all([a.exited, b.exited]);
  }
  const ends = await admin.fetchTopicOffsets(TOPIC);
  const committed = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
  const byPartition = new Map(committed[0].partitions.map((p) => [p.partition, p.offset]));
  for (const e of ends) assert.is(byPartition.get(e.partition), e.offset, `partition ${e.partition} committed at the end`);
  await admin.disconnect();
});

test('kcat -G resumes from the committed offsets: a restarted member reads only new records', async () => {
  await produce(300, 20);
  const m = member();
  try {
    await waitFor('the 20 new records', () => m.lines().length >= 20);
    await sleep(500);
    assert.equal(m.lines().map((l) => l.split('|')[1]).sort(), Array.from({ length: 20 }, (_, i) => `v${300 + i}`).sort());
  } finally {
    m.child.kill('SIGTERM');
    await m.exited;
  }
});

test.run();
