import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startBroker, type Broker } from '../../sdk/broker';
import { connect, type KafkaConnection } from '../../sdk/kafka/connect';
import { readReport, recordsOf, columnsOf } from '../../sdk/frame/dataframe';

let broker: Broker;
let kafka: KafkaConnection;
const N = 300;
const T0 = Date.now() - N * 1000; // one record per second, the last one a second ago
const rows = Array.from({ length: N }, (_, i) => ({ carId: `car-${i % 5}`, seq: i, speed: i / 4, ts: T0 + i * 1000 }));
const byPartition = new Map<number, Record<string, unknown>[]>();

test.before(async () => {
  broker = await startBroker({ port: 0 });
  kafka = await connect({ brokers: broker.bootstrap });
  await kafka.createTopic('positions', { partitions: 3 });
  await kafka.topic('positions').produce(rows, { key: 'carId', timestamp: 'ts' });
  const all = recordsOf(await kafka.topic('positions').read());
  for (const r of all) {
    const p = r._partition as number;
    if (!byPartition.has(p)) byPartition.set(p, []);
    byPartition.get(p)!.push(r);
  }
});

test.after(async () => {
  await kafka?.close();
  await broker?.stop();
});

const seqs = (df: import('danfojs-node').DataFrame) => (recordsOf(df).map((r) => r.seq) as number[]).sort((a, b) => a - b);

test('earliest..latest reads every record with metadata columns first', async () => {
  const df = await kafka.topic('positions').read();
  assert.equal(df.columns, ['_key', '_partition', '_offset', '_timestamp', 'carId', 'seq', 'speed', 'ts']);
  assert.equal(seqs(df), rows.map((r) => r.seq));
  assert.is(byPartition.size, 3, 'keys spread over the three partitions');
  for (const r of recordsOf(df)) {
    assert.is(r._key, r.carId);
    assert.is(r._timestamp, r.ts);
  }
  const report = readReport(df)!;
  assert.equal([report.records, report.rows, report.failed], [N, N, 0]);
  assert.is((await kafka.topic('positions').read({ from: 'latest' })).shape[0], 0);
});

test('offsets, per-partition maps, partitions and limit', async () => {
  const df = await kafka.topic('positions').read({ from: 10 });
  const expected = [...byPartition.values()].reduce((s, p) => s + Math.max(0, p.length - 10), 0);
  assert.is(df.shape[0], expected);
  assert.ok(recordsOf(df).every((r) => (r._offset as number) >= 10));
  const m = await kafka.topic('positions').read({ from: { 0: 5, 2: 7 } });
  const rs = recordsOf(m);
  assert.equal([...new Set(rs.map((r) => r._partition))].sort(), [0, 2]);
  assert.is(rs.length, byPartition.get(0)!.length - 5 + byPartition.get(2)!.length - 7);
  const p1 = await kafka.topic('positions').read({ partitions: [1], from: 0, to: 3 });
  assert.equal(recordsOf(p1).map((r) => [r._partition, r._offset]), [[1, 0], [1, 1], [1, 2]]);
  assert.is((await kafka.topic('positions').read({ limit: 17 })).shape[0], 17);
});

test('worker-thread reads give the same frame as a single-thread read', async () => {
  const one = await kafka.topic('positions').read({ parallel: false, from: 3 });
  const two = await kafka.topic('positions').read({ parallel: 2, from: 3 });
  assert.equal(two.columns, one.columns);
  assert.equal(two.dtypes, one.dtypes);
  const key = (r: Record<string, unknown>) => `${r._partition}:${r._offset}`;
  const sort = (rs: Record<string, unknown>[]) => rs.sort((a, b) => key(a).localeCompare(key(b)));
  assert.equal(sort(recordsOf(two)), sort(recordsOf(one)));
  assert.is(readReport(two)!.records, one.shape[0]);
  const limited = await kafka.topic('positions').read({ parallel: 3, limit: 50 });
  assert.is(limited.shape[0], 50);
});

test('Date, ISO-8601 and relative times resolve through the timestamp index', async () => {
  const cut = T0 + 100_000;
  const a = await kafka.topic('positions').read({ from: new Date(cut) });
  assert.equal(seqs(a), rows.filter((r) => r.ts >= cut).map((r) => r.seq));
  const b = await kafka.topic('positions').read({ from: new Date(T0 + 50_000).toISOString(), to: new Date(cut) });
  assert.equal(seqs(b), rows.filter((r) => r.ts >= T0 + 50_000 && r.ts < cut).map((r) => r.seq));
  const before = Date.now();
  const c = await kafka.topic('positions').read({ from: '-2m' });
  const lo = rows.filter((r) => r.ts >= before - 120_000).length;
  assert.ok(c.shape[0] <= lo && c.shape[0] >= lo - 3, `${c.shape[0]} rows in the last 2 minutes (expected about ${lo})`);
  assert.ok(recordsOf(c).every((r) => (r.ts as number) >= before - 121_000));
  assert.is((await kafka.topic('positions').read({ from: '-7d' })).shape[0], N);
  assert.is((await kafka.topic('positions').read({ from: '-2h', to: '-1h' })).shape[0], 0);
});

test('bad JSON in the middle of a topic is counted and reported, not fatal', async () => {
  await kafka.createTopic('mixed', { partitions: 1 });
  const producer = await kafka.producer();
  const good = (i: number) => ({ key: 'k', value: JSON.stringify({ i, v: i * 1.5 }) });
  await producer.send({
    topic: 'mixed',
    messages: [...[0, 1, 2, 3, 4].map(good), { key: 'k', value: '{"i": 5, "v": ' }, { key: 'k', value: 'not json' }, { key: 'k', value: null }, ...[8, 9].map(good)],
  });
  const df = await kafka.topic('mixed').read();
  assert.equal(recordsOf(df).map((r) => r.i), [0, 1, 2, 3, 4, 8, 9]);
  const report = readReport(df)!;
  assert.equal([report.records, report.rows, report.failed], [10, 7, 3]);
  assert.equal(report.failures, { 'invalid JSON': 2, 'null value': 1 });
  assert.equal(report.samples.map((s) => s.offset), [5, 6, 7]);
  assert.equal(Array.from(columnsOf(df, ['v']).v), [0, 1.5, 3, 4.5, 6, 12, 13.5]);
  const asText = await kafka.topic('mixed').read({ format: 'string' });
  assert.is(asText.shape[0], 10);
  assert.is(recordsOf(asText)[6].value, 'not json');
});

test('unknown topics suggest the closest name; topics() summarises the cluster', async () => {
  try {
    await kafka.topic('position').read();
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /Topic "position" does not exist \(did you mean "positions"\?\)/);
  }
  const t = recordsOf(await kafka.topics());
  const p = t.find((r) => r.topic === 'positions')!;
  assert.equal([p.partitions, p.messages, p.firstTimestamp, p.lastTimestamp], [3, N, new Date(T0).toISOString(), new Date(T0 + (N - 1) * 1000).toISOString()]);
  await kafka.createTopic('scratch');
  await kafka.deleteTopic('scratch');
  assert.not.ok(recordsOf(await kafka.topics()).some((r) => r.topic === 'scratch'));
});

test('an unreachable cluster says what to do', async () => {
  try {
    await connect({ brokers: '127.0.0.1:1', connectionTimeout: 300 });
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /Cannot reach Kafka at 127\.0\.0\.1:1 \(ECONNREFUSED\); set KAFKA_BROKERS or omit it to use the embedded broker/);
  }
});

test.run();
