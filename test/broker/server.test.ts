import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startBroker, type Broker } from '../../sdk/broker';
import { rawClient } from './wire';
import { ApiVersionsResponse } from '../../sdk/protocol/messages/api-versions';
import { MetadataResponse, MetadataRequest } from '../../sdk/protocol/messages/metadata';
import { ProduceResponse, ProduceRequest } from '../../sdk/protocol/messages/produce';
import { FetchResponse, FetchRequest } from '../../sdk/protocol/messages/fetch';
import type { In } from '../../sdk/protocol/schema';
import { ListOffsetsResponse, ListOffsetsRequest } from '../../sdk/protocol/messages/list-offsets';
import { encodeRecordBatch, decodeRecords } from '../../sdk/protocol/record-batch';
import { Writer } from '../../sdk/protocol/writer';

let broker: Broker;
test.before(async () => {
  broker = await startBroker({ port: 0, maxFrameBytes: 1024 * 1024 });
});
test.after(async () => {
  await broker.stop();
});

const produce = (topic: string, partition: number, records: Buffer, acks = -1) => (w: Writer) =>
  ProduceRequest.encode(w, { transactionalId: null, acks, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] }, 8);
const fetchReq = (topic: string, offset: number, extra: Partial<In<typeof FetchRequest>> = {}): In<typeof FetchRequest> => ({
  replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
  topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
  forgottenTopicsData: [], rackId: '', ...extra,
});
const metadata = (topics: string[] | null) => (w: Writer) =>
  MetadataRequest.encode(w, { topics: topics && topics.map((name) => ({ name })), allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }, 8);

test('ApiVersions v3 (flexible header) lists the registered APIs; v0 and Metadata v0 pipelined back to back', async () => {
  const c = await rawClient(broker.port);
  const v3 = ApiVersionsResponse.decode(await c.request(18, 3, (w) => w.compactString('test').compactString('1').taggedFields(), { flexibleHeader: true }), 3);
  assert.is(v3.errorCode, 0);
  const keys = new Map(v3.apiKeys.map((k) => [k.apiKey, k]));
  for (const [key, min, max] of [[0, 0, 12], [1, 4, 17], [2, 0, 10], [3, 0, 13], [18, 0, 4], [19, 0, 7], [20, 0, 6], [22, 0, 5]]) {
    assert.equal(keys.get(key), { apiKey: key, minVersion: min, maxVersion: max });
  }
  // kafka-python style: both requests written before any answer is read.
  const [a, m] = await Promise.all([c.request(18, 0, () => {}), c.request(3, 0, (w) => w.int32(0))]);
  assert.is(ApiVersionsResponse.decode(a, 0).errorCode, 0);
  const md = MetadataResponse.decode(m, 0);
  assert.equal(md.brokers.map((b) => b.port), [broker.port]);
  c.close();
});

test('ApiVersions at an unknown version gets a v0 body with error 35 and the full list', async () => {
  const c = await rawClient(broker.port);
  const res = ApiVersionsResponse.decode(await c.request(18, 9, () => {}), 0);
  assert.is(res.errorCode, 35);
  assert.ok(res.apiKeys.some((k) => k.apiKey === 1 && k.maxVersion === 17));
  assert.not.ok(c.isClosed());
  c.close();
});

test('Metadata auto-creates, advertises the bound port, node 0 leads every partition', async () => {
  const c = await rawClient(broker.port);
  const md = MetadataResponse.decode(await c.request(3, 8, metadata(['auto-t'])), 8);
  assert.is(md.controllerId, 0);
  assert.equal(md.brokers, [{ nodeId: 0, host: '127.0.0.1', port: broker.port, rack: null }]);
  assert.is(md.topics[0].errorCode, 0);
  assert.equal(md.topics[0].partitions.map((p) => [p.leaderId, p.replicaNodes, p.isrNodes]), [[0, [0], [0]]]);
  const bad = MetadataResponse.decode(await c.request(3, 8, metadata(['bad name!'])), 8);
  assert.is(bad.topics[0].errorCode, 17);
  c.close();
});

test('Produce -> Fetch: offsets assigned, whole batches back, bad CRC rejected with 2, acks=0 silent', async () => {
  const c = await rawClient(broker.port);
  await c.request(3, 8, metadata(['data']));
  const b1 = encodeRecordBatch([{ key: null, value: Buffer.from('one') }, { key: null, value: Buffer.from('two') }]);
  const r1 = ProduceResponse.decode(await c.request(0, 8, produce('data', 0, b1)), 8);
  assert.equal([r1.responses[0].partitionResponses[0].errorCode, r1.responses[0].partitionResponses[0].baseOffset], [0, 0]);
  const corrupt = Buffer.from(encodeRecordBatch([{ key: null, value: Buffer.from('x') }]));
  corrupt[corrupt.length - 1] ^= 0xff;
  const r2 = ProduceResponse.decode(await c.request(0, 8, produce('data', 0, corrupt)), 8);
  assert.is(r2.responses[0].partitionResponses[0].errorCode, 2);
  c.send(0, 8, produce('data', 0, encodeRecordBatch([{ key: null, value: Buffer.from('three') }]), 0));
  // A failed fire-and-forget produce closes that connection (the producer's only way to learn).
  const fire = await rawClient(broker.port);
  fire.send(0, 8, produce('data', 0, corrupt, 0));
  await Promise.race([fire.closed, new Promise((_, rej) => setTimeout(() => rej(new Error('acks=0 failure kept the connection')), 2000))]);
  const f = FetchResponse.decode(await c.request(1, 11, (w) => FetchRequest.encode(w, fetchReq('data', 1), 11)), 11);
  const p = f.responses[0].partitions[0];
  assert.equal([p.errorCode, p.highWatermark, p.lastStableOffset, p.preferredReadReplica], [0, 3, 3, -1]);
  assert.equal(decodeRecords(p.records!).map((r) => [r.offset, r.value!.toString()]), [[0, 'one'], [1, 'two'], [2, 'three']]);
  // Produce v0-2 is advertised (librdkafka's compression check needs it) but old message formats are refused.
  const v0 = ProduceResponse.decode(await c.request(0, 0, (w) => ProduceRequest.encode(w, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'data', partitionData: [{ index: 0, records: b1 }] }] }, 0)), 0);
  assert.is(v0.responses[0].partitionResponses[0].errorCode, 35);
  const end = FetchResponse.decode(await c.request(1, 11, (w) => FetchRequest.encode(w, fetchReq('data', 3), 11)), 11).responses[0].partitions[0];
  assert.is(end.records!.length, 0);
  const oor = FetchResponse.decode(await c.request(1, 11, (w) => FetchRequest.encode(w, fetchReq('data', 99), 11)), 11).responses[0].partitions[0];
  assert.is(oor.errorCode, 1);
  c.close();
});

test('Fetch long-polls until a produce arrives, and gives up at max_wait', async () => {
  const c = await rawClient(broker.port);
  const p = await rawClient(broker.port);
  await c.request(3, 8, metadata(['poll']));
  const t0 = Date.now();
  const empty = FetchResponse.decode(await c.request(1, 11, (w) => FetchRequest.encode(w, fetchReq('poll', 0, { maxWaitMs: 200 }), 11)), 11);
  assert.ok(Date.now() - t0 >= 180, 'answered before max_wait');
  assert.is(empty.responses[0].partitions[0].records!.length, 0);
  const held = c.request(1, 11, (w) => FetchRequest.encode(w, fetchReq('poll', 0, { maxWaitMs: 10_000 }), 11));
  // A request behind the held fetch on the same connection is answered after it, in order.
  const behind = c.request(18, 2, () => {});
  let heldDone = false;
  held.then(() => (heldDone = true));
  await new Promise((r) => setTimeout(r, 100));
  assert.not.ok(heldDone);
  const t1 = Date.now();
  await p.request(0, 8, produce('poll', 0, encodeRecordBatch([{ key: null, value: Buffer.from('wake') }])));
  const woke = FetchResponse.decode(await held, 11);
  assert.ok(Date.now() - t1 < 2000, 'fetch was not woken by the produce');
  assert.is(decodeRecords(woke.responses[0].partitions[0].records!)[0].value!.toString(), 'wake');
  assert.is(ApiVersionsResponse.decode(await behind, 2).errorCode, 0);
  c.close();
  p.close();
});

test('Fetch with min_bytes waits until enough has been produced, then returns it all', async () => {
  const c = await rawClient(broker.port);
  const p = await rawClient(broker.port);
  await c.request(3, 8, metadata(['minbytes']));
  const held = c.request(1, 11, (w) => FetchRequest.encode(w, fetchReq('minbytes', 0, { maxWaitMs: 10_000, minBytes: 5000 }), 11));
  let done = false;
  held.then(() => (done = true));
  for (let i = 0; i < 9; i++) {
    await p.request(0, 8, produce('minbytes', 0, encodeRecordBatch([{ key: null, value: Buffer.alloc(400, i) }])));
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.not.ok(done, 'answered before min_bytes were available');
  for (let i = 9; i < 14; i++) await p.request(0, 8, produce('minbytes', 0, encodeRecordBatch([{ key: null, value: Buffer.alloc(400, i) }])));
  const res = FetchResponse.decode(await held, 11).responses[0].partitions[0];
  assert.ok(res.records!.length >= 5000);
  assert.ok(decodeRecords(res.records!).length >= 11);
  c.close();
  p.close();
});

test('ListOffsets: earliest, latest, by timestamp, none later', async () => {
  const c = await rawClient(broker.port);
  await c.request(3, 8, metadata(['times']));
  for (const ts of [1000, 2000, 3000]) {
    await c.request(0, 8, produce('times', 0, encodeRecordBatch([{ key: null, value: Buffer.from(String(ts)), timestamp: ts }])));
  }
  const ask = async (timestamp: number) => {
    const r = await c.request(2, 5, (w) => ListOffsetsRequest.encode(w, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'times', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }] }, 5));
    const p = ListOffsetsResponse.decode(r, 5).topics[0].partitions[0];
    return [p.offset, p.timestamp];
  };
  assert.equal(await ask(-2), [0, -1]);
  assert.equal(await ask(-1), [3, -1]);
  assert.equal(await ask(1500), [1, 2000]);
  assert.equal(await ask(2000), [1, 2000]);
  assert.equal(await ask(3001), [-1, -1]);
  c.close();
});

test('bad input closes only that connection: garbage, unknown key, unsupported version, oversized, truncated', async () => {
  const healthy = await rawClient(broker.port);
  const cases: Array<[string, (c: Awaited<ReturnType<typeof rawClient>>) => void]> = [
    ['negative size', (c) => c.sendBytes(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2]))],
    ['oversized frame', (c) => c.sendBytes(Buffer.from([0x7f, 0, 0, 0]))],
    ['unknown api key', (c) => c.send(999, 0, () => {})],
    ['unsupported version', (c) => c.send(1, 3, () => {})],
    ['truncated body', (c) => c.send(3, 8, (w) => w.int32(5))],
    ['lying array length', (c) => c.send(1, 11, (w) => w.int32(-1).int32(0).int32(1).int32(1).int8(0).int32(0).int32(-1).int32(0x7fffffff))],
  ];
  for (const [name, send] of cases) {
    const c = await rawClient(broker.port);
    send(c);
    await Promise.race([c.closed, new Promise((_, rej) => setTimeout(() => rej(new Error(`${name}: connection stayed open`)), 2000))]);
  }
  // A frame that never completes just waits; the broker keeps serving the healthy client.
  const partial = await rawClient(broker.port);
  partial.sendBytes(Buffer.from([0, 0, 0, 50, 0, 3]));
  const res = ApiVersionsResponse.decode(await healthy.request(18, 2, () => {}), 2);
  assert.is(res.errorCode, 0);
  partial.close();
  healthy.close();
});

test('stop() answers held fetches and closes connections promptly', async () => {
  const b = await startBroker({ port: 0 });
  const c = await rawClient(b.port);
  await c.request(3, 8, metadata(['held']));
  const held = c.request(1, 11, (w) => FetchRequest.encode(w, fetchReq('held', 0, { maxWaitMs: 30_000 }), 11)).catch(() => 'closed');
  await new Promise((r) => setTimeout(r, 50));
  assert.is(b.connections, 1);
  const t0 = Date.now();
  await b.stop();
  await held;
  await c.closed;
  assert.ok(Date.now() - t0 < 2000, `stop took ${Date.now() - t0} ms`);
});

test('a client that never reads its responses does not stall others', async () => {
  const b = await startBroker({ port: 0 });
  try {
    const greedy = await rawClient(b.port);
    await greedy.request(3, 8, metadata(['bulk']));
    await greedy.request(0, 8, produce('bulk', 0, encodeRecordBatch([{ key: null, value: Buffer.alloc(500_000, 1) }])));
    // 400 pipelined fetches of ~500 KB each = ~200 MB of responses the client does not read.
    const net = await import('net');
    const sock = net.connect(b.port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    sock.pause();
    const w = new Writer();
    for (let i = 0; i < 400; i++) {
      const f = new Writer().int32(0).int16(1).int16(11).int32(i).nullableString('greedy');
      FetchRequest.encode(f, fetchReq('bulk', 0), 11);
      const buf = f.toBuffer();
      buf.writeInt32BE(buf.length - 4, 0);
      w.raw(buf);
    }
    const rss0 = process.memoryUsage().rss;
    sock.write(w.toBuffer());
    await new Promise((r) => setTimeout(r, 300));
    // Reading paused once the socket's queue was full: far less than the 200 MB asked for is buffered.
    const grew = (process.memoryUsage().rss - rss0) / 1e6;
    assert.ok(grew < 100, `memory grew by ${grew.toFixed(0)} MB`);
    const other = await rawClient(b.port);
    const t0 = Date.now();
    assert.is(ApiVersionsResponse.decode(await other.request(18, 2, () => {}), 2).errorCode, 0);
    assert.ok(Date.now() - t0 < 1000);
    other.close();
    greedy.close();
    sock.destroy();
  } finally {
    await b.stop();
  }
});

test('idle connections are closed after idleConnectionMs; busy ones and held fetches are not', async () => {
  const b = await startBroker({ port: 0, idleConnectionMs: 300 });
  try {
    const idle = await rawClient(b.port);
    const busy = await rawClient(b.port);
    const holder = await rawClient(b.port);
    await holder.request(3, 8, metadata(['idle-t']));
    const held = holder.request(1, 11, (w) => FetchRequest.encode(w, fetchReq('idle-t', 0, { maxWaitMs: 900 }), 11));
    const t0 = Date.now();
    while (Date.now() - t0 < 700) {
      await busy.request(18, 2, () => {});
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(idle.isClosed(), 'the idle connection is still open');
    assert.not.ok(busy.isClosed());
    assert.not.ok(holder.isClosed(), 'a connection with a held fetch was closed');
    assert.is(FetchResponse.decode(await held, 11).responses[0].partitions[0].errorCode, 0);
    busy.close();
    holder.close();
  } finally {
    await b.stop();
  }
});

test('a second broker on the same data dir is refused with a hint; port 0 binds a free port', async () => {
  const fs = await import('fs');
  const os = await import('os');
  const path = await import('path');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-lock-'));
  const first = await startBroker({ port: 0, dataDir: dir });
  try {
    let message = '';
    await startBroker({ port: 0, dataDir: dir }).then((b) => b.stop(), (e: Error) => (message = e.message));
    assert.match(message, /in use.*another dataDir/);
    assert.ok(first.port > 0 && first.bootstrap === `localhost:${first.port}`);
  } finally {
    await first.stop();
  }
  const again = await startBroker({ port: 0, dataDir: dir });
  await again.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test.run();
