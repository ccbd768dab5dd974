// Request memory under hostile clients, with small limits so the test is quick: a broker-wide
// budget that pauses reading instead of buffering, large frames leaving headroom to ordinary
// clients, a per-connection share, and frames that must arrive whole within frameTimeoutMs.
import * as net from 'net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type Broker } from '../../sdk/broker';
import type { Logger } from '../../sdk/util/log';
import { ProduceRequest, ProduceResponse } from '../../sdk/protocol/messages/produce';
import { encodeRecordBatch } from '../../sdk/protocol/record-batch';
import { rawClient } from './wire';

const MiB = 1024 * 1024;

function capture(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const logger: Logger = { debug() {}, info() {}, error() {}, warn: (m: string) => void warnings.push(m), child: () => logger };
  return { logger, warnings };
}

/** A socket that declares a frame of `size` bytes and sends `send` bytes of it, then stalls. */
function hostile(port: number, size: number, send: number): Promise<{ socket: net.Socket; closed: Promise<number> }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      const head = Buffer.alloc(4);
      head.writeInt32BE(size);
      socket.write(head);
      const chunk = Buffer.alloc(64 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < send) {
          const n = Math.min(chunk.length, send - sent);
          sent += n;
          if (!socket.write(chunk.subarray(0, n))) return void socket.once('drain', pump);
        }
      };
      pump();
      const started = Date.now();
      resolve({ socket, closed: new Promise((r) => socket.once('close', () => r(Date.now() - started))) });
    });
    socket.on('error', () => {});
  });
}

async function until(what: string, fn: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('the budget holds large partial frames to its share, others wait paused; small requests keep being served', async () => {
  const { logger, warnings } = capture();
  const broker: Broker = await startBroker({ port: 0, maxFrameBytes: 2 * MiB, memory: { queuedMaxRequestBytes: 4 * MiB, frameTimeoutMs: 1500 }, logger });
  try {
    // Each declares 1.9 MiB and sends 1 MiB of it: the large-frame share (3.5 MiB) fits one.
    const a = await hostile(broker.port, 1.9 * MiB, MiB);
    const b = await hostile(broker.port, 1.9 * MiB, MiB);
    const c = await hostile(broker.port, 1.9 * MiB, MiB);
    await until('one frame reserved and two waiting', () => broker.requestMemory.waitingConnections === 2);
    assert.ok(broker.requestMemory.usedBytes <= 3.5 * MiB);
    // Ordinary clients are served from the headroom meanwhile.
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < 5; i++) await producer.send({ topic: 'served', messages: [{ key: 'k', value: `v${i}` }] });
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    assert.equal((await admin.fetchTopicOffsets('served'))[0].high, '5');
    await admin.disconnect();
    assert.ok(broker.requestMemory.waitingConnections >= 1, 'the hostile frames are still held off');
    // Each stalled frame is closed after frameTimeoutMs; the waiting ones get their turn, then close too.
    await Promise.all([a.closed, b.closed, c.closed]);
    assert.ok(warnings.filter((w) => /frame of \d+ bytes not complete after 1500 ms/.test(w)).length === 3, warnings.join('\n'));
    assert.ok(broker.requestMemory.peakBytes <= 4 * MiB, `peak ${broker.requestMemory.peakBytes}`);
    await until('memory released', () => broker.requestMemory.usedBytes === 0);
  } finally {
    await broker.stop();
  }
});

test('a frame larger than the large-frame share is read when nothing else holds memory; whole frames are answered', async () => {
  const broker = await startBroker({ port: 0, maxFrameBytes: 3 * MiB, memory: { queuedMaxRequestBytes: 4 * MiB, connectionMaxRequestBytes: 3 * MiB } });
  try {
    const c = await rawClient(broker.port);
    const records = encodeRecordBatch([{ key: Buffer.from('k'), value: Buffer.alloc(2.5 * MiB, 7) }]);
    const produce = (n: number) =>
      c.request(0, 7, (w) => ProduceRequest.encode(w, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'big', partitionData: [{ index: 0, records: n === 0 ? records : Buffer.from(records) }] }] }, 7));
    const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'big', numPartitions: 1 }] });
    await admin.disconnect();
    // Two pipelined 2.5 MiB requests on one connection: its share (3 MiB) takes one at a time.
    const [r1, r2] = await Promise.all([produce(0), produce(1)]);
    assert.is(ProduceResponse.decode(r1, 7).responses[0].partitionResponses[0].baseOffset, 0);
    assert.is(ProduceResponse.decode(r2, 7).responses[0].partitionResponses[0].baseOffset, 1);
    assert.ok(broker.requestMemory.peakBytes <= 3 * MiB + 1024, `peak ${broker.requestMemory.peakBytes}`);
    c.close();
  } finally {
    await broker.stop();
  }
});

test('a connection that sends a size and nothing more is closed after frameTimeoutMs; a slow but timely frame is not', async () => {
  const { logger, warnings } = capture();
  const broker = await startBroker({ port: 0, memory: { frameTimeoutMs: 600 }, logger });
  try {
    const silent = await hostile(broker.port, 1000, 0);
    await silent.closed;
    assert.match(warnings.join('\n'), /frame of 1004 bytes not complete after 600 ms \(4 received/);
    // ApiVersions v0 sent in two halves 300 ms apart: within the timeout, answered.
    const socket = net.connect(broker.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const frame = Buffer.from([0, 0, 0, 10, 0, 18, 0, 0, 0, 0, 0, 7, 0xff, 0xff]);
    const answer = new Promise<Buffer>((r) => socket.once('data', r));
    socket.write(frame.subarray(0, 6));
    await new Promise((r) => setTimeout(r, 300));
    socket.write(frame.subarray(6));
    const res = await answer;
    assert.is(res.readInt32BE(4), 7, 'correlation id answered');
    socket.destroy();
  } finally {
    await broker.stop();
  }
});

test('memory options are checked at start with a message saying what to change', async () => {
  try {
    await startBroker({ port: 0, maxFrameBytes: 10 * MiB, memory: { queuedMaxRequestBytes: 5 * MiB } });
    assert.unreachable();
  } catch (err) {
    assert.match((err as Error).message, /queuedMaxRequestBytes \(5242880\) must be at least maxFrameBytes \+ 1 MiB/);
  }
});

test.run();
