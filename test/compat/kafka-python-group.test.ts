// kafka-python 2.0.2 consumer groups against the embedded broker: JoinGroup without the
// member-id round trip (it speaks v0-2), two members splitting a topic, commits, and the
// standalone (assign + commit) path with generation -1.
import { test as uvuTest } from 'uvu';
import { missingPython, needing } from '../helpers/skip';
import * as assert from 'uvu/assert';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type Broker } from '../../sdk/broker';
import { runPython } from './helpers';

const test = needing(uvuTest, missingPython('kafka', 'apt-get install -y python3-kafka'));

const TOPIC = 'pyg';
const PARTITIONS = 4;

let broker: Broker;
let kafka: Kafka;
test.before(async () => {
  broker = await startBroker({ port: 0 });
  kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'py-group-test', logLevel: logLevel.NOTHING });
});
test.after(async () => {
  await broker.stop();
});

const python = (script: string, timeoutMs = 60_000) => runPython(`127.0.0.1:${broker.port}`, script, timeoutMs);

// Two members in two threads of one process: both join inside the initial rebalance delay, and
// neither leaves before both have read everything and committed, so the split is observable.
const twoMembers = `
import os, json, threading, time
from kafka import KafkaConsumer
lock = threading.Lock()
total = [0]
results = {}
barrier = threading.Barrier(2)
def member(name):
    c = KafkaConsumer('${TOPIC}', bootstrap_servers=os.environ['BOOTSTRAP'], group_id='py-group', client_id=name,
                      auto_offset_reset='earliest', enable_auto_commit=False, session_timeout_ms=10000, heartbeat_interval_ms=300)
    values, parts = [], set()
    deadline = time.time() + 40
    while time.time() < deadline:
        with lock:
            if total[0] >= 400:
                break
        for tp, msgs in c.poll(timeout_ms=200).items():
            values += [m.value.decode() for m in msgs]
            parts.add(tp.partition)
            with lock:
                total[0] += len(msgs)
    c.commit()
    results[name] = {'assigned': sorted(tp.partition for tp in c.assignment()), 'parts': sorted(parts), 'values': values}
    barrier.wait()
    c.close()
threads = [threading.Thread(target=member, args=(n,)) for n in ('py-a', 'py-b')]
for t in threads: t.start()
for t in threads: t.join()
print('RESULT', json.dumps(results))
`;

test('two kafka-python members split the partitions, read everything once and commit the end offsets', async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: TOPIC, messages: Array.from({ length: 400 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
  await producer.disconnect();

  const r = await python(twoMembers);
  assert.is(r.code, 0, r.stderr);
  const results = JSON.parse(/^RESULT (.*)$/m.exec(r.stdout)![1]) as Record<string, { assigned: number[]; parts: number[]; values: string[] }>;
  const [a, b] = [results['py-a'], results['py-b']];
  assert.ok(a.assigned.length > 0 && b.assigned.length > 0, `both members got partitions: ${a.assigned} / ${b.assigned}`);
  assert.equal([...a.assigned, ...b.assigned].sort(), [0, 1, 2, 3], 'the assignments split the topic');
  for (const p of a.parts) assert.not.ok(b.parts.includes(p), `partition ${p} read by both`);
  const read = [...a.values, ...b.values];
  assert.is(read.length, 400, 'every record read exactly once');
  assert.equal([...new Set(read)].sort(), Array.from({ length: 400 }, (_, i) => `v${i}`).sort());

  const ends = await admin.fetchTopicOffsets(TOPIC);
  const committed = await admin.fetchOffsets({ groupId: 'py-group', topics: [TOPIC] });
  const byPartition = new Map(committed[0].partitions.map((p) => [p.partition, p.offset]));
  for (const e of ends) assert.is(byPartition.get(e.partition), e.offset, `partition ${e.partition}`);
  const g = (await admin.describeGroups(['py-group'])).groups[0];
  assert.is(g.state, 'Empty');
  await admin.disconnect();
});

test('kafka-python assign() + commit (no group membership) stores and reads back offsets', async () => {
  const r = await python(`
import os
from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata
c = KafkaConsumer(bootstrap_servers=os.environ['BOOTSTRAP'], group_id='py-solo', enable_auto_commit=False)
tp = TopicPartition('${TOPIC}', 2)
c.assign([tp])
print('BEFORE', c.committed(tp))
c.commit({tp: OffsetAndMetadata(7, 'checkpoint')})
print('AFTER', c.committed(tp))
c.close()
`);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /BEFORE None/);
  assert.match(r.stdout, /AFTER 7/);
  const admin = kafka.admin();
  await admin.connect();
  const committed = await admin.fetchOffsets({ groupId: 'py-solo', topics: [TOPIC] });
  const p2 = committed[0].partitions.find((p) => p.partition === 2)!;
  assert.is(p2.offset, '7');
  assert.is(p2.metadata, 'checkpoint');
  await admin.disconnect();
});

test.run();
