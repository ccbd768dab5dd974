/**
 * The raw route (record batches decoded in place) and kafkajs's regular fetch must give the
 * same frame and the same report on the same topic; the raw fetcher's retries; the fallback.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { startBroker, type Broker } from '../../sdk/broker';
import { connect, type KafkaConnection } from '../../sdk/kafka/connect';
import { readTopicWith, type ReadOptions } from '../../sdk/kafka/read';
import { RawFetcher } from '../../sdk/kafka/fetch-raw';
import { ClusterClient } from '../../sdk/kafka/adapter';
import { readReport, recordsOf, type DataFrame } from '../../sdk/frame/dataframe';
import { FetchRequest, FetchResponse } from '../../sdk/protocol/messages/fetch';
import type { In } from '../../sdk/protocol/schema';
import { Reader } from '../../sdk/protocol/reader';
import { Writer } from '../../sdk/protocol/writer';
import { encodeRecordBatch } from '../../sdk/protocol/record-batch';

let broker: Broker;
let kafka: KafkaConnection;

test.before(async () => {
  broker = await startBroker({ port: 0 });
  kafka = await connect({ brokers: broker.bootstrap });
  await kafka.createTopic('paths', { partitions: 3 });
  const rows = Array.from({ length: 600 }, (_, i) => ({
    carId: `car-${i % 7}`,
    seq: i,
    speed: i % 3 === 0 ? i : i / 8,
    ok: i % 2 === 0,
    note: i % 50 === 0 ? null : `n é ${i % 11}`,
    pos: { lat: 52 + i / 1000, lon: 13 },
    mixed: i < 300 ? i : `s${i}`,
  }));
  await kafka.topic('paths').produce(rows, { key: 'carId' });
  const producer = await kafka.producer();
  const odd = [
    { key: 'a', value: '{"i": 1, "esc": "q\\"uote"}', headers: { source: 'test', twice: ['1', '2'] } },
    { key: null, value: 'not json' },
    { key: 'b', value: null },
    { key: 'c', value: '[1,2]' },
    { key: 'd', value: '{"i":2,"i":3}' },
    { key: 'e', value: '  {"i" : 4 , "arr":[1,{"x":2}]}  ' },
  ];
  await producer.send({ topic: 'paths', messages: odd.map((m, i) => ({ ...m, partition: i % 3 })) });
  const gz = Array.from({ length: 300 }, (_, i) => ({ key: `g${i % 5}`, value: JSON.stringify({ seq: 1000 + i, speed: i * 0.25, pad: 'x'.repeat(40) }), partition: i % 3 }));
  await producer.send({ topic: 'paths', compression: CompressionTypes.GZIP, messages: gz });
});

test.after(async () => {
  await kafka?.close();
  await broker?.stop();
});

function same(raw: DataFrame, viaKafkajs: DataFrame, what: string) {
  assert.equal(raw.columns, viaKafkajs.columns, `${what}: columns`);
  assert.equal(raw.dtypes, viaKafkajs.dtypes, `${what}: dtypes`);
  assert.equal(recordsOf(raw), recordsOf(viaKafkajs), `${what}: rows`);
  const r1 = { ...readReport(raw)!, elapsedMs: 0 };
  const r2 = { ...readReport(viaKafkajs)!, elapsedMs: 0 };
  assert.equal(r1, r2, `${what}: report`);
}

test('raw and kafkajs routes give the same frame and report', async () => {
  const cases: [string, ReadOptions][] = [
    ['everything', {}],
    ['headers', { headers: true }],
    ['from an offset inside gzip batches', { from: 210 }],
    ['offset map and end', { from: { 0: 3, 2: 150 }, to: 205 }],
    ['one partition', { partitions: [1] }],
    ['strings', { format: 'string' }],
    ['bytes', { format: 'bytes' }],
    ['projection', { columns: ['seq', 'pos.lat', 'mixed'] }],
    ['small fetches', { fetchBytes: 512 }],
    ['decode threads', { parallel: 2 }],
    ['decode threads, headers, projection, from inside gzip batches', { parallel: 3, headers: true, columns: ['seq', 'pos.lat', 'mixed', 'esc'], from: 210 }],
    ['nothing to read', { from: 'latest', headers: true }],
  ];
  for (const [what, opts] of cases) {
    const raw = await readTopicWith(kafka, 'paths', opts, 'raw');
    const viaKafkajs = await readTopicWith(kafka, 'paths', opts, 'kafkajs');
    same(raw, viaKafkajs, what);
  }
  const all = await readTopicWith(kafka, 'paths', {}, 'raw');
  const report = readReport(all)!;
  assert.is(report.records, 906);
  assert.equal(report.failures, { 'invalid JSON': 1, 'null value': 1 });
  assert.ok(report.warnings.some((w) => /"mixed" has mixed types/.test(w)));
  const rows = recordsOf(all);
  assert.is(rows.length, 904);
  const order = rows.map((r) => [r._partition as number, r._offset as number]);
  assert.equal(order, [...order].sort((a, b) => a[0] - b[0] || a[1] - b[1]), 'rows in partition, offset order');
  assert.equal(rows.filter((r) => (r.seq as number) >= 1000).length, 300, 'gzip records read');
  assert.is(rows.find((r) => r.esc !== null && r.esc !== undefined)!.esc, 'q"uote');
  assert.equal((await readTopicWith(kafka, 'paths', { from: 'latest' }, 'raw')).columns, ['_key', '_partition', '_offset', '_timestamp']);
  const limited = await readTopicWith(kafka, 'paths', { limit: 17 }, 'raw');
  assert.is(limited.shape[0], 17);
});

test('a cluster without Fetch v4 (or old-format records) is read through kafkajs', async () => {
  // Brokers that report Fetch v0-3 only: the raw route declines, the kafkajs route reads.
  const apiVersions = ClusterClient.prototype.apiVersions;
  ClusterClient.prototype.apiVersions = async function (this: ClusterClient, nodeId: number, apiKey: number) {
    return apiKey === 1 ? { min: 0, max: 3 } : apiVersions.call(this, nodeId, apiKey);
  };
  let viaKafkajs: DataFrame;
  try {
    try {
      await readTopicWith(kafka, 'paths', {}, 'raw');
      assert.unreachable();
    } catch (e) {
      assert.match((e as Error).message, /raw fetch unavailable: broker \d+ supports Fetch v0-3/);
    }
    viaKafkajs = await readTopicWith(kafka, 'paths', {}, 'auto');
  } finally {
    ClusterClient.prototype.apiVersions = apiVersions;
  }
  same(viaKafkajs, await readTopicWith(kafka, 'paths', {}, 'raw'), 'fallback');
});

function lz4StoredFrame(data: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeUInt32LE((data.length | 0x80000000) >>> 0);
  return Buffer.concat([Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x70, 0x73]), size, data, Buffer.alloc(4)]);
}

function lz4StoredBlocks(frame: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let at = 7; frame.readUInt32LE(at) !== 0; ) {
    const size = frame.readUInt32LE(at) & 0x7fffffff;
    parts.push(frame.subarray(at + 4, at + 4 + size));
    at += 4 + size;
  }
  return Buffer.concat(parts);
}

test('batches in a codec registered with kafkajs are decompressed by that codec', async () => {
  // A stand-in LZ4 codec registered the way kafkajs-lz4 registers itself: it writes valid LZ4
  // frames (blocks stored uncompressed), which the broker reads like any LZ4 (it recomputes
  // MaxTimestamp from the records), and decodes them with its own stored-block reader.
  const calls = { decompress: 0 };
  const codecs = CompressionCodecs as unknown as Record<number, () => { compress(e: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> }>;
  codecs[CompressionTypes.LZ4] = () => ({
    compress: async (encoder: { buffer: Buffer }) => lz4StoredFrame(encoder.buffer),
    decompress: async (b: Buffer) => {
      calls.decompress++;
      return lz4StoredBlocks(b);
    },
  });
  try {
    await kafka.createTopic('fake-lz4', { partitions: 2 });
    const producer = await kafka.producer();
    await producer.send({ topic: 'fake-lz4', compression: CompressionTypes.LZ4, messages: Array.from({ length: 50 }, (_, i) => ({ key: `k${i % 2}`, value: JSON.stringify({ i }) })) });
    const raw = await readTopicWith(kafka, 'fake-lz4', { from: 1 }, 'raw');
    assert.ok(calls.decompress > 0, 'the registered codec decompressed the raw route\'s batches');
    same(raw, await readTopicWith(kafka, 'fake-lz4', { from: 1 }, 'kafkajs'), 'registered codec');
    assert.is(raw.shape[0], 50 - new Set(recordsOf(raw).map((r) => r._partition)).size, 'all but each partition\'s first record');
  } finally {
    delete codecs[CompressionTypes.LZ4];
  }
});

test('reads close every connection they open (two lanes share one fetch connection)', async () => {
  const sockets = () =>
    (process as unknown as { _getActiveHandles(): { constructor?: { name: string }; remotePort?: number; destroyed?: boolean }[] })
      ._getActiveHandles()
      .filter((h) => h.constructor?.name === 'Socket' && h.remotePort === broker.port && !h.destroyed).length;
  const before = sockets();
  for (let i = 0; i < 3; i++) await readTopicWith(kafka, 'paths', {}, 'raw');
  await new Promise((r) => setTimeout(r, 100));
  assert.is(sockets(), before);
});

/** A stand-in for kafkajs's cluster whose one broker answers with the given partition error codes, round after round. */
function fakeCluster(rounds: (number | 'drop')[][]) {
  const batches = [0, 1].map((p) => encodeRecordBatch([{ key: null, value: Buffer.from(`{"p":${p}}`), timestamp: 1 }], { baseOffset: 5 }));
  let round = 0;
  const calls = { refreshes: 0, requests: [] as number[][] };
  const broker = {
    versions: { 1: { minVersion: 0, maxVersion: 12 } },
    lookupRequest: () => assert.unreachable('a fetch does not look up kafkajs request definitions'),
    connectionPool: {
      async send(protocol: { request: { apiVersion: number; encode(): Promise<{ buffer: Buffer }> }; response: { decode(b: Buffer): Promise<unknown>; parse(x: unknown): Promise<unknown> } }) {
        const version = protocol.request.apiVersion;
        const req = FetchRequest.decode(new Reader((await protocol.request.encode()).buffer), version);
        const parts = req.topics[0].partitions;
        calls.requests.push(parts.map((p) => p.partition));
        const codes = rounds[Math.min(round++, rounds.length - 1)];
        if (codes.includes('drop')) throw Object.assign(new Error('Connection closed'), { name: 'KafkaJSConnectionClosedError', retriable: true });
        const res: In<typeof FetchResponse> = {
          throttleTimeMs: 0,
          errorCode: 0,
          sessionId: 0,
          responses: [
            {
              topic: 't',
              partitions: parts.map((p) => ({
                partitionIndex: p.partition,
                errorCode: codes[p.partition] as number,
                highWatermark: 6,
                lastStableOffset: 6,
                logStartOffset: 0,
                abortedTransactions: null,
                preferredReadReplica: -1,
                records: codes[p.partition] === 0 ? batches[p.partition] : Buffer.alloc(0),
              })),
            },
          ],
        };
        const w = new Writer();
        FetchResponse.encode(w, res, version);
        return protocol.response.parse(await protocol.response.decode(w.toBuffer()));
      },
    },
  };
  const fake = {
    findLeaderForPartitions: (_t: string, ps: number[]) => ({ 1: ps }),
    findBroker: async () => broker,
    refreshMetadata: async () => void calls.refreshes++,
  };
  // The adapter's client over the stand-in; no private send on it, so requests go through the pool.
  const cluster = new ClusterClient(fake as never, { sendRequest: Symbol('none') } as never);
  return { cluster, calls };
}

test('raw fetches retry leader errors and dropped connections after a metadata refresh', async () => {
  const wants = new Map([0, 1].map((p) => [p, { offset: 5, maxBytes: 1024 }]));
  const moved = fakeCluster([[6, 0], [0, 0]]);
  const got = await new RawFetcher(moved.cluster, 't').fetch(wants);
  assert.equal(got.map((p) => [p.partition, p.errorCode, p.records.length > 0]).sort(), [[0, 0, true], [1, 0, true]]);
  assert.equal(moved.calls.requests, [[0, 1], [0]], 'only the partition that moved is fetched again');
  assert.is(moved.calls.refreshes, 1);
  const dropped = fakeCluster([['drop'], [0, 0]]);
  assert.is((await new RawFetcher(dropped.cluster, 't').fetch(wants)).length, 2);
  const broken = fakeCluster([[0, 29]]);
  try {
    await new RawFetcher(broken.cluster, 't').fetch(wants);
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /partition 1 of "t" failed: TOPIC_AUTHORIZATION_FAILED/);
  }
  const leaderless = fakeCluster([[5, 0]]);
  try {
    await new RawFetcher(leaderless.cluster, 't').fetch(wants);
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /partitions 0 of "t" still failed after 6 attempts \(LEADER_NOT_AVAILABLE\)/);
  }
});

test.run();
