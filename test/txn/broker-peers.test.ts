// Transactions on the embedded broker from clients nobody here wrote: confluent-kafka-python's
// transactional producer (init/begin/send_offsets_to_transaction/commit/abort) and its
// read_committed consumer, kcat with isolation.level=read_committed and read_uncommitted.
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type Broker } from '../../sdk/broker';
import { needing, missingCommand, missingPython } from '../helpers/skip';
import { runKcat, runPython, succeeded } from '../compat/helpers';

const test = needing(uvuTest, missingPython('confluent_kafka', 'apt-get install python3-confluent-kafka') ?? missingCommand('kcat', 'apt-get install kcat', ['-V']));

let broker: Broker;
let kafka: Kafka;
test.before(async () => {
  broker = await startBroker({ port: 0, partitions: 1 });
  kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'txn-peers', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'py-in', numPartitions: 2 }, { topic: 'py-out', numPartitions: 2 }] });
  await admin.disconnect();
  const p = kafka.producer();
  await p.connect();
  await p.send({ topic: 'py-in', messages: Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `in-${i}` })) });
  await p.disconnect();
});
test.after(async () => {
  await broker?.stop();
});

const PRODUCER = `
import sys
from confluent_kafka import Producer, Consumer, TopicPartition
b = sys.argv[1]
c = Consumer({'bootstrap.servers': b, 'group.id': 'py-eos', 'auto.offset.reset': 'earliest', 'enable.auto.commit': False, 'isolation.level': 'read_committed'})
c.subscribe(['py-in'])
got = []
while len(got) < 30:
    m = c.poll(10)
    if m is None: raise SystemExit('timed out reading py-in after %d' % len(got))
    if m.error(): raise SystemExit(str(m.error()))
    got.append(m)
p = Producer({'bootstrap.servers': b, 'transactional.id': 'py-tx', 'transaction.timeout.ms': 60000})
p.init_transactions(30)
p.begin_transaction()
for m in got: p.produce('py-out', key=m.key(), value=b'committed-' + m.value())
p.send_offsets_to_transaction(c.position(c.assignment()), c.consumer_group_metadata(), 30)
p.commit_transaction(30)
p.begin_transaction()
for i in range(12): p.produce('py-out', key=b'x%d' % i, value=b'aborted-%d' % i)
p.flush(30)
p.abort_transaction(30)
p.begin_transaction()
p.produce('py-out', key=b'last', value=b'committed-last')
p.commit_transaction(30)
c.close()
print('ok')
`;

const READER = (isolation: string) => `
import sys
from confluent_kafka import Consumer
c = Consumer({'bootstrap.servers': sys.argv[1], 'group.id': 'py-reader-${isolation}', 'auto.offset.reset': 'earliest', 'isolation.level': '${isolation}', 'enable.partition.eof': True})
c.subscribe(['py-out'])
eof = set(); out = []
while len(eof) < 2:
    m = c.poll(10)
    if m is None: raise SystemExit('timed out')
    if m.error():
        if m.error().code() == -191: eof.add(m.partition()); continue
        raise SystemExit(str(m.error()))
    out.append(m.value().decode())
c.close()
print('\\n'.join(sorted(out)))
`;

test('confluent-kafka-python: transactional producer with offsets; read_committed consumers and kcat see only committed records', async () => {
  assert.is(succeeded(await runPython(broker.bootstrap, PRODUCER, 90_000), 'python transactional producer').trim(), 'ok');
  const admin = kafka.admin();
  await admin.connect();
  const offsets = (await admin.fetchOffsets({ groupId: 'py-eos', topics: ['py-in'] }))[0].partitions;
  assert.is(offsets.reduce((n, x) => n + Number(x.offset), 0), 30, 'the input offsets were committed in the transaction');
  await admin.disconnect();

  const committed = Array.from({ length: 30 }, (_, i) => `committed-in-${i}`).concat('committed-last').sort();
  const pyCommitted = succeeded(await runPython(broker.bootstrap, READER('read_committed'), 60_000), 'python read_committed').trim().split('\n');
  assert.equal(pyCommitted, committed);
  const pyAll = succeeded(await runPython(broker.bootstrap, READER('read_uncommitted'), 60_000), 'python read_uncommitted').trim().split('\n');
  assert.is(pyAll.length, 43);
  assert.is(pyAll.filter((v) => v.startsWith('aborted-')).length, 12);

  const kcat = async (isolation: string) =>
    succeeded(await runKcat(broker.bootstrap, ['-C', '-t', 'py-out', '-o', 'beginning', '-e', '-q', '-f', '%s\\n', '-X', `isolation.level=${isolation}`]), `kcat ${isolation}`)
      .trim()
      .split('\n')
      .sort();
  assert.equal(await kcat('read_committed'), committed);
  const kAll = await kcat('read_uncommitted');
  assert.is(kAll.length, 43);
});

test('kcat read_committed stops at an open transaction and sees it once committed', async () => {
  const p = kafka.producer({ transactionalId: 'kcat-open', idempotent: true, maxInFlightRequests: 1 });
  await p.connect();
  const plain = kafka.producer();
  await plain.connect();
  await plain.send({ topic: 'kc', messages: [{ value: 'before' }] });
  const t = await p.transaction();
  await t.send({ topic: 'kc', messages: [{ value: 'open-1' }, { value: 'open-2' }] });
  await plain.send({ topic: 'kc', messages: [{ value: 'after' }] });
  const read = async () =>
    succeeded(await runKcat(broker.bootstrap, ['-C', '-t', 'kc', '-o', 'beginning', '-e', '-q', '-f', '%s\\n', '-X', 'isolation.level=read_committed']), 'kcat')
      .trim()
      .split('\n');
  assert.equal(await read(), ['before']);
  await t.commit();
  assert.equal(await read(), ['before', 'open-1', 'open-2', 'after']);
  await p.disconnect();
  await plain.disconnect();
});

test.run();
