/**
 * topic.produce() on a topic that does not exist yet creates it, as a Kafka producer with
 * auto-creation does, and says so: the cluster's default partition count, or `partitions`.
 * It does so itself, so it works on a broker whose own auto-creation is off.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from '../../sdk/kafka/connect';
import { startEmbeddedKafka, stopEmbeddedKafka, type EmbeddedKafka } from './helpers';

let env: EmbeddedKafka;

test.before(async () => {
  env = await startEmbeddedKafka({ partitions: 3, autoCreateTopics: false });
});
test.after(() => stopEmbeddedKafka(env));

const rows = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ({ id: `${tag}-${i % 5}`, seq: i, v: i * 0.5 }));

async function partitionsOf(topic: string): Promise<number> {
  const meta = await env.kafka.admin.fetchTopicMetadata({ topics: [topic] });
  return meta.topics[0].partitions.length;
}

test('a missing topic is created with the cluster default, and the result says so', async () => {
  const { kafka } = env;
  const first = await kafka.topic('fresh').produce(rows(40, 'a'), { key: 'id' });
  assert.equal(first, { topic: 'fresh', records: 40, created: true });
  assert.is(await partitionsOf('fresh'), 3, "the broker's num.partitions");
  const again = await kafka.topic('fresh').produce(rows(10, 'b'), { key: 'id' });
  assert.is(again.created, false);
  const df = await kafka.topic('fresh').read();
  assert.is(df.shape[0], 50);
});

test('{ partitions } chooses the count of a topic produce() creates, and is ignored for one that exists', async () => {
  const { kafka } = env;
  assert.is((await kafka.topic('fresh-two').produce(rows(8, 'c'), { partitions: 2 })).created, true);
  assert.is(await partitionsOf('fresh-two'), 2);
  assert.is((await kafka.topic('fresh-two').produce(rows(8, 'c'), { partitions: 5 })).created, false);
  assert.is(await partitionsOf('fresh-two'), 2);
  await kafka.topic('x').produce(rows(1, 'd'), { partitions: 0 }).then(
    () => assert.unreachable('bad partitions accepted'),
    (e: Error) => assert.match(e.message, /partitions must be a whole number of at least 1/),
  );
  assert.not.ok((await kafka.admin.listTopics()).includes('x'), 'nothing created for a bad option');
});

test('two clients producing to the same missing topic at once: both land, the topic is created once', async () => {
  const { kafka } = env;
  const other = await connect({ brokers: env.broker.bootstrap });
  try {
    const [a, b] = await Promise.all([kafka.topic('race').produce(rows(30, 'e')), other.topic('race').produce(rows(20, 'f'))]);
    assert.ok(a.created || b.created, 'one of them created it');
    assert.is((await kafka.topic('race').read()).shape[0], 50);
    assert.is(await partitionsOf('race'), 3);
  } finally {
    await other.close();
  }
});

test('an invalid topic name is refused before anything is created', async () => {
  await env.kafka.topic('bad name!').produce(rows(1, 'g')).then(
    () => assert.unreachable('accepted'),
    (e: Error) => assert.match(e.message, /topic name/i),
  );
});

test.run();
