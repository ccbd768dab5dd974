import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startBroker } from '../../sdk/broker';
import { connect, isListening, EMBEDDED_PORT } from '../../sdk/kafka/connect';

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

test('without brokers, the embedded broker on :9092 is started in-process (data in ./.kafkalab/data), reused, and stopped by close()', async () => {
  if (process.env.KAFKA_BROKERS || (await isListening('127.0.0.1', EMBEDDED_PORT))) {
    console.log('  (skipped: something already listens on 9092)');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-connect-'));
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const first = await connect();
    assert.ok(first.embedded, 'started one');
    assert.ok(fs.existsSync(path.join(dir, '.kafkalab', 'data')));
    await first.createTopic('persisted');
    const second = await connect();
    assert.is(second.embedded, undefined, 'reused the listening broker');
    assert.ok((await second.admin.listTopics()).includes('persisted'));
    await second.close();
    await first.close();
    assert.not.ok(await isListening('127.0.0.1', EMBEDDED_PORT), 'close() stopped the broker it started');
  } finally {
    process.chdir(cwd);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
