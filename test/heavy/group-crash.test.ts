// A group member that dies without LeaveGroup (SIGKILL): the coordinator removes it when its
// session times out (6 s, the broker's minimum) and the survivor takes over its partitions.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'child_process';
import * as path from 'path';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type Broker } from '../../sdk/broker';

const TOPIC = 'crash-readings';
const GROUP = 'crash-group';

let broker: Broker;
let kafka: Kafka;
test.before(async () => {
  broker = await startBroker({ port: 0 });
  kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'crash-test', logLevel: logLevel.NOTHING });
});
test.after(async () => {
  await broker.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(what: string, cond: () => boolean, ms = 40_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const consumerOptions = { groupId: GROUP, sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 200 };

// The member that will be killed runs in its own process, so that nothing says goodbye.
const childScript = `
const { Kafka, logLevel } = require('kafkajs');
const kafka = new Kafka({ brokers: [process.env.BOOTSTRAP], clientId: 'doomed', logLevel: logLevel.NOTHING });
const c = kafka.consumer(${JSON.stringify(consumerOptions)});
c.on(c.events.GROUP_JOIN, (e) => console.log('ASSIGNED ' + JSON.stringify(e.payload.memberAssignment['${TOPIC}'] || [])));
(async () => {
  await c.connect();
  await c.subscribe({ topic: '${TOPIC}', fromBeginning: true });
  await c.run({ autoCommitInterval: 100, eachMessage: async ({ message }) => console.log('VALUE ' + message.value.toString()) });
})();
`;

test('a SIGKILLed member is dropped after its session timeout and the survivor consumes its partitions', async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 4 }] });
  const producer = kafka.producer();
  await producer.connect();
  const send = (from: number, n: number) =>
    producer.send({ topic: TOPIC, messages: Array.from({ length: n }, (_, i) => ({ key: `k${from + i}`, value: `v${from + i}` })) });
  await send(0, 200);

  const seen = new Set<string>();
  let survivorParts: number[] = [];
  const survivor = kafka.consumer(consumerOptions);
  survivor.on(survivor.events.GROUP_JOIN, (e) => (survivorParts = e.payload.memberAssignment[TOPIC] ?? []));
  await survivor.connect();
  await survivor.subscribe({ topic: TOPIC, fromBeginning: true });
  await survivor.run({ autoCommitInterval: 100, eachMessage: async ({ message }) => void seen.add(message.value!.toString()) });

  const child = spawn(process.execPath, ['-e', childScript], {
    cwd: path.resolve(__dirname, '../..'),
    env: { ...process.env, BOOTSTRAP: broker.bootstrap },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const exited = new Promise((r) => child.on('exit', r));
  let childParts: number[] = [];
  let buffered = '';
  child.stdout!.on('data', (d) => {
    buffered += d;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith('ASSIGNED ')) childParts = JSON.parse(line.slice(9));
      if (line.startsWith('VALUE ')) seen.add(line.slice(6));
    }
  });
  try {
    await waitFor('both members assigned', () => childParts.length > 0 && survivorParts.length > 0 && childParts.length + survivorParts.length === 4);
    await waitFor('the first 200 records', () => seen.size === 200);
    const orphaned = childParts;
    child.kill('SIGKILL');
    await exited;
    const killedAt = Date.now();
    await send(200, 200);
    await waitFor('the survivor owns every partition', () => survivorParts.length === 4);
    assert.ok(Date.now() - killedAt >= 4000, 'taken over only after the session timeout');
    assert.ok(orphaned.every((p) => survivorParts.includes(p)));
    await waitFor('all 400 records', () => seen.size === 400);
    const g = (await admin.describeGroups([GROUP])).groups[0];
    assert.is(g.members.length, 1);
    assert.is(g.members[0].clientId, 'crash-test');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await survivor.disconnect();
    await producer.disconnect();
    await admin.disconnect();
  }
});

test.run();
