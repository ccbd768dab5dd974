import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startBroker, type Broker } from '../../sdk/broker';
import { connect, type KafkaConnection } from '../../sdk/kafka/connect';
import { timeOrdered } from '../../sdk/kafka/replay';
import type { Fetcher, KafkajsMessage, PartitionFetch } from '../../sdk/kafka/fetcher';
import { recordsOf } from '../../sdk/frame/dataframe';

// Years old: a topic with the default 7-day time retention would delete these at once.
const OLD = Date.parse('2020-01-01T00:00:00Z');
let broker: Broker;
let kafka: KafkaConnection;

test.before(async () => {
  // Small segments and a fast retention check, so that time retention would really delete.
  broker = await startBroker({ port: 0, log: { segmentBytes: 2048 }, retentionCheckMs: 50 });
  kafka = await connect({ brokers: broker.bootstrap });
});

test.after(async () => {
  await kafka?.close();
  await broker?.stop();
});

test('replay into a missing topic creates it with the source partitions; old records survive time retention', async () => {
  await kafka.createTopic('old', { partitions: 3, config: { 'retention.ms': '-1' } });
  const rows = Array.from({ length: 300 }, (_, i) => ({ carId: `car-${i % 6}`, i, pad: 'x'.repeat(40), ts: OLD + i * 1000 }));
  await kafka.topic('old').produce(rows, { key: 'carId', timestamp: 'ts' });
  // A finite speed sends many small batches: many closed segments that retention could delete.
  const report = await kafka.topic('old').replay({ from: 'earliest', speed: 1000, into: 'old-replay' });
  assert.is(report.records, 300);
  assert.ok(report.created);
  const meta = await kafka.admin.fetchTopicMetadata({ topics: ['old-replay'] });
  assert.is(meta.topics[0].partitions.length, 3);
  // Several retention runs: replayed records are stamped with the replay time (the original in a header).
  await new Promise((r) => setTimeout(r, 300));
  const out = recordsOf(await kafka.topic('old-replay').read());
  assert.is(out.length, 300);
  const src = recordsOf(await kafka.topic('old').read());
  const where = new Map(src.map((r) => [r.i, r._partition]));
  assert.ok(out.every((r) => where.get(r.i) === r._partition), 'same partition as in the source');
  const again = await kafka.topic('old').replay({ from: 'earliest', speed: Infinity, into: 'old-replay' });
  assert.not.ok(again.created);
});

/** A fetcher standing in for a broker that keeps answering partition 0 with nothing below its high watermark. */
function stuckFetcher(): { fetcher: Fetcher; calls: () => number } {
  let calls = 0;
  const msg = (o: number): KafkajsMessage => ({ offset: String(o), timestamp: String(OLD + o), key: null, value: Buffer.from('{}') });
  const fetcher = {
    async fetch(offsets: Map<number, number>): Promise<PartitionFetch[]> {
      calls++;
      return [...offsets].map(([p, at]) =>
        p === 0 ? { partition: 0, messages: [], highWatermark: 10 } : { partition: p, messages: [msg(at), msg(at + 1)].filter((m) => Number(m.offset) < 4), highWatermark: 4 },
      );
    },
  } as unknown as Fetcher;
  return { fetcher, calls: () => calls };
}

test('timeOrdered gives up on a partition whose fetches stay empty, instead of spinning or hanging', async () => {
  const { fetcher, calls } = stuckFetcher();
  const stalls: [number, number][] = [];
  const got: number[] = [];
  const ranges = [
    { partition: 0, from: 2, to: 10 },
    { partition: 1, from: 0, to: 4 },
  ];
  for await (const t of timeOrdered(fetcher, ranges, () => false, (p, o) => stalls.push([p, o]))) got.push(Number(t.message.offset));
  assert.equal(got, [0, 1, 2, 3]);
  assert.equal(stalls, [[0, 2]]);
  assert.ok(calls() <= 6, `${calls()} fetches`);
});

test.run();
