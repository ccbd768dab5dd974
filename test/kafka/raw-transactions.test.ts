/**
 * Transactions on the record-batch fast path (sdk/kafka/raw-transactions.ts) against the
 * embedded broker over TCP, read back by clients nobody here wrote: kafkajs consumers
 * (read_committed and read_uncommitted) and kcat with isolation.level=read_committed. Committed
 * batches and their offsets (with metadata) appear together, aborted ones never do, a second
 * producer with the same transactional id fences the first and aborts what it left open, and a
 * resent batch (a produce retried after a lost answer) is stored once.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'child_process';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type Broker } from '../../sdk/broker';
import { openCluster, type ClusterClient } from '../../sdk/kafka/adapter';
import { produceToLeaders } from '../../sdk/kafka/raw-produce';
import { TransactionalBatches } from '../../sdk/kafka/raw-transactions';
import { RecordBatchWriter } from '../../sdk/protocol/batch-encoding';

let broker: Broker;
let kafka: Kafka;
let cluster: ClusterClient;

test.before(async () => {
  broker = await startBroker({ port: 0, partitions: 2 });
  kafka = new Kafka({ clientId: 'raw-txn-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: ['in', 'out', 'fenced', 'retried'].map((topic) => ({ topic, numPartitions: 2 })), waitForLeaders: true });
  await admin.disconnect();
  const c = await openCluster(kafka, { allowAutoTopicCreation: true });
  if (!c) throw new Error("kafkajs's internals are unusable: the fast path cannot be tested");
  cluster = c;
  await cluster.connect(['in', 'out', 'fenced', 'retried']);
});

test.after(async () => {
  await cluster?.disconnect();
  await broker?.stop();
});

/** One batch per partition of `values` (partition = index % 2). */
function writers(values: string[]): Map<number, RecordBatchWriter> {
  const out = new Map<number, RecordBatchWriter>();
  values.forEach((v, i) => {
    const p = i % 2;
    if (!out.has(p)) out.set(p, new RecordBatchWriter());
    out.get(p)!.append(Buffer.from(`k${i}`), v, 1_700_000_000_000 + i);
  });
  return out;
}

async function send(t: TransactionalBatches, topic: string, values: string[]): Promise<void> {
  const sealed = await t.seal(topic, writers(values));
  await produceToLeaders(cluster, -1, 30_000, new Map([[topic, sealed]]), t.transactionalId);
}

async function readValues(topic: string, readUncommitted: boolean, expected: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: `check-${topic}-${readUncommitted}-${Math.random()}`, readUncommitted, maxWaitTimeInMs: 100 });
  const got: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  await consumer.run({ eachMessage: async ({ message }) => void (got.push(message.value!.toString()), got.length >= expected && done()) });
  // Past the expected count nothing more may arrive: wait a little for an unexpected extra.
  const timer = setTimeout(done, 10_000);
  await finished;
  await new Promise((r) => setTimeout(r, 500));
  clearTimeout(timer);
  await consumer.disconnect();
  return got.sort();
}

function kcat(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => execFile('kcat', args, { timeout: 30_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout))));
}

test('committed batches and their input offsets appear together; aborted ones never do', async () => {
  const t = await TransactionalBatches.init(cluster, 'app.in.0', { transactionTimeoutMs: 30_000 });
  assert.ok(t.producer.producerId >= 0);
  await send(t, 'out', ['a1', 'a2', 'a3']);
  await t.commit('scorer', [{ topic: 'in', partition: 0, offset: 3, metadata: 'kafkalab.windows/1 from=1' }]);
  await send(t, 'out', ['b1', 'b2']);
  await t.abort();
  assert.is(t.open, false);
  await send(t, 'out', ['c1', 'c2', 'c3', 'c4']);
  await t.commit('scorer', [{ topic: 'in', partition: 0, offset: 7, metadata: 'kafkalab.windows/1 from=5' }]);

  assert.equal(await readValues('out', false, 7), ['a1', 'a2', 'a3', 'c1', 'c2', 'c3', 'c4']);
  assert.equal(await readValues('out', true, 9), ['a1', 'a2', 'a3', 'b1', 'b2', 'c1', 'c2', 'c3', 'c4'], 'aborted records are in the log');
  const admin = kafka.admin();
  await admin.connect();
  const [offsets] = await admin.fetchOffsets({ groupId: 'scorer', topics: ['in'] });
  await admin.disconnect();
  const p0 = offsets.partitions.find((p) => p.partition === 0)!;
  assert.equal([p0.offset, p0.metadata], ['7', 'kafkalab.windows/1 from=5']);

  // librdkafka, read_committed: the same committed records.
  let peer: string[] | undefined;
  try {
    peer = (await kcat(['-b', broker.bootstrap, '-C', '-t', 'out', '-e', '-q', '-X', 'isolation.level=read_committed', '-f', '%s\n'])).split('\n').filter(Boolean).sort();
  } catch (err) {
    console.log(`kcat not run: ${(err as Error).message}`);
  }
  if (peer) assert.equal(peer, ['a1', 'a2', 'a3', 'c1', 'c2', 'c3', 'c4']);
});

test('a second producer with the same transactional id fences the first and aborts what it left open', async () => {
  const zombie = await TransactionalBatches.init(cluster, 'app.in.1', { transactionTimeoutMs: 30_000 });
  await send(zombie, 'fenced', ['z1', 'z2']);
  const next = await TransactionalBatches.init(cluster, 'app.in.1', { transactionTimeoutMs: 30_000 });
  assert.is(next.producer.producerId, zombie.producer.producerId);
  assert.is(next.producer.epoch, zombie.producer.epoch + 1);
  // The zombie's late writes and its commit fail.
  let produceError: unknown;
  await send(zombie, 'fenced', ['z3']).catch((e) => (produceError = e));
  assert.ok(produceError, "the fenced producer's batch is refused");
  let commitError: unknown;
  await zombie.commit('scorer', [{ topic: 'in', partition: 1, offset: 99 }]).catch((e) => (commitError = e));
  assert.ok(commitError, "the fenced producer's commit is refused");
  await send(next, 'fenced', ['n1']);
  await next.commit('scorer', [{ topic: 'in', partition: 1, offset: 2 }]);
  assert.equal(await readValues('fenced', false, 1), ['n1']);
  const admin = kafka.admin();
  await admin.connect();
  const [offsets] = await admin.fetchOffsets({ groupId: 'scorer', topics: ['in'] });
  await admin.disconnect();
  assert.is(offsets.partitions.find((p) => p.partition === 1)!.offset, '2');
});

test('a batch sent twice (a retry after a lost answer) is stored once', async () => {
  const t = await TransactionalBatches.init(cluster, 'app.retried', { transactionTimeoutMs: 30_000 });
  const sealed = await t.seal('retried', writers(['r1', 'r2', 'r3', 'r4']));
  const copy = () => new Map([['retried', new Map(sealed)]]);
  await produceToLeaders(cluster, -1, 30_000, copy(), t.transactionalId);
  await produceToLeaders(cluster, -1, 30_000, copy(), t.transactionalId);
  await t.commit('scorer', []);
  assert.equal(await readValues('retried', false, 4), ['r1', 'r2', 'r3', 'r4']);
});

test.run();
