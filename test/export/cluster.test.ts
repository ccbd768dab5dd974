/**
 * The exported app's result publishing fast path (record batches per leader through kafkalab's
 * adapter, templates/app/src/producer.ts) against the test-only 3-node broker
 * (sdk/broker/cluster.ts): while leaders move (fast-check schedule) and nodes go down and come
 * back, every record of every send() that resolved is in the topic; a send whose partitions stay
 * leaderless fails with an error naming the missing leader, and the same producer publishes
 * again once the node is back. Exactly-once (templates/app/src/transactions.ts) through the same
 * moves and a node outage: read_committed holds each committed transaction's records once and
 * none of the aborted ones, and the group's offsets are those committed with the transactions.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { startBroker, type Broker } from '../../sdk/broker';
import type { ClusterControl } from '../../sdk/broker/cluster';
import { createResultProducer, type ResultProducer } from '../../sdk/export/templates/app/src/producer';
import { createTransactions } from '../../sdk/export/templates/app/src/transactions';
import type { Config } from '../../sdk/export/templates/app/src/config';
import { connect, type KafkaConnection } from '../../sdk/kafka/connect';
import { completeProducer } from '../../sdk/kafka/complete-send';
import { recordsOf } from '../../sdk/frame/dataframe';

/** The hand-encoded path, unless kafkajs's internals are switched off. */
const FAST_ENCODER = process.env.KAFKALAB_KAFKAJS_INTERNALS === 'off' ? 'kafkajs' : 'kafkalab';
const silent = { debug() {}, info() {}, warn() {}, error() {} };

let broker: Broker;
let cluster: ClusterControl;
let kafka: Kafka;
let reader: KafkaConnection;
let out: ResultProducer;
let producer: Producer;
let mover: NodeJS.Timeout | undefined;

test.before(async () => {
  broker = await startBroker({ port: 0, nodes: 3 });
  cluster = broker.cluster!;
  // kafkajs's own retries shortened: with the app's defaults (5 retries up to 30 s each) the
  // long outage below fails only after about two minutes.
  kafka = new Kafka({ clientId: 'app-cluster-test', brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 } });
  reader = await connect({ brokers: cluster.bootstrap });
  await reader.createTopic('scores', { partitions: 6 });
  // Connected: with kafkajs's internals off (test/kafka/public-api.test.ts) results go through it.
  producer = completeProducer(kafka); // what the app publishes through when results go by producer.send
  await producer.connect();
  out = await createResultProducer(kafka, producer, 'scores', 'kafkalab', silent);
});
test.after(async () => {
  clearInterval(mover);
  await out?.disconnect();
  await producer?.disconnect();
  await reader?.close();
  await broker?.stop();
});

async function publish(from: number, n: number): Promise<void> {
  const batch = out.batch('scores', n);
  for (let i = from; i < from + n; i++) batch.add(Buffer.from(`car-${i % 37}`), `{"i":${i},"score":${i / 1000}}`, 1_700_000_000_000 + i);
  await batch.send();
}

const published = async () => new Set(recordsOf(await reader.topic('scores').read()).map((r) => r.i as number));

test('results published across leader moves and a node outage with failover are all in the topic', async () => {
  assert.is(out.encoder, FAST_ENCODER);
  const moves = fc.sample(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 2 })), { numRuns: 1000, seed: 4242 });
  let moved = 0;
  mover = setInterval(() => {
    const [p, node] = moves[moved++ % moves.length];
    if (cluster.isRunning(node)) cluster.moveLeader('scores', p, node);
  }, 100);
  for (let b = 0; b < 20; b++) {
    if (b === 8) await cluster.stopNode(1, { failover: true });
    if (b === 14) await cluster.startNode(1, { takeBack: true });
    await publish(b * 300, 300);
    // Besides the timed mover (how many moves it makes depends on the machine's speed), one move
    // between batches, so every run publishes with stale leaders.
    const [p, node] = moves[(b * 7) % moves.length];
    if (cluster.isRunning(node)) cluster.moveLeader('scores', p, node);
  }
  clearInterval(mover);
  const got = await published();
  const missing = Array.from({ length: 6000 }, (_, i) => i).filter((i) => !got.has(i));
  assert.equal(missing, []);
});

test('a node down without failover: send() retries through a short outage; a long one fails naming the missing leader, then publishing resumes', async () => {
  // Short: back within the producer's retries.
  await cluster.stopNode(2);
  const sending = publish(10_000, 300);
  await new Promise((r) => setTimeout(r, 500));
  await cluster.startNode(2);
  await sending;
  // Long: the retries run out while node 0's partitions have no leader.
  await cluster.stopNode(0);
  const err = await publish(20_000, 300).then(
    () => undefined,
    (e: Error) => e,
  );
  assert.ok(err, 'the send failed');
  assert.match(err!.message, /leader/i);
  await cluster.startNode(0);
  await publish(20_000, 300);
  const got = await published();
  for (const from of [10_000, 20_000]) for (let i = from; i < from + 300; i++) assert.ok(got.has(i), `record ${i}`);
});

test('exactly-once on the same path across leader moves and a node outage: committed transactions once, aborted ones never', async () => {
  await reader.createTopic('scores-eos', { partitions: 6 });
  await reader.createTopic('eos-in', { partitions: 2 });
  const eosOut = await createResultProducer(kafka, producer, 'scores-eos', 'kafkalab', silent);
  const config = { transactionalIdPrefix: 'cluster-test', inputTopic: 'eos-in', outputTopic: 'scores-eos', groupId: 'eos-group', transactionTimeoutMs: 60_000 } as Config;
  const txns = await createTransactions(kafka, eosOut, config, silent);
  assert.is(txns.encoder, FAST_ENCODER);
  const moves = fc.sample(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 2 })), { numRuns: 200, seed: 77 });
  const committed = new Set<number>();
  const lastOffset = [-1, -1];
  try {
    for (let b = 0; b < 16; b++) {
      // Node 0 coordinates the transactions: node 1 goes down (its partitions fail over) and comes back.
      if (b === 6) await cluster.stopNode(1, { failover: true });
      if (b === 11) await cluster.startNode(1, { takeBack: true });
      const input = b % 2;
      const txn = await txns.begin(input);
      const batch = txn.batch('scores-eos', 200);
      for (let i = b * 200; i < (b + 1) * 200; i++) batch.add(Buffer.from(`car-${i % 37}`), `{"i":${i}}`, 1_700_000_000_000 + i);
      await batch.send();
      // A leader moves inside the transaction, between its send and its end.
      const [p, node] = moves[b];
      if (cluster.isRunning(node)) cluster.moveLeader('scores-eos', p, node);
      if (b % 5 === 4) await txns.abort(input);
      else {
        await txns.commit({ topic: 'eos-in', partition: input, offset: String(b + 1), metadata: `batch ${b}` });
        for (let i = b * 200; i < (b + 1) * 200; i++) committed.add(i);
        lastOffset[input] = b + 1;
      }
    }
  } finally {
    await txns.close();
    await eosOut.disconnect();
  }
  const rows = recordsOf(await reader.topic('scores-eos').read()).map((r) => r.i as number);
  assert.is(rows.length, committed.size, 'each committed record once, no aborted one');
  assert.equal([...new Set(rows)].sort((a, b) => a - b), [...committed].sort((a, b) => a - b));
  const [offsets] = await kafka.admin().fetchOffsets({ groupId: 'eos-group', topics: ['eos-in'] });
  assert.equal(offsets.partitions.sort((a, b) => a.partition - b.partition).map((p) => Number(p.offset)), lastOffset);
});

test.run();
