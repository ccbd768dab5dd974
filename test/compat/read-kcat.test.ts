import { test as uvuTest } from 'uvu';
import { missingCommand, needing } from '../helpers/skip';
import * as assert from 'uvu/assert';
import type { Broker } from '../../sdk/broker';
import type { KafkaConnection } from '../../sdk/kafka/connect';
import { startEmbeddedKafka, stopEmbeddedKafka } from '../kafka/helpers';
import { runKcat, succeeded } from './helpers';
import { readReport, recordsOf } from '../../sdk/frame/dataframe';

const test = needing(uvuTest, missingCommand('kcat', 'apt-get install -y kcat', ['-V']));

let broker: Broker;
let kafka: KafkaConnection;

test.before(async () => void ({ broker, kafka } = await startEmbeddedKafka()));
test.after(() => stopEmbeddedKafka({ broker, kafka }));

async function kcat(args: string[], input: string): Promise<void> {
  succeeded(await runKcat(`127.0.0.1:${broker.port}`, args, input, 30_000), 'kcat');
}

test('JSON records written by kcat (librdkafka): keys, headers, nested fields', async () => {
  await kafka.createTopic('kcat-json', { partitions: 2 });
  const lines = Array.from({ length: 40 }, (_, i) => `car-${i % 4}|${JSON.stringify({ seq: i, speed: i * 1.5, pos: { lat: 52 + i / 100, lon: 13 } })}`);
  await kcat(['-P', '-t', 'kcat-json', '-K', '|', '-H', 'source=kcat', '-H', 'schema=v1'], lines.join('\n') + '\n');
  const df = await kafka.topic('kcat-json').read({ headers: true });
  assert.equal(df.columns, ['_key', '_partition', '_offset', '_timestamp', '_headers', 'seq', 'speed', 'pos.lat', 'pos.lon']);
  const rows = recordsOf(df).sort((a, b) => (a.seq as number) - (b.seq as number));
  assert.is(rows.length, 40);
  rows.forEach((r, i) => {
    assert.is(r._key, `car-${i % 4}`);
    assert.is(r.speed, i * 1.5);
    assert.is(r['pos.lat'], 52 + i / 100);
    assert.equal(JSON.parse(r._headers as string), { source: 'kcat', schema: 'v1' });
    assert.ok(Math.abs((r._timestamp as number) - Date.now()) < 120_000);
  });
  // librdkafka's partitioner is not Java's murmur2, but one key still lands in one partition
  for (const k of ['car-0', 'car-1', 'car-2', 'car-3']) assert.is(new Set(rows.filter((r) => r._key === k).map((r) => r._partition)).size, 1);
});

test('gzip batches from kcat are read; snappy says which codec to install', async () => {
  await kafka.createTopic('kcat-gzip', { partitions: 1 });
  await kcat(['-P', '-t', 'kcat-gzip', '-z', 'gzip'], Array.from({ length: 200 }, (_, i) => JSON.stringify({ i, pad: 'x'.repeat(50) })).join('\n') + '\n');
  assert.equal(recordsOf(await kafka.topic('kcat-gzip').read()).map((r) => r.i), Array.from({ length: 200 }, (_, i) => i));
  await kafka.createTopic('kcat-snappy', { partitions: 1 });
  // librdkafka sends a batch uncompressed when compression does not make it smaller: send a compressible one
  await kcat(['-P', '-t', 'kcat-snappy', '-z', 'snappy'], Array.from({ length: 200 }, (_, i) => JSON.stringify({ i, pad: 'x'.repeat(50) })).join('\n') + '\n');
  try {
    await kafka.topic('kcat-snappy').read();
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /Records in "kcat-snappy" are Snappy-compressed and kafkajs has no Snappy codec; install one \(e\.g\. npm install kafkajs-snappy\)/);
  }
});

test('CSV lines and plain strings written by kcat', async () => {
  await kafka.createTopic('kcat-csv', { partitions: 1 });
  await kcat(['-P', '-t', 'kcat-csv'], 'car-1,12.5,ok\ncar-2,,"a, b"\nbroken "line\n');
  const df = await kafka.topic('kcat-csv').read({ format: 'csv', csv: { header: ['carId', 'speed', 'note'] } });
  assert.equal(recordsOf(df).map((r) => [r._key, r.carId, r.speed, r.note]), [
    [null, 'car-1', 12.5, 'ok'],
    [null, 'car-2', null, 'a, b'],
    [null, 'broken "line', null, null],
  ]);
  const asJson = await kafka.topic('kcat-csv').read();
  assert.is(readReport(asJson)!.failed, 3, 'CSV read as JSON: every record reported, none fatal');
  const text = await kafka.topic('kcat-csv').read({ format: 'string' });
  assert.equal(recordsOf(text).map((r) => r.value), ['car-1,12.5,ok', 'car-2,,"a, b"', 'broken "line']);
});

test.run();
