// runner: exclusive port-9092 (these tests put listeners on the embedded default port)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startBroker } from '../../sdk/broker';
import { connect, isListening, EMBEDDED_PORT, type KafkaConnection } from '../../sdk/kafka/connect';
import { KafkalabError } from '../../sdk/util/errors';
import { skip } from '../helpers/skip';

test('KAFKA_BROKERS is used when no brokers option is given', async () => {
  const broker = await startBroker({ port: 0 });
  const saved = process.env.KAFKA_BROKERS;
  process.env.KAFKA_BROKERS = broker.bootstrap;
  try {
    const kafka = await connect();
    assert.equal(kafka.brokers, [broker.bootstrap]);
    assert.is(kafka.embedded, undefined);
    await kafka.createTopic('env-topic');
    await kafka.close();
  } finally {
    if (saved === undefined) delete process.env.KAFKA_BROKERS;
    else process.env.KAFKA_BROKERS = saved;
    await broker.stop();
  }
});

/**
 * Runs `body` in a fresh working directory with nothing on :9092, or skips. Connections made
 * with `open` are closed afterwards even when an assertion fails, so the next test starts clean.
 */
async function inTempDir(body: (dir: string, open: () => Promise<KafkaConnection>) => Promise<void>): Promise<void> {
  if (process.env.KAFKA_BROKERS) return skip('KAFKA_BROKERS is set; these tests need the embedded default');
  if (await isListening('127.0.0.1', EMBEDDED_PORT)) return skip(`something already listens on ${EMBEDDED_PORT} (these tests start the embedded broker there)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-connect-'));
  const cwd = process.cwd();
  process.chdir(dir);
  const opened: KafkaConnection[] = [];
  const open = async () => {
    const c = await connect();
    opened.push(c);
    return c;
  };
  try {
    await body(dir, open);
  } finally {
    for (const c of opened) await c.close();
    process.chdir(cwd);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('without brokers, the embedded broker on :9092 is started in-process (data in ./.kafkalab/data), shared, and stopped by the last close()', async () => {
  await inTempDir(async (dir, open) => {
    const first = await open();
    assert.ok(first.embedded, 'started one');
    assert.ok(fs.existsSync(path.join(dir, '.kafkalab', 'data')));
    await first.createTopic('persisted');
    const second = await open();
    assert.is(second.embedded, first.embedded, 'shares the broker this process started');
    assert.ok((await second.admin.listTopics()).includes('persisted'));
    await second.close();
    assert.ok(await isListening('127.0.0.1', EMBEDDED_PORT), 'still used by the first connection');
    await first.close();
    assert.not.ok(await isListening('127.0.0.1', EMBEDDED_PORT), 'the last close() stopped it');
  });
});

test('closing the connection that started the embedded broker leaves it running for the others', async () => {
  await inTempDir(async (_, open) => {
    const first = await open();
    const second = await open();
    await first.createTopic('shared', { partitions: 2 });
    await first.close();
    assert.ok(await isListening('127.0.0.1', EMBEDDED_PORT), 'the second connection still uses it');
    await second.topic('shared').produce([{ a: 1 }, { a: 2 }]);
    const df = await second.topic('shared').read();
    assert.is(df.shape[0], 2);
    await second.close();
    assert.not.ok(await isListening('127.0.0.1', EMBEDDED_PORT));
    // A later connect() starts it again (same data directory: the topic is still there).
    const third = await open();
    assert.ok(third.embedded);
    assert.ok((await third.admin.listTopics()).includes('shared'));
    await third.close();
    assert.not.ok(await isListening('127.0.0.1', EMBEDDED_PORT));
  });
});

test('concurrent connect() calls share one embedded broker', async () => {
  await inTempDir(async (_, open) => {
    const conns = await Promise.all([open(), open(), open()]);
    assert.ok(conns[0].embedded);
    for (const c of conns) assert.is(c.embedded, conns[0].embedded);
    await conns[1].close();
    await conns[0].close();
    assert.ok(await isListening('127.0.0.1', EMBEDDED_PORT));
    await conns[2].close();
    assert.not.ok(await isListening('127.0.0.1', EMBEDDED_PORT));
  });
});

test('a broker address without a port is refused before connecting', async () => {
  try {
    await connect({ brokers: 'localhost' });
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.instance(e, KafkalabError);
    assert.is((e as KafkalabError).code, 'BAD_OPTION');
    assert.match((e as Error).message, /has no port.*localhost:9092/);
  }
});

test.run();
