// kafkalab's reads and group stream jobs against the test-only multi-node broker
// (sdk/broker/cluster.ts: 3 nodes, partitions led by different nodes, no replication): across
// leader moves and node outages nothing is lost and nothing crashes; only while a partition has
// no leader at all does a read fail, with an error that says so.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { startBroker, type Broker } from '../../sdk/broker';
import type { ClusterControl } from '../../sdk/broker/cluster';
import { connect, type KafkaConnection } from '../../sdk/kafka/connect';
import { recordsOf } from '../../sdk/frame/dataframe';
import { KafkalabError } from '../../sdk/util/errors';

let broker: Broker;
let cluster: ClusterControl;
let kafka: KafkaConnection;
const PARTITIONS = 6;

test.before(async () => {
  broker = await startBroker({ port: 0, nodes: 3, groups: { initialRebalanceDelayMs: 0 } });
  cluster = broker.cluster!;
  kafka = await connect({ brokers: cluster.bootstrap });
});
test.after(async () => {
  await kafka?.close();
  await broker?.stop();
});

let movers: { stop(): Promise<number> }[] = [];
// A failed test leaves no mover running and no node stopped behind for the next one.
test.after.each(async () => {
  for (const m of movers) await m.stop();
  movers = [];
  for (const n of cluster.nodes) await cluster.startNode(n.nodeId);
});

/** Moves random partitions of `topic` every `ms` until stopped; the moves come from fast-check. */
function keepMoving(topic: string, ms: number, seed: number): { stop(): Promise<number> } {
  const moves = fc.sample(fc.tuple(fc.integer({ min: 0, max: PARTITIONS - 1 }), fc.integer({ min: 0, max: 2 })), { numRuns: 10_000, seed });
  let i = 0;
  const timer = setInterval(() => {
    const [p, node] = moves[i++ % moves.length];
    if (cluster.isRunning(node)) cluster.moveLeader(topic, p, node); // a move onto a stopped node would leave it leaderless
  }, ms);
  const mover = { stop: async () => (clearInterval(timer), i) };
  movers.push(mover);
  return mover;
}

const ids = (rows: Record<string, unknown>[]) => rows.map((r) => r.i as number).sort((a, b) => a - b);
const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

test('produce and read while leaders keep moving: every row once', async () => {
  await kafka.createTopic('moving', { partitions: PARTITIONS });
  const t = kafka.topic('moving');
  const mover = keepMoving('moving', 100, 613);
  // Besides the timed mover (whose count depends on how fast the machine is), one move between
  // batches, so every run sees leaders move under a client holding stale metadata.
  for (let b = 0; b < 10; b++) {
    await t.produce(range(300, b * 300).map((i) => ({ i, car: `c${i % 17}` })), { key: 'car' });
    cluster.moveLeader('moving', b % PARTITIONS, (b + 1) % 3);
  }
  const whole = ids(recordsOf(await t.read()));
  await mover.stop();
  assert.equal(whole, range(3000));
});

test('a node outage with failover: reads and produces go on; without failover a read fails clearly and works after the restart', async () => {
  await kafka.createTopic('outage', { partitions: PARTITIONS });
  const t = kafka.topic('outage');
  await t.produce(range(600).map((i) => ({ i })));
  await cluster.stopNode(2, { failover: true });
  await t.produce(range(600, 600).map((i) => ({ i })));
  assert.equal(ids(recordsOf(await t.read())), range(1200));
  await cluster.startNode(2, { takeBack: true });
  assert.equal(ids(recordsOf(await t.read())), range(1200));

  // No failover: the partitions node 1 leads have no leader until it is back.
  await cluster.stopNode(1);
  const err = await t.read().then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.instance(err, KafkalabError);
  assert.match((err as Error).message, /leader|LEADER_NOT_AVAILABLE|NOT_LEADER/i, String(err));
  await cluster.startNode(1);
  assert.equal(ids(recordsOf(await t.read())), range(1200), 'nothing lost, the same connection reads again');
});

test('a group stream job keeps running across leader moves and an outage: every input reaches the output', async () => {
  await kafka.createTopic('job-in', { partitions: PARTITIONS });
  await kafka.createTopic('job-out', { partitions: 2 });
  const input = kafka.topic('job-in');
  const job = await input.stream({ from: 'earliest', group: 'job-g', batch: { size: 100, ms: 20 } }).map((r) => ({ i: r.i, twice: (r.i as number) * 2 })).to('job-out');
  try {
    const mover = keepMoving('job-in', 150, 1307);
    for (let b = 0; b < 6; b++) {
      await input.produce(range(200, b * 200).map((i) => ({ i })));
      if (b === 2) await cluster.stopNode(2, { failover: true });
      if (b === 4) await cluster.startNode(2, { takeBack: true });
    }
    await mover.stop();
    const end = Date.now() + 60_000;
    let out: number[] = [];
    while (Date.now() < end) {
      out = [...new Set(ids(recordsOf(await kafka.topic('job-out').read())))];
      if (out.length >= 1200) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(out, range(1200), 'every input row reached the output at least once');
  } finally {
    await job.stop();
  }
});

test.run();
