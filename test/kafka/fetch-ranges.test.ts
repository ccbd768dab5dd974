// fetchRanges' rule for partitions that come back without records below their high watermark:
// a fetcher that answers for itself (raw Fetch) gives up after 3 such rounds (nothing readable
// is left); a late one (kafkajs's consumer, the public-API fallback, on a loaded machine) gets
// its stallMs first. Scripted fetchers: the policy, with the timing under the test's control
// (the real fetchers run in read.test.ts and, forced to the fallback, public-api.test.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fetchRanges, type KafkajsMessage, type PartitionFetch, type TopicFetcher } from '../../sdk/kafka/fetcher';

const message = (offset: number): KafkajsMessage => ({ offset: String(offset), timestamp: '0', key: null, value: Buffer.from(String(offset)) });

/** Partition 0 holds offsets 0..9; the first `late` rounds come back empty (the records not delivered yet). */
function scripted(late: number, stallMs?: number): TopicFetcher & { rounds: number } {
  return {
    topic: 't',
    stallMs,
    rounds: 0,
    async connect() {},
    async disconnect() {},
    async fetch(offsets: Map<number, number>): Promise<PartitionFetch[]> {
      this.rounds++;
      const from = offsets.get(0)!;
      const messages = this.rounds <= late ? [] : Array.from({ length: 10 - from }, (_, i) => message(from + i));
      return [{ partition: 0, messages, highWatermark: 10 }];
    },
  };
}

async function offsetsRead(f: TopicFetcher): Promise<number[]> {
  const got: number[] = [];
  await fetchRanges(f, [{ partition: 0, from: 0, to: 10 }], (_p, messages) => void got.push(...messages.map((m) => Number(m.offset))));
  return got;
}

test('a late fetcher (stallMs) keeps asking past 3 empty rounds: every record read', async () => {
  const f = scripted(5, 10_000);
  assert.equal(await offsetsRead(f), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.is(f.rounds, 6);
});

test('a fetcher without stallMs gives up after 3 empty rounds (nothing readable left)', async () => {
  const f = scripted(Infinity);
  assert.equal(await offsetsRead(f), []);
  assert.is(f.rounds, 3);
});

test('a late fetcher that never delivers ends once stallMs passed, not before', async () => {
  const f = scripted(Infinity, 150);
  const t0 = Date.now();
  assert.equal(await offsetsRead(f), []);
  const ms = Date.now() - t0;
  assert.ok(ms >= 150, `gave up after ${ms} ms`);
  assert.ok(f.rounds >= 3);
});

test.run();
