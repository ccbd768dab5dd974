// An exactly-once stream job on the 3-node test broker while the output topic's leaders move
// inside its transactions: the read_committed output holds every input exactly once. kafkajs's
// transactional producer alone can leave a send's records unsent when a leader moves mid-send
// and still commit the transaction (kafkajs#1303); the job's producer is a completeProducer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { startBroker, type Broker } from '../../sdk/broker';
import { connect, type KafkaConnection } from '../../sdk/kafka/connect';
import { recordsOf } from '../../sdk/frame/dataframe';

let broker: Broker;
let kafka: KafkaConnection;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test.before(async () => {
  broker = await startBroker({ port: 0, nodes: 3 });
  kafka = await connect({ brokers: broker.cluster!.bootstrap });
});
test.after(async () => {
  await kafka?.close();
  await broker?.stop();
});

test('leaders of the output move while transactions are open: every input once in the read_committed output', async () => {
  const cluster = broker.cluster!;
  const N = 6000;
  await kafka.createTopic('eosc-in', { partitions: 2 });
  await kafka.createTopic('eosc-out', { partitions: 6 });
  await kafka.topic('eosc-in').produce(Array.from({ length: N }, (_, seq) => ({ seq, k: `k${seq % 29}` })), { key: 'k' });
  const moves = fc.sample(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 2 })), { numRuns: 100, seed: 11 });
  const job = await kafka
    .topic('eosc-in')
    .stream({ group: 'eosc', from: 'earliest', batch: { size: 250, ms: 20 } })
    .map((r) => ({ seq: r.seq, k: r.k }))
    .to('eosc-out', { guarantee: 'exactly-once' });
  let moved = 0;
  let failure: unknown;
  job.done.catch((e) => (failure = e));
  try {
    for (const [p, node] of moves) {
      const c = await kafka.admin.fetchOffsets({ groupId: 'eosc', topics: ['eosc-in'] });
      if ((c[0]?.partitions ?? []).reduce((n, x) => n + Math.max(0, Number(x.offset)), 0) >= N) break;
      cluster.moveLeader('eosc-out', p, node);
      moved++;
      await sleep(200);
    }
  } finally {
    await job.stop();
  }
  assert.is(failure, undefined, `the job failed: ${String(failure)}`);
  assert.ok(moved >= 5, `leaders moved ${moved} times during the job`);
  const rows = recordsOf(await kafka.topic('eosc-out').read()).map((r) => r.seq as number);
  const c = await kafka.admin.fetchOffsets({ groupId: 'eosc', topics: ['eosc-in'] });
  const committed = (c[0]?.partitions ?? []).reduce((n, x) => n + Math.max(0, Number(x.offset)), 0);
  // What the group committed is in the output, each once (a stop may leave the rest uncommitted).
  const distinct = new Set(rows);
  assert.is(rows.length, distinct.size, 'no input twice');
  assert.is(distinct.size, committed, `outputs of the ${committed} committed inputs`);
});

test.run();
