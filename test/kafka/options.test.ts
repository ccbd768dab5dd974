import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startBroker, type Broker } from '../../sdk/broker';
import { connect, type KafkaConnection } from '../../sdk/kafka/connect';
import { KafkalabError } from '../../sdk/util/errors';

/** Expects a BAD_OPTION error (thrown or rejected) whose message matches. */
async function badOption(attempt: () => unknown, pattern: RegExp): Promise<void> {
  try {
    await attempt();
  } catch (e) {
    assert.instance(e, KafkalabError, String(e));
    assert.is((e as KafkalabError).code, 'BAD_OPTION');
    assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable(`nothing thrown, expected ${pattern}`);
}

let broker: Broker;
let kafka: KafkaConnection;

test.before(async () => {
  broker = await startBroker({ port: 0 });
  kafka = await connect({ brokers: broker.bootstrap });
  await kafka.createTopic('t', { partitions: 2 });
  await kafka.topic('t').produce([{ a: 1 }, { a: 2 }]);
});

test.after(async () => {
  await kafka.close();
  await broker.stop();
});

test('connect(): a misspelt option is an error naming the right one', async () => {
  await badOption(() => connect({ broker: broker.bootstrap } as never), /Unknown option "broker" for connect\(\); did you mean "brokers"\?/);
  await badOption(() => connect('localhost:9092' as never), /connect\(\) takes an options object/);
});

test('createTopic(): misspelt options', async () => {
  await badOption(() => kafka.createTopic('x', { partition: 3 } as never), /Unknown option "partition" for createTopic\(\); did you mean "partitions"\?/);
  await badOption(() => kafka.createTopic('x', { partitions: 1, replication: 1 } as never), /"replication"/);
  assert.not.ok((await kafka.admin.listTopics()).includes('x'), 'nothing was created');
});

test('produce(): misspelt options', async () => {
  await badOption(() => kafka.topic('t').produce([{ a: 1 }], { keys: 'a' } as never), /Unknown option "keys" for produce\(\); did you mean "key"\?/);
  await badOption(() => kafka.topic('t').produce([{ a: 1 }], { timestmp: 'a' } as never), /did you mean "timestamp"/);
});

test("read(): { form: 'earliest' } is an error, not a silent read of everything", async () => {
  await badOption(() => kafka.topic('t').read({ form: 'earliest' } as never), /Unknown option "form" for read\(\); did you mean "from"\?/);
  await badOption(() => kafka.topic('t').read({ limt: 1 } as never), /did you mean "limit"/);
  await badOption(() => kafka.topic('t').read({ format: 'csv', csv: { delimeter: ';' } } as never), /Unknown option "delimeter" for read\(\) csv; did you mean "delimiter"\?/);
  await badOption(() => kafka.topic('t').read('earliest' as never), /read\(\) takes an options object, got "earliest"/);
  // Correct names still work.
  assert.is((await kafka.topic('t').read({ from: 'earliest', limit: 1 })).shape[0], 1);
});

test('stream(): misspelt options fail when the stream is made, nested batch options too', async () => {
  await badOption(() => kafka.topic('t').stream({ grop: 'g' } as never), /Unknown option "grop" for stream\(\); did you mean "group"\?/);
  await badOption(() => kafka.topic('t').stream({ from: 'earliest', batch: { szie: 10 } } as never), /Unknown option "szie" for stream\(\) batch; did you mean "size"\?/);
  const df = await kafka.topic('t').stream({ from: 'earliest', to: 'latest', batch: { size: 10, ms: 50 } }).take(10);
  assert.is(df.shape[0], 2);
});

test('replay(): misspelt options, as a stream and into a topic', async () => {
  await badOption(() => kafka.topic('t').replay({ from: 'earliest', speeed: 2 } as never), /Unknown option "speeed" for replay\(\); did you mean "speed"\?/);
  await badOption(() => kafka.topic('t').replay({ into: 't-copy', form: 'earliest' } as never), /did you mean "from"/);
  assert.not.ok((await kafka.admin.listTopics()).includes('t-copy'), 'nothing was replayed');
});

test.run();
