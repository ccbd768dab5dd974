// Transactions on the embedded broker through kafkajs's public API: commit/abort visibility for
// read_committed and read_uncommitted consumers, the last stable offset, offsets committed in a
// transaction (sendOffsets), fencing by epoch, the transaction timeout.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { startBroker, type Broker } from '../../sdk/broker';

let broker: Broker;
let kafka: Kafka;
const producers: Producer[] = [];

test.before(async () => {
  broker = await startBroker({ port: 0, partitions: 2, transactions: { timeoutCheckMs: 100 } });
  kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'txn-test', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: ['t-out', 't-lso', 't-in', 't-fence', 't-timeout'].map((topic) => ({ topic, numPartitions: 2 })) });
  await admin.disconnect();
});
test.after(async () => {
  for (const p of producers) await p.disconnect().catch(() => {});
  await broker.stop();
});

async function txProducer(transactionalId: string, transactionTimeout = 60_000): Promise<Producer> {
  const p = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, transactionTimeout, retry: { retries: 2 } });
  await p.connect();
  producers.push(p);
  return p;
}

/** Every value a fresh consumer (read_committed unless told) sees in `topic`, waiting until `expect` values or 3 s of quiet. */
async function readValues(topic: string, opts: { readUncommitted?: boolean; expect?: number } = {}): Promise<string[]> {
  const c = kafka.consumer({ groupId: `reader-${Math.random()}`, readUncommitted: opts.readUncommitted ?? false, maxWaitTimeInMs: 100 });
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  const out: string[] = [];
  let last = Date.now();
  await c.run({ eachMessage: async ({ message }) => void (out.push(message.value!.toString()), (last = Date.now())) });
  const started = Date.now();
  while (Date.now() - last < 3000 && !(opts.expect !== undefined && out.length >= opts.expect && Date.now() - started > 500)) await sleep(100);
  await c.disconnect();
  return out.sort();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const msgs = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `${prefix}-${i}` }));

test('committed transactions are visible, aborted ones only to read_uncommitted', async () => {
  const p = await txProducer('tx-visibility');
  const t1 = await p.transaction();
  await t1.send({ topic: 't-out', messages: msgs('committed', 20) });
  await t1.commit();
  const t2 = await p.transaction();
  await t2.send({ topic: 't-out', messages: msgs('aborted', 15) });
  await t2.abort();
  const t3 = await p.transaction();
  await t3.send({ topic: 't-out', messages: msgs('second', 5) });
  await t3.commit();
  const committed = await readValues('t-out', { expect: 25 });
  assert.is(committed.length, 25);
  assert.ok(committed.every((v) => !v.startsWith('aborted')));
  const all = await readValues('t-out', { readUncommitted: true, expect: 40 });
  assert.is(all.length, 40);
  assert.is(all.filter((v) => v.startsWith('aborted')).length, 15);
});

test('an open transaction holds the last stable offset; read_committed waits for its end', async () => {
  const p = await txProducer('tx-lso');
  const plain = kafka.producer();
  await plain.connect();
  producers.push(plain);
  await plain.send({ topic: 't-lso', messages: [{ value: 'before', partition: 0 }] });
  const t = await p.transaction();
  await t.send({ topic: 't-lso', messages: [{ value: 'in-txn', partition: 0 }] });
  await plain.send({ topic: 't-lso', messages: [{ value: 'after', partition: 0 }] });
  assert.is(broker.transactions.lastStableOffset('t-lso', 0, 3), 1, 'LSO = first offset of the open transaction');
  const admin = kafka.admin();
  await admin.connect();
  const uncommitted = await admin.fetchTopicOffsets('t-lso');
  assert.is(uncommitted.find((x) => x.partition === 0)!.high, '1', 'kafkajs lists offsets read_committed: the LSO');
  const early = await readValues('t-lso', { expect: 1 });
  assert.equal(early, ['before'], 'read_committed stops at the LSO');
  await t.commit();
  assert.is(broker.transactions.lastStableOffset('t-lso', 0, 4), 4);
  const late = await readValues('t-lso', { expect: 3 });
  assert.equal(late, ['after', 'before', 'in-txn']);
  await admin.disconnect();
});

test('sendOffsets: group offsets committed with the transaction, dropped when it aborts', async () => {
  const p = await txProducer('tx-offsets');
  const admin = kafka.admin();
  await admin.connect();
  const offsetsOf = async () => (await admin.fetchOffsets({ groupId: 'eos-group', topics: ['t-in'] }))[0].partitions.sort((a, b) => a.partition - b.partition).map((x) => x.offset);
  const t1 = await p.transaction();
  await t1.send({ topic: 't-out', messages: [{ value: 'x' }] });
  await t1.sendOffsets({ consumerGroupId: 'eos-group', topics: [{ topic: 't-in', partitions: [{ partition: 0, offset: '42' }, { partition: 1, offset: '7' }] }] });
  assert.equal(await offsetsOf(), ['-1', '-1'], 'not visible before the commit');
  await t1.commit();
  assert.equal(await offsetsOf(), ['42', '7']);
  const t2 = await p.transaction();
  await t2.send({ topic: 't-out', messages: [{ value: 'y' }] });
  await t2.sendOffsets({ consumerGroupId: 'eos-group', topics: [{ topic: 't-in', partitions: [{ partition: 0, offset: '99' }] }] });
  await t2.abort();
  assert.equal(await offsetsOf(), ['42', '7'], 'an aborted transaction commits no offsets');
  await admin.disconnect();
});

test('a second producer with the same transactional id fences the first', async () => {
  const zombie = await txProducer('tx-fence');
  const tz = await zombie.transaction();
  await tz.send({ topic: 't-fence', messages: msgs('zombie', 3) });
  const fresh = await txProducer('tx-fence');
  const tf = await fresh.transaction(); // InitProducerId: epoch + 1, aborts the zombie's open transaction
  const desc = broker.transactions.describe('tx-fence')!;
  assert.is(desc.state, 'Empty');
  let err: Error | undefined;
  try {
    await tz.send({ topic: 't-fence', messages: msgs('zombie-late', 2) });
    await tz.commit();
  } catch (e) {
    err = e as Error;
  }
  assert.ok(err, 'the zombie cannot write or commit');
  assert.match(`${err!.name} ${err!.message} ${(err as { type?: string }).type ?? ''}`, /fenced|epoch|PRODUCER_FENCED|INVALID_PRODUCER_EPOCH/i);
  await tf.send({ topic: 't-fence', messages: msgs('fresh', 4) });
  await tf.commit();
  const seen = await readValues('t-fence', { expect: 4 });
  assert.equal(seen, msgs('fresh', 4).map((m) => m.value).sort());
});

test('a transaction open past its timeout is aborted and its producer fenced', async () => {
  const p = await txProducer('tx-timeout', 500);
  const t = await p.transaction();
  await t.send({ topic: 't-timeout', messages: msgs('late', 5) });
  await sleep(1200);
  assert.is(broker.transactions.describe('tx-timeout')!.state, 'CompleteAbort');
  let failed = false;
  await t.commit().catch(() => (failed = true));
  assert.ok(failed, 'commit after the timeout fails');
  assert.equal(await readValues('t-timeout'), []);
  assert.is((await readValues('t-timeout', { readUncommitted: true, expect: 5 })).length, 5);
});

test.run();
