import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startBroker, type Broker } from '../../sdk/broker';
import { connect, type KafkaConnection } from '../../sdk/kafka/connect';
import { recordsOf } from '../../sdk/frame/dataframe';
import { KafkalabError } from '../../sdk/util/errors';
import type { Row } from '../../sdk/stream/operators';
import type { Stream } from '../../sdk/stream/stream';

let broker: Broker;
let kafka: KafkaConnection;

test.before(async () => {
  broker = await startBroker({ port: 0, groups: { initialRebalanceDelayMs: 0 } });
  kafka = await connect({ brokers: broker.bootstrap });
});

test.after(async () => {
  await kafka?.close();
  await broker?.stop();
});

/** Every row of a stream that must end by itself; fails instead of hanging when it does not. */
async function drain(s: Stream, ms = 20_000): Promise<Row[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the bounded stream did not end')), ms)));
  try {
    return await Promise.race([s.collect(), timeout]);
  } finally {
    clearTimeout(timer);
    await s.stop();
  }
}

test('a bounded group stream ends at `to`, leaves the group and commits only up to the end', async () => {
  await kafka.createTopic('cars', { partitions: 2 });
  const t = kafka.topic('cars');
  await t.produce(Array.from({ length: 20 }, (_, i) => ({ carId: 'c' + (i % 5), i })), { key: 'carId' });
  const first = await drain(t.stream({ from: 'earliest', to: 'latest', group: 'g1', batch: { size: 100, ms: 50 } }));
  assert.equal(first.map((r) => r.i).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
  assert.is(broker.groups.describe('g1').members.length, 0, 'no member left after the end');
  // Nothing new: the next bounded run of the group ends at once with nothing.
  assert.is((await drain(t.stream({ from: 'earliest', to: 'latest', group: 'g1' }))).length, 0);
  await t.produce(Array.from({ length: 5 }, (_, i) => ({ carId: 'c' + i, i: 100 + i })), { key: 'carId' });
  const third = await drain(t.stream({ from: 'earliest', to: 'latest', group: 'g1' }));
  assert.equal(third.map((r) => r.i).sort((a, b) => a - b), [100, 101, 102, 103, 104]);
});

test('records past `to` are neither emitted nor committed', async () => {
  await kafka.createTopic('upto', { partitions: 1 });
  const t = kafka.topic('upto');
  await t.produce(Array.from({ length: 10 }, (_, i) => ({ i })));
  const head = await drain(t.stream({ from: 'earliest', to: 4, group: 'g2' }));
  assert.equal(head.map((r) => r.i), [0, 1, 2, 3]);
  const rest = await drain(t.stream({ from: 'earliest', to: 'latest', group: 'g2' }));
  assert.equal(rest.map((r) => r.i), [4, 5, 6, 7, 8, 9]);
});

test('breaking out of a live group stream or stopping its job leaves no member', async () => {
  const t = kafka.topic('cars');
  for await (const df of t.stream({ from: 'earliest', group: 'g3', batch: { size: 5, ms: 20 } })) {
    assert.ok(df.shape[0] > 0);
    break;
  }
  assert.is(broker.groups.describe('g3').members.length, 0);
  const s = t.stream({ from: 'earliest', group: 'g4' });
  const it = s[Symbol.asyncIterator]();
  await it.next();
  assert.is(broker.groups.describe('g4').members.length, 1);
  await s.stop();
  assert.is(broker.groups.describe('g4').members.length, 0);
});

test("a group stream from 'latest' reads everything produced once it is ready", async () => {
  await kafka.createTopic('fresh', { partitions: 3 });
  const t = kafka.topic('fresh');
  await t.produce([{ i: -1 }]); // before the stream: not read
  const s = t.stream({ from: 'latest', group: 'g6', batch: { size: 10, ms: 20 } });
  const got: number[] = [];
  const loop = (async () => {
    for await (const df of s) {
      for (const r of recordsOf(df)) got.push(r.i as number);
      if (got.length >= 30) break;
    }
  })();
  await s.ready;
  await t.produce(Array.from({ length: 30 }, (_, i) => ({ i })));
  await Promise.race([loop, new Promise((_, reject) => setTimeout(() => reject(new Error('not all records read')), 20_000).unref())]);
  assert.equal(got.sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => i));
  assert.is(broker.groups.describe('g6').members.length, 0);
});

test('an unknown topic fails with the did-you-mean error, with or without a group', async () => {
  for (const group of [undefined, 'g5']) {
    try {
      await kafka.topic('carz').stream({ from: 'earliest', group }).take(1);
      assert.unreachable('should have failed');
    } catch (e) {
      assert.instance(e, KafkalabError);
      assert.is((e as KafkalabError).code, 'UNKNOWN_TOPIC');
      assert.match((e as Error).message, 'did you mean "cars"?');
    }
  }
});

test('every format decodes the same in read(), stream() and replay()', async () => {
  await kafka.createTopic('formats', { partitions: 1 });
  const p = await kafka.producer();
  await p.send({
    topic: 'formats',
    messages: [
      { key: 'k', value: '{"a":{"b":1,"c":"x"},"arr":[1,2],"s":"007"}', headers: { h: 'v' } },
      { value: '1,2.5,abc,,true' },
      { value: Buffer.from([0, 255, 10]) },
    ],
  });
  const t = kafka.topic('formats');
  for (const format of ['json', 'csv', 'string', 'bytes'] as const) {
    const read = recordsOf(await t.read({ format, headers: true }));
    const streamed = recordsOf(await t.stream({ format, headers: true, from: 'earliest', to: 'latest' }).take(10));
    const replayed = recordsOf(await t.replay({ format, headers: true, from: 'earliest', speed: Infinity }).take(10));
    assert.equal(streamed, read, `stream ${format}`);
    assert.equal(replayed, read, `replay ${format}`);
  }
  const bytes = recordsOf(await t.stream({ format: 'bytes', from: 2, to: 'latest' }).take(1));
  assert.equal(Object.keys(bytes[0]), ['_key', '_partition', '_offset', '_timestamp', 'value']);
  assert.is(bytes[0].value, Buffer.from([0, 255, 10]).toString('base64'));
});

test.run();
