// confluent-kafka (librdkafka 2.0.2 through Python) consumer groups against the embedded broker:
// the incremental cooperative-sticky assignor (several rebalance rounds per membership change)
// and static membership (group.instance.id) across a restart.
import { test as uvuTest } from 'uvu';
import { missingPython, needing } from '../helpers/skip';
import * as assert from 'uvu/assert';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type Broker } from '../../sdk/broker';
import { runPython } from './helpers';

const test = needing(uvuTest, missingPython('confluent_kafka', 'apt-get install -y python3-confluent-kafka'));

const TOPIC = 'ck-readings';

let broker: Broker;
let kafka: Kafka;
test.before(async () => {
  broker = await startBroker({ port: 0 });
  kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'ck-group-test', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 4 }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: TOPIC, messages: Array.from({ length: 400 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
  await producer.disconnect();
});
test.after(async () => {
  await broker.stop();
});

const python = (script: string, timeoutMs = 90_000) => runPython(`127.0.0.1:${broker.port}`, script, timeoutMs);

test('two cooperative-sticky members (incremental rebalancing) split the topic and read everything once', async () => {
  const r = await python(`
import os, json, threading, time
from confluent_kafka import Consumer
lock = threading.Lock()
total = [0]
results = {}
barrier = threading.Barrier(2)
def member(name):
    c = Consumer({'bootstrap.servers': os.environ['BOOTSTRAP'], 'group.id': 'ck-coop', 'client.id': name,
                  'partition.assignment.strategy': 'cooperative-sticky', 'auto.offset.reset': 'earliest',
                  'enable.auto.commit': False, 'session.timeout.ms': 10000, 'heartbeat.interval.ms': 300})
    c.subscribe(['${TOPIC}'])
    values, parts = [], set()
    deadline = time.time() + 60
    while time.time() < deadline:
        with lock:
            if total[0] >= 400:
                break
        m = c.poll(0.2)
        if m is None or m.error():
            continue
        values.append(m.value().decode())
        parts.add(m.partition())
        with lock:
            total[0] += 1
    c.commit(asynchronous=False)
    results[name] = {'assigned': sorted(tp.partition for tp in c.assignment()), 'parts': sorted(parts), 'values': values}
    barrier.wait()
    c.close()
threads = [threading.Thread(target=member, args=(n,)) for n in ('ck-a', 'ck-b')]
for t in threads: t.start()
for t in threads: t.join()
print('RESULT', json.dumps(results))
`);
  assert.is(r.code, 0, r.stderr);
  const results = JSON.parse(/^RESULT (.*)$/m.exec(r.stdout)![1]) as Record<string, { assigned: number[]; parts: number[]; values: string[] }>;
  const [a, b] = [results['ck-a'], results['ck-b']];
  assert.ok(a.assigned.length > 0 && b.assigned.length > 0, `both members own partitions: ${a.assigned} / ${b.assigned}`);
  assert.equal([...a.assigned, ...b.assigned].sort(), [0, 1, 2, 3]);
  const read = [...a.values, ...b.values];
  assert.equal([...new Set(read)].sort(), Array.from({ length: 400 }, (_, i) => `v${i}`).sort(), 'nothing lost');

  const admin = kafka.admin();
  await admin.connect();
  const g = (await admin.describeGroups(['ck-coop'])).groups[0];
  assert.is(g.state, 'Empty');
  const committed = await admin.fetchOffsets({ groupId: 'ck-coop', topics: [TOPIC] });
  assert.is(committed[0].partitions.reduce((s, p) => s + Number(p.offset), 0), 400, 'commits add up to every record');
  await admin.disconnect();
});

test('static membership: a restarted instance with the same group.instance.id takes its place', async () => {
  const script = `
import os, json, time
from confluent_kafka import Consumer
c = Consumer({'bootstrap.servers': os.environ['BOOTSTRAP'], 'group.id': 'ck-static', 'group.instance.id': 'pod-0',
              'auto.offset.reset': 'earliest', 'enable.auto.commit': False, 'session.timeout.ms': 10000})
c.subscribe(['${TOPIC}'])
n = 0
deadline = time.time() + 30
while time.time() < deadline and n < 50:
    m = c.poll(0.2)
    if m is not None and not m.error():
        n += 1
        c.commit(message=m, asynchronous=False)
print('READ', n, 'ASSIGNED', json.dumps(sorted(tp.partition for tp in c.assignment())))
c.close()
`;
  const first = await python(script);
  assert.is(first.code, 0, first.stderr);
  assert.match(first.stdout, /READ 50 ASSIGNED \[0, 1, 2, 3\]/);
  const admin = kafka.admin();
  await admin.connect();
  // A static member does not leave on close: it stays until its session times out or it returns.
  const during = (await admin.describeGroups(['ck-static'])).groups[0];
  assert.is(during.members.length, 1);
  const second = await python(script);
  assert.is(second.code, 0, second.stderr);
  assert.match(second.stdout, /READ 50 ASSIGNED \[0, 1, 2, 3\]/);
  const after = (await admin.describeGroups(['ck-static'])).groups[0];
  assert.is(after.members.length, 1, 'the restarted instance replaced the old member instead of adding one');
  const committed = await admin.fetchOffsets({ groupId: 'ck-static', topics: [TOPIC] });
  assert.is(committed[0].partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0), 100, `the second run resumed after the first: ${JSON.stringify(committed[0].partitions)}`);
  await admin.disconnect();
});

test.run();
