import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Broker } from '../../sdk/broker';
import type { KafkaConnection } from '../../sdk/kafka/connect';
import { startEmbeddedKafka, stopEmbeddedKafka } from './helpers';
import { recordsOf } from '../../sdk/frame/dataframe';
import { KafkalabError } from '../../sdk/util/errors';

let broker: Broker;
let kafka: KafkaConnection;

test.before(async () => void ({ broker, kafka } = await startEmbeddedKafka()));
test.after(() => stopEmbeddedKafka({ broker, kafka }));

const T0 = Date.parse('2026-11-20T00:00:00Z');

test('topics(): for several partitions, messages and offsets are sums over the partitions (messages = latestOffset - earliestOffset)', async () => {
  const t = await kafka.createTopic('three', { partitions: 3 });
  // 10, 20 and 30 records on partitions 0, 1, 2; the newest on partition 1.
  const rows = [];
  for (const [partition, n] of [[0, 10], [2, 30], [1, 20]]) {
    for (let i = 0; i < n; i++) rows.push({ partition, i, _timestamp: T0 + partition * 1000 + i });
  }
  for (const p of [0, 1, 2]) await t.produce(rows.filter((r) => r.partition === p), { partition: p });
  await kafka.createTopic('empty');
  const df = await kafka.topics();
  assert.equal(df.columns, ['topic', 'partitions', 'messages', 'earliestOffset', 'latestOffset', 'firstTimestamp', 'lastTimestamp']);
  const byName = Object.fromEntries(recordsOf(df).map((r) => [r.topic, r]));
  assert.equal(byName.three, {
    topic: 'three',
    partitions: 3,
    messages: 60,
    earliestOffset: 0,
    latestOffset: 60,
    firstTimestamp: new Date(T0).toISOString(),
    lastTimestamp: new Date(T0 + 2000 + 29).toISOString(),
  });
  assert.equal(byName.empty, { topic: 'empty', partitions: 1, messages: 0, earliestOffset: 0, latestOffset: 0, firstTimestamp: null, lastTimestamp: null });
});

test('partitions(topic): one row per partition with its own offsets and times', async () => {
  const df = await kafka.partitions('three');
  assert.equal(df.columns, ['partition', 'messages', 'earliestOffset', 'latestOffset', 'firstTimestamp', 'lastTimestamp']);
  assert.equal(recordsOf(df), [
    { partition: 0, messages: 10, earliestOffset: 0, latestOffset: 10, firstTimestamp: new Date(T0).toISOString(), lastTimestamp: new Date(T0 + 9).toISOString() },
    { partition: 1, messages: 20, earliestOffset: 0, latestOffset: 20, firstTimestamp: new Date(T0 + 1000).toISOString(), lastTimestamp: new Date(T0 + 1019).toISOString() },
    { partition: 2, messages: 30, earliestOffset: 0, latestOffset: 30, firstTimestamp: new Date(T0 + 2000).toISOString(), lastTimestamp: new Date(T0 + 2029).toISOString() },
  ]);
  try {
    await kafka.partitions('thre');
    assert.unreachable('unknown topic');
  } catch (e) {
    assert.instance(e, KafkalabError);
    assert.match((e as Error).message, /did you mean "three"/);
  }
});

test.run();
