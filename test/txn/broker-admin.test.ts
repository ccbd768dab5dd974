// Transaction administration on the embedded broker, asked by a client nobody here wrote
// (@platformatic/kafka's DescribeTransactions v0 and ListTransactions v0-1 requests) about
// transactions kafkajs's transactional producer opened and committed: states, producer ids and
// epochs, registered partitions, the filters; and transactional id expiry
// (transactional.id.expiration.ms, short here), which survives a broker restart and gives the
// id a new producer id when it is used again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Connection, describeTransactionsV0, listTransactionsV0, listTransactionsV1 } from '@platformatic/kafka';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { startBroker, type Broker } from '../../sdk/broker';

const NOT_FOUND = 105;
let broker: Broker;
let kafka: Kafka;
const producers: Producer[] = [];
const connections: Connection[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test.before(async () => {
  broker = await startBroker({ port: 0, partitions: 2 });
  kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'txn-admin-test', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'adm', numPartitions: 2 }] });
  await admin.disconnect();
});
test.after(async () => {
  for (const p of producers) await p.disconnect().catch(() => {});
  for (const c of connections) await c.close().catch(() => {});
  await broker.stop();
});

async function txProducer(k: Kafka, transactionalId: string): Promise<Producer> {
  const p = k.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 60_000, retry: { retries: 2 } });
  await p.connect();
  producers.push(p);
  return p;
}

type Described = Awaited<ReturnType<typeof describeTransactionsV0.api.async>>;

/** DescribeTransactions; platformatic throws when an id has an error code, with the whole response attached. */
async function describe(c: Connection, ids: string[]): Promise<Described['transactionStates']> {
  try {
    return (await describeTransactionsV0.api.async(c, ids)).transactionStates;
  } catch (err) {
    const response = (err as { response?: Described }).response;
    if (!response) throw err;
    return response.transactionStates;
  }
}

async function connection(b: Broker): Promise<Connection> {
  const c = new Connection('platformatic-admin');
  connections.push(c);
  await c.connect('127.0.0.1', b.port);
  return c;
}

test('DescribeTransactions and ListTransactions: an open and a committed transaction, an unknown id, the filters', async () => {
  const open = await txProducer(kafka, 'tx-open');
  const t1 = await open.transaction();
  await t1.send({ topic: 'adm', messages: [{ key: 'a', value: '1', partition: 0 }, { key: 'b', value: '2', partition: 1 }] });
  const done = await txProducer(kafka, 'tx-done');
  const t2 = await done.transaction();
  await t2.send({ topic: 'adm', messages: [{ key: 'c', value: '3', partition: 0 }] });
  await t2.commit();

  const c = await connection(broker);
  const described = await describe(c, ['tx-open', 'tx-done', 'tx-never']);
  const byId = new Map(described.map((s) => [s.transactionalId, s]));
  const o = byId.get('tx-open')!;
  assert.equal([o.errorCode, o.transactionState, o.transactionTimeoutMs, o.producerEpoch], [0, 'Ongoing', 60_000, 0]);
  assert.ok(o.transactionStartTimeMs > 0n, 'an open transaction has a start time');
  assert.equal(o.topics.map((t) => [t.topic, [...t.partitions].sort()]), [['adm', [0, 1]]]);
  const d = byId.get('tx-done')!;
  assert.equal([d.errorCode, d.transactionState, d.transactionStartTimeMs, d.topics.length], [0, 'CompleteCommit', -1n, 0]);
  assert.is.not(d.producerId, o.producerId);
  assert.is(byId.get('tx-never')!.errorCode, NOT_FOUND);

  const list = async (states: string[], producerIds: bigint[] = [], duration = -1n) =>
    (await listTransactionsV1.api.async(c, states as never, producerIds, duration, null));
  const ids = (r: { transactionStates: { transactionalId: string }[] }) => r.transactionStates.map((s) => s.transactionalId).sort();
  assert.equal(ids(await list([])), ['tx-done', 'tx-open']);
  assert.equal(ids(await list(['ONGOING'])), ['tx-open'], "platformatic's capitalised state names");
  const mixed = await list(['CompleteCommit', 'Bogus']);
  assert.equal([ids(mixed), mixed.unknownStateFilters], [['tx-done'], ['Bogus']]);
  assert.equal(ids(await list(['Bogus'])), [], 'only unknown states: nothing matches');
  assert.equal(ids(await list([], [d.producerId])), ['tx-done']);
  assert.equal(ids(await list([], [], 3_600_000n)), [], 'nothing open for an hour');
  assert.equal(ids(await list([], [], 0n)), ['tx-open'], 'open transactions only');
  assert.equal(ids(await listTransactionsV0.api.async(c, [], [], -1n, null)), ['tx-done', 'tx-open']);

  await t1.abort();
  const after = await describe(c, ['tx-open']);
  assert.is(after[0].transactionState, 'CompleteAbort');
});

test('an idle transactional id expires (also across a restart); used again it gets a new producer id', async () => {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kafkalab-txn-expiry-'));
  const settings = { idExpirationMs: 400, timeoutCheckMs: 50 };
  let b = await startBroker({ port: 0, partitions: 1, dataDir, transactions: settings });
  try {
    const k = new Kafka({ brokers: [b.bootstrap], clientId: 'txn-expiry', logLevel: logLevel.NOTHING });
    const admin = k.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'exp', numPartitions: 1 }] });
    await admin.disconnect();
    // An id with an open transaction is in use: it does not expire (its transaction timeout aborts it instead).
    const busy = await txProducer(k, 'tx-busy');
    const open = await busy.transaction();
    await open.send({ topic: 'exp', messages: [{ value: 'open' }] });
    const p = await txProducer(k, 'tx-idle');
    const t = await p.transaction();
    await t.send({ topic: 'exp', messages: [{ value: 'x' }] });
    await t.commit();
    await p.disconnect();
    const c = await connection(b);
    const before = (await describe(c, ['tx-idle']))[0];
    assert.is(before.errorCode, 0);
    const deadline = Date.now() + 15_000;
    let state = before;
    while (state.errorCode === 0 && Date.now() < deadline) {
      await sleep(100);
      state = (await describe(c, ['tx-idle']))[0];
    }
    assert.is(state.errorCode, NOT_FOUND, 'the idle id expired');
    const stillOpen = (await describe(c, ['tx-busy']))[0];
    assert.equal([stillOpen.errorCode, stillOpen.transactionState], [0, 'Ongoing'], 'the id in use did not');
    await open.abort();
    await c.close();

    // The expiry is in the transaction log: a restart does not bring the id back.
    await b.stop();
    b = await startBroker({ port: 0, partitions: 1, dataDir, transactions: { ...settings, idExpirationMs: 3_600_000 } });
    const c2 = await connection(b);
    assert.is((await describe(c2, ['tx-idle']))[0].errorCode, NOT_FOUND, 'still expired after a restart');
    const k2 = new Kafka({ brokers: [b.bootstrap], clientId: 'txn-expiry-2', logLevel: logLevel.NOTHING });
    const again = await txProducer(k2, 'tx-idle');
    const t2 = await again.transaction();
    await t2.send({ topic: 'exp', messages: [{ value: 'y' }] });
    await t2.commit();
    const now = (await describe(c2, ['tx-idle']))[0];
    assert.equal([now.errorCode, now.transactionState, now.producerEpoch], [0, 'CompleteCommit', 0]);
    assert.is.not(now.producerId, before.producerId, 'a new producer id');
    await again.disconnect();
  } finally {
    await b.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
});

test.run();
