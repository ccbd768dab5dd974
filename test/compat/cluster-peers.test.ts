// librdkafka 2.0.2 (confluent-kafka-python) against the test-only 3-node broker
// (sdk/broker/cluster.ts): it follows per-partition leaders, leader epochs (librdkafka
// validates positions with OffsetForLeaderEpoch after a move) and NOT_LEADER_OR_FOLLOWER. The
// test moves every partition's leader, and stops a node with failover, between the client's
// rounds; every acknowledged record must be consumed by the group, with no delivery error.
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import { missingPython, needing } from '../helpers/skip';
import { startBroker, type Broker } from '../../sdk/broker';

const test = needing(uvuTest, missingPython('confluent_kafka', 'apt-get install -y python3-confluent-kafka'));

let broker: Broker;
test.before(async () => {
  broker = await startBroker({ port: 0, nodes: 3, partitions: 6, groups: { initialRebalanceDelayMs: 0 } });
});
test.after(async () => {
  await broker.stop();
});

// The script produces a round, then waits for the test to change leadership (a line on stdin), five times.
const SCRIPT = `
import sys, time
from confluent_kafka import Producer, Consumer
bs = sys.argv[1]
p = Producer({'bootstrap.servers': bs, 'enable.idempotence': True, 'linger.ms': 5, 'topic.metadata.refresh.interval.ms': 500})
c = Consumer({'bootstrap.servers': bs, 'group.id': 'rd-cluster', 'auto.offset.reset': 'earliest', 'enable.auto.commit': False, 'topic.metadata.refresh.interval.ms': 500})
c.subscribe(['rd-moves'])
acked, seen, errors = [], {}, []
def report(err, msg):
    if err is None: acked.append(msg.value().decode())
    else: errors.append(str(err))
for rnd in range(5):
    for i in range(200):
        p.produce('rd-moves', key=b'k%d' % (i % 31), value=b'r%d-%d' % (rnd, i), on_delivery=report)
    left = p.flush(60)
    deadline = time.time() + 60
    while len(seen) < len(acked) and time.time() < deadline:
        m = c.poll(0.2)
        if m is None or m.error(): continue
        seen[m.value().decode()] = (m.partition(), m.offset())
    c.commit(asynchronous=False)
    print('ROUND', rnd, 'left', left, 'acked', len(acked), 'seen', len(seen), flush=True)
    sys.stdin.readline()
print('ACKED', len(acked)); print('SEEN', len(set(acked) & set(seen))); print('ERRORS', len(errors), errors[:3])
c.close()
`;

test('confluent-kafka (librdkafka): idempotent producer and group across leader moves and a failover outage', async () => {
  const cluster = broker.cluster!;
  const { spawn } = await import('child_process');
  const child = spawn('/usr/bin/python3', ['-c', SCRIPT, cluster.bootstrap], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const rounds: string[] = [];
  const done = new Promise<number | null>((resolve) => child.on('close', resolve));
  const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
  child.stdout.on('data', async (d) => {
    stdout += d;
    for (const line of String(d).split('\n').filter((l) => l.startsWith('ROUND'))) {
      rounds.push(line);
      const r = rounds.length;
      // Between rounds: move every partition on, stop node 2 with failover, bring it back.
      if (r === 1 || r === 3) for (let p = 0; p < 6; p++) cluster.moveLeader('rd-moves', p, (cluster.leaderOf('rd-moves', p) + 1) % 3);
      if (r === 2) await cluster.stopNode(2, { failover: true });
      if (r === 4) await cluster.startNode(2, { takeBack: true });
      child.stdin.write('\n');
    }
  });
  const code = await done;
  clearTimeout(timer);
  assert.is(code, 0, stderr.slice(-2000) + stdout);
  assert.is(rounds.length, 5, stdout);
  assert.match(stdout, /ACKED 1000\n/, stdout);
  assert.match(stdout, /SEEN 1000\n/, stdout);
  assert.match(stdout, /ERRORS 0 /, stdout);
});

test.run();
