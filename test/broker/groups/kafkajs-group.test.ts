import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AssignerProtocol, Kafka, logLevel, type Consumer } from 'kafkajs';
import { startBroker, type Broker } from '../../../sdk/broker';
import { sleep } from './helpers';

const TOPIC = 'readings';
const GROUP = 'scorers';
const PARTITIONS = 6;

let dataDir: string;
let broker: Broker;
let kafka: Kafka;

test.before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-group-test-'));
  broker = await startBroker({ port: 0, dataDir });
  kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'group-test', logLevel: logLevel.NOTHING });
});
test.after(async () => {
  await broker.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function waitFor(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function produce(from: number, count: number): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  const messages = Array.from({ length: count }, (_, i) => ({ key: `k${from + i}`, value: String(from + i), partition: (from + i) % PARTITIONS }));
  await producer.send({ topic: TOPIC, messages });
  await producer.disconnect();
}

interface Member {
  name: string;
  consumer: Consumer;
  partitions: number[];
}

const seen = new Map<string, number>(); // value -> times consumed

async function startMember(name: string): Promise<Member> {
  const consumer = kafka.consumer({ groupId: GROUP, sessionTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 200, rebalanceTimeout: 10_000 });
  const m: Member = { name, consumer, partitions: [] };
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    m.partitions = (e.payload.memberAssignment[TOPIC] ?? []).slice().sort((a, b) => a - b);
    });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const v = message.value!.toString();
      seen.set(v, (seen.get(v) ?? 0) + 1);
    },
  });
  return m;
}

test('3 kafkajs members share 6 partitions; one leaves, the others take its partitions; nothing is lost', async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
  await produce(0, 600);

  const members = await Promise.all(['a', 'b', 'c'].map(startMember));
  await waitFor('every member assigned', () => members.every((m) => m.partitions.length > 0));
  await waitFor('all 600 consumed', () => seen.size === 600);
  await waitFor('a stable 2-2-2 split', () => {
    const all = members.flatMap((m) => m.partitions).sort((a, b) => a - b);
    return all.join() === '0,1,2,3,4,5' && members.every((m) => m.partitions.length === 2);
  });

  // kafkajs's RoundRobinAssigner protocol was the one chosen (DescribeGroups through the admin client).
  const g = (await admin.describeGroups([GROUP])).groups[0];
  assert.is(g.state, 'Stable');
  assert.is(g.protocolType, 'consumer');
  assert.is(g.protocol, 'RoundRobinAssigner');
  assert.is(g.members.length, 3);
  assert.ok(g.members.every((m) => m.clientId === 'group-test' && m.clientHost === '/127.0.0.1'));
  const subscription = AssignerProtocol.MemberMetadata.decode(g.members[0].memberMetadata);
  assert.equal(subscription?.topics, [TOPIC]);
  const assigned = g.members.flatMap((m) => AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment[TOPIC] ?? []);
  assert.equal(assigned.sort(), [0, 1, 2, 3, 4, 5]);
  assert.equal((await admin.listGroups()).groups, [{ groupId: GROUP, protocolType: 'consumer' }]);
  await admin.deleteGroups([GROUP]).then(
    () => assert.unreachable('a group with members cannot be deleted'),
    (err) => assert.equal(err.groups?.map((g: { errorCode: number }) => g.errorCode), [68], String(err)),
  );

  const leaving = members[2];
  const taken = leaving.partitions;
  await leaving.consumer.disconnect();
  const rest = members.slice(0, 2);
  await waitFor('the two survivors own all 6 partitions', () => {
    const all = rest.flatMap((m) => m.partitions).sort((a, b) => a - b);
    return all.join() === '0,1,2,3,4,5';
  });
  assert.ok(taken.every((p) => rest.some((m) => m.partitions.includes(p))), 'the leaver\'s partitions moved');

  await produce(600, 600);
  await waitFor('all 1200 consumed', () => seen.size === 1200);
  for (let i = 0; i < 1200; i++) assert.ok(seen.has(String(i)), `record ${i} lost`);

  // Committed offsets reach the end of every partition once the members stop.
  await Promise.all(rest.map((m) => m.consumer.disconnect()));
  const offsets = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
  assert.equal(offsets[0].partitions.map((p) => Number(p.offset)).sort(), Array(PARTITIONS).fill(200));
  await admin.disconnect();
});

test('committed offsets survive a broker restart on the same data dir', async () => {
  const port = broker.port;
  await broker.stop();
  broker = await startBroker({ port, dataDir });
  kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'group-test-2', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
  assert.equal(offsets[0].partitions.map((p) => Number(p.offset)).sort(), Array(PARTITIONS).fill(200));
  await admin.disconnect();

  // A member of the same group resumes after the committed offsets: only new records arrive.
  seen.clear();
  const m = await startMember('d');
  await produce(1200, 12);
  await waitFor('the 12 new records', () => seen.size >= 12);
  await sleep(300);
  assert.equal([...seen.keys()].map(Number).sort((a, b) => a - b), Array.from({ length: 12 }, (_, i) => 1200 + i));
  // Operators move a group's offsets only while it has no running member. (kafkajs's setOffsets
  // joins the group itself and then waits one idle fetch, ~5 s; resetOffsets is the same path.)
  const admin1 = kafka.admin();
  await admin1.connect();
  await admin1.setOffsets({ groupId: GROUP, topic: TOPIC, partitions: [{ partition: 0, offset: '5' }] }).then(
    () => assert.unreachable('setOffsets must refuse a running group'),
    (err: Error) => assert.match(err.message, /no running instances.*Stable/),
  );
  await m.consumer.disconnect();
  await admin1.setOffsets({ groupId: GROUP, topic: TOPIC, partitions: [{ partition: 0, offset: '5' }] });
  const moved = await admin1.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
  assert.is(moved[0].partitions.find((p) => p.partition === 0)!.offset, '5');
  await admin1.disconnect();

  // DeleteGroups: an empty group goes, with its committed offsets.
  const admin2 = kafka.admin();
  await admin2.connect();
  await admin2.deleteGroups([GROUP]);
  assert.equal((await admin2.listGroups()).groups, []);
  const after = await admin2.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
  assert.ok(after[0].partitions.every((p) => p.offset === '-1'));
  await admin2.disconnect();
});

test.run();
