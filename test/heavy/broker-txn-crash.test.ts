/**
 * The broker killed -9 mid-transaction, five times over: in each round three transactional
 * producers write random amounts to a 3-partition topic; at the kill some transactions are
 * committed, one is open (records written, not ended) and, in some rounds, one is open with
 * offsets sent. After each restart: every committed record is read `read_committed`, no record of
 * an open transaction ever is, offsets committed with transactions are there and those of open
 * ones are not, the open producers are fenced, and new transactions work.
 * TXN_CRASH_SEED changes the run.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { mulberry32 } from '../../sdk/util/prng';
import { readValues, startChildBroker, type ChildBroker } from '../txn/child-broker';



test('broker kill -9 mid-transaction, 5 rounds: committed survive, open ones abort and are fenced', async () => {
  const seed = Number(process.env.TXN_CRASH_SEED ?? Date.now() % 100_000);
  const random = mulberry32(seed);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-txn-chaos-'));
  let b: ChildBroker = await startChildBroker(dir, { partitions: 3 });
  const port = b.port;
  const kafka = new Kafka({ brokers: [`localhost:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 4, initialRetryTime: 200 } });
  const committed = new Set<string>();
  const aborted = new Set<string>();
  let offsetsCommitted = 0;
  console.log(`broker txn crash: 5 rounds, seed ${seed}`);
  try {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'tx-out', numPartitions: 3 }, { topic: 'tx-in', numPartitions: 1 }] });
    await admin.disconnect();
    for (let round = 0; round < 5; round++) {
      const producers: Producer[] = [];
      const make = async (id: string) => {
        const p = kafka.producer({ transactionalId: id, idempotent: true, maxInFlightRequests: 1 });
        await p.connect();
        producers.push(p);
        return p;
      };
      // Committed transactions, a random number each.
      const done = await make(`done-${round}`);
      const txns = 1 + Math.floor(random() * 3);
      for (let t = 0; t < txns; t++) {
        const tx = await done.transaction();
        const n = 1 + Math.floor(random() * 200);
        const values = Array.from({ length: n }, (_, i) => `r${round}-c${t}-${i}`);
        await tx.send({ topic: 'tx-out', messages: values.map((value) => ({ key: value, value })) });
        offsetsCommitted += n;
        await tx.sendOffsets({ consumerGroupId: 'chaos', topics: [{ topic: 'tx-in', partitions: [{ partition: 0, offset: String(offsetsCommitted) }] }] });
        await tx.commit();
        for (const v of values) committed.add(v);
      }
      // Open when the broker dies: records written, not ended (with offsets sent in some rounds).
      const open = await make(`open-${round}`);
      const ot = await open.transaction();
      const n = 1 + Math.floor(random() * 300);
      const values = Array.from({ length: n }, (_, i) => `r${round}-open-${i}`);
      await ot.send({ topic: 'tx-out', messages: values.map((value) => ({ key: value, value })) });
      for (const v of values) aborted.add(v);
      const withOffsets = random() < 0.5;
      if (withOffsets) await ot.sendOffsets({ consumerGroupId: 'chaos', topics: [{ topic: 'tx-in', partitions: [{ partition: 0, offset: String(offsetsCommitted + 10_000) }] }] });

      await b.kill9();
      b = await startChildBroker(dir, { port, partitions: 3 });

      let fenced = false;
      await ot.commit().catch(() => (fenced = true));
      assert.ok(fenced, `round ${round}: the open transaction's producer is fenced after the restart`);
      const got = await readValues(kafka, 'tx-out', false, committed.size);
      const seen = new Set(got);
      assert.is(got.length, seen.size, `round ${round}: no duplicates read_committed`);
      for (const v of committed) assert.ok(seen.has(v), `round ${round}: committed ${v} is readable`);
      for (const v of aborted) assert.not.ok(seen.has(v), `round ${round}: ${v} of an aborted transaction is not`);
      const admin2 = kafka.admin();
      await admin2.connect();
      const off = (await admin2.fetchOffsets({ groupId: 'chaos', topics: ['tx-in'] }))[0].partitions[0].offset;
      await admin2.disconnect();
      assert.is(Number(off), offsetsCommitted, `round ${round}: the group's offset is the last committed transaction's`);
      console.log(`round ${round + 1}: ${txns} committed transactions, one open (${n} records${withOffsets ? ', offsets sent' : ''}) at the kill; after restart ${got.length} records read_committed = every committed one (${committed.size}), none of ${aborted.size} aborted; offset ${off}`);
      for (const p of producers) await p.disconnect().catch(() => undefined);
    }
    const all = await readValues(kafka, 'tx-out', true, committed.size + aborted.size);
    assert.is(all.length, committed.size + aborted.size, 'read_uncommitted sees the aborted records too: they were written, then aborted');
  } finally {
    await b.kill9();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
