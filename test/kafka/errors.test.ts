import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { logLevel } from 'kafkajs';
import { startBroker, type Broker } from '../../sdk/broker';
import { connect, type KafkaConnection } from '../../sdk/kafka/connect';
import { startEmbeddedKafka, stopEmbeddedKafka } from './helpers';
import { explainKafkaError, kafkajsLogger, TOPIC_NAME_RULE } from '../../sdk/kafka/errors';
import { danfo } from '../../sdk/frame/dataframe';
import { KafkalabError } from '../../sdk/util/errors';
import type { Logger } from '../../sdk/util/log';

async function rejects(p: Promise<unknown> | (() => unknown), code: string, pattern?: RegExp): Promise<KafkalabError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    assert.instance(e, KafkalabError, `expected a KafkalabError, got ${(e as Error)?.name}: ${(e as Error)?.message}`);
    const k = e as KafkalabError;
    assert.is(k.code, code, k.message);
    if (pattern) assert.match(k.message, pattern);
    return k;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

type Line = { level: string; ns: string; msg: string; fields?: Record<string, unknown> };
function captureLogger(lines: Line[], ns = ''): Logger {
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => lines.push({ level, ns, msg, fields });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (n) => captureLogger(lines, ns ? `${ns}:${n}` : n) };
}

let broker: Broker;
let kafka: KafkaConnection;

test.before(async () => void ({ broker, kafka } = await startEmbeddedKafka()));
test.after(() => stopEmbeddedKafka({ broker, kafka }));

test('createTopic: an invalid name quotes Kafka naming rule', async () => {
  const e = await rejects(kafka.createTopic('bad name!'), 'INVALID_TOPIC', /"bad name!"/);
  assert.ok(e.message.includes(TOPIC_NAME_RULE));
  await rejects(kafka.createTopic('x'.repeat(250)), 'INVALID_TOPIC');
  await rejects(kafka.createTopic('..'), 'INVALID_TOPIC');
});

test('createTopic: partitions and replication factor say what is allowed', async () => {
  for (const partitions of [0, -1, 1.5]) {
    await rejects(kafka.createTopic('zero', { partitions }), 'BAD_OPTION', new RegExp(`partitions must be a whole number of at least 1, got ${partitions}`));
  }
  await rejects(kafka.createTopic('rf', { replicationFactor: 0 }), 'BAD_OPTION', /replicationFactor/);
  // More copies than brokers: the broker refuses, and the refusal is explained.
  await rejects(kafka.createTopic('rf', { replicationFactor: 3 }), 'INVALID_REPLICATION_FACTOR', /replication factor of topic "rf".*at most the number of brokers/);
  assert.not.ok((await kafka.admin.listTopics()).includes('zero'));
});

test('createTopic: an existing topic is returned as it is, or refused with another partition count', async () => {
  await kafka.createTopic('exists', { partitions: 2 });
  const again = await kafka.createTopic('exists', { partitions: 2 });
  assert.is(again.name, 'exists');
  await rejects(kafka.createTopic('exists', { partitions: 3 }), 'TOPIC_EXISTS', /already exists with 2 partitions, not 3/);
});

test("the broker's own refusals map through the error table (raw kafkajs errors)", async () => {
  const raw = async (topic: string, numPartitions: number) => {
    try {
      await kafka.admin.createTopics({ topics: [{ topic, numPartitions }] });
    } catch (e) {
      return e;
    }
    throw new Error('the broker accepted it');
  };
  const ctx = { brokers: kafka.brokers, op: 'createTopic()' };
  const name = explainKafkaError(await raw('bad name!', 1), { ...ctx, topic: 'bad name!' }) as KafkalabError;
  assert.is(name.code, 'INVALID_TOPIC');
  assert.ok(name.message.includes(TOPIC_NAME_RULE));
  assert.is((name.cause as Error).name, 'KafkaJSAggregateError');
  const parts = explainKafkaError(await raw('zero', 0), { ...ctx, topic: 'zero' }) as KafkalabError;
  assert.is(parts.code, 'INVALID_PARTITIONS');
  assert.match(parts.message, /partitions must be a whole number of at least 1/);
  // Errors that are not Kafka's pass through untouched.
  const plain = new TypeError('x is not a function');
  assert.is(explainKafkaError(plain, ctx), plain);
});

test('produce: rows must be objects or a DataFrame', async () => {
  const t = await kafka.createTopic('rows');
  await rejects(t.produce('hello' as never), 'BAD_ROWS', /array of row objects or a DataFrame, got "hello"/);
  await rejects(t.produce([{ a: 1 }, 2] as never), 'BAD_ROWS', /row 1 is 2/);
  await rejects(t.produce(['text'] as never), 'BAD_ROWS', /format: 'string'/);
  assert.equal(await t.produce([]), { topic: 'rows', records: 0, created: false });
});

test('produce: key and timestamp fields must exist (did you mean), in arrays and DataFrames', async () => {
  const t = await kafka.createTopic('fields');
  await rejects(t.produce([{ carID: 'a', v: 1 }], { key: 'carId' }), 'UNKNOWN_COLUMN', /no field "carId" for the key \(did you mean "carID"\?\)/);
  await rejects(t.produce([{ ts: 1, v: 1 }, { v: 2 }], { timestamp: 'ts' }), 'UNKNOWN_COLUMN', /Row 1 has no field "ts" for the timestamp/);
  await rejects(t.produce([{ text: 'x' }], { format: 'string' }), 'UNKNOWN_COLUMN', /no field "value" for format 'string'/);
  const { DataFrame } = danfo();
  const df = new DataFrame({ car_id: ['a', 'b'], speed: [1, 2] });
  await rejects(t.produce(df, { key: 'carid' }), 'UNKNOWN_COLUMN', /did you mean "car_id"/);
  assert.is((await t.read()).shape[0], 0, 'nothing was sent');
  await t.produce(df, { key: 'car_id' });
  const back = await t.read();
  assert.equal(back.column('_key').values, ['a', 'b']);
});

test('produce: partition and chunk are checked', async () => {
  const t = await kafka.createTopic('twoparts', { partitions: 2 });
  await rejects(t.produce([{ a: 1 }], { partition: 2 }), 'BAD_OPTION', /one of the topic's 2 partitions \(0\.\.1\), got 2/);
  await rejects(t.produce([{ a: 1 }], { partition: -1 }), 'BAD_OPTION', /partition/);
  await rejects(t.produce([{ a: 1 }], { chunk: 0 }), 'BAD_OPTION', /chunk must be a whole number/);
  await t.produce([{ a: 1 }], { partition: 1 });
  assert.equal((await t.read()).column('_partition').values, [1]);
});

test("the connection's producer is idempotent (the broker drops retried batches that already landed)", async () => {
  assert.ok((await kafka.producer()).isIdempotent());
});

test('a lost broker: read, stream and produce say so (retriable, with the kafkajs error as cause), and produce works again after a restart', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-errors-'));
  const own = await startBroker({ port: 0, dataDir });
  const port = own.port;
  const conn = await connect({ brokers: own.bootstrap });
  try {
    const t = await conn.createTopic('t');
    await t.produce([{ a: 1 }]);
    const it = t.stream({ from: 'earliest' })[Symbol.asyncIterator]();
    await it.next();
    await own.stop();
    const lost = /^Lost the connection to Kafka at (localhost|127\.0\.0\.1):\d+ \((connection closed|ECONNREFUSED)\); is the broker still running\?$/;
    for (const [what, attempt] of [
      ['read', () => t.read()],
      ['produce', () => t.produce([{ a: 2 }])],
      ['stream', () => it.next()],
    ] as const) {
      const e = await rejects(attempt, 'KAFKA_CONNECTION_LOST', lost);
      assert.ok(e.retriable, `${what}: retriable`);
      assert.match((e.cause as Error).name, /^KafkaJS/, `${what}: cause`);
      assert.ok(e.message.includes(`:${port}`), `${what}: names the broker`);
    }
    await it.return?.(undefined);
    const again = await startBroker({ port, dataDir });
    try {
      await conn.createTopic('t2');
      await conn.topic('t2').produce([{ b: 1 }]);
      assert.is((await conn.topic('t2').read()).shape[0], 1);
    } finally {
      await conn.close();
      await again.stop();
    }
  } finally {
    await conn.close();
    await own.stop().catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test('kafkajs connection retries are debug lines; the failure is one clean error', async () => {
  const lines: Line[] = [];
  const port = await freePort();
  await rejects(connect({ brokers: `127.0.0.1:${port}`, logger: captureLogger(lines) }), 'KAFKA_UNREACHABLE', /Cannot reach Kafka at 127.0.0.1:\d+ \(ECONNREFUSED\)/);
  const kafkajs = lines.filter((l) => l.ns.startsWith('kafkajs'));
  assert.ok(kafkajs.some((l) => l.level === 'debug' && /ECONNREFUSED/.test(l.msg)), 'the retries are still there at debug');
  assert.equal(
    kafkajs.filter((l) => l.level !== 'debug'),
    [],
  );
});

test('kafkalab simulate --kafka against a dead broker prints one clean line, no kafkajs stacks', async () => {
  const port = await freePort();
  const root = path.resolve(__dirname, '../..');
  const script = `require('./sdk/cli/main').main(['simulate', '--kafka', '--brokers', '127.0.0.1:${port}']).then((c) => { process.exitCode = c; })`;
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child: ReturnType<typeof execFile> = execFile(process.execPath, ['--import', 'tsx', '-e', script], { cwd: root, timeout: 60_000 }, (err, _out, stderr) =>
      resolve({ code: child.exitCode ?? (err ? 1 : 0), stderr }),
    );
  });
  const lines = stderr.split('\n').filter((l) => l.trim());
  assert.is(code, 1);
  assert.is(lines.length, 1, stderr);
  assert.match(lines[0], new RegExp(`^kafkalab simulate: Cannot reach Kafka at 127.0.0.1:${port} \\(ECONNREFUSED\\)`));
});

test('kafkajs errors that are not retry noise stay warnings, without the stack', () => {
  const lines: Line[] = [];
  const log = kafkajsLogger(captureLogger(lines))!(logLevel.DEBUG);
  const entry = (level: logLevel, namespace: string, message: string, extra: Record<string, unknown> = {}) =>
    log({ namespace, level, label: 'ERROR', log: { timestamp: 'now', logger: 'kafkajs', message, ...extra } });
  entry(logLevel.ERROR, 'Runner', 'Error when calling eachBatch', { topic: 't', stack: 'Error: boom\n  at x' });
  entry(logLevel.ERROR, 'Connection', 'Connection error: connect ECONNREFUSED 127.0.0.1:1', { stack: 'Error: ...' });
  entry(logLevel.ERROR, 'BrokerPool', 'Failed to connect to seed broker, trying another broker from the list', { retryCount: 0 });
  entry(logLevel.WARN, 'Producer', 'Limiting retries for the idempotent producer may invalidate EoS guarantees');
  entry(logLevel.INFO, 'Consumer', 'Starting');
  const warns = lines.filter((l) => l.level === 'warn');
  assert.equal(warns.map((l) => l.msg), ['Error when calling eachBatch']);
  assert.equal(warns[0].fields, { topic: 't' });
  assert.is(warns[0].ns, 'kafkajs:Runner');
  assert.ok(lines.some((l) => l.level === 'debug' && l.fields?.stack === 'Error: boom\n  at x'), 'the stack is kept at debug');
  assert.is(lines.filter((l) => l.level === 'debug').length, 5);
});

test.run();
