// Sends >= 10,000 random and mutated frames at the broker while a kafkajs producer and consumer
// keep working on another topic: bad input may close the fuzzing connections, nothing else.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as net from 'net';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker } from '../../sdk/broker';
import { consoleLogger } from '../../sdk/util/log';
import { Writer } from '../../sdk/protocol/writer';
import { encodeRequestHeader } from '../../sdk/protocol/header';
import { encodeRecordBatch } from '../../sdk/protocol/record-batch';
import { ProduceRequest } from '../../sdk/protocol/messages/produce';
import { FetchRequest } from '../../sdk/protocol/messages/fetch';
import { MetadataRequest } from '../../sdk/protocol/messages/metadata';
import { ListOffsetsRequest } from '../../sdk/protocol/messages/list-offsets';
import { CreateTopicsRequest } from '../../sdk/protocol/messages/create-topics';
import { DeleteTopicsRequest } from '../../sdk/protocol/messages/delete-topics';
import { InitProducerIdRequest } from '../../sdk/protocol/messages/init-producer-id';

const FRAMES = 10_000;
const WORKERS = 6;

// Deterministic PRNG so a failure can be replayed (mulberry32).
let seed = Number(process.env.FUZZ_SEED ?? 20261124);
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const int = (n: number) => Math.floor(rand() * n);

function frame(apiKey: number, version: number, body: (w: Writer) => void, flexible = false): Buffer {
  const w = new Writer().int32(0);
  encodeRequestHeader(w, { apiKey, apiVersion: version, correlationId: int(1e6), clientId: 'fuzz' }, flexible ? 2 : 1);
  body(w);
  const b = w.toBuffer();
  b.writeInt32BE(b.length - 4, 0);
  return b;
}

const batch = encodeRecordBatch([{ key: Buffer.from('k'), value: Buffer.from('fuzz value') }, { key: null, value: Buffer.from('2') }]);
const seeds: Buffer[] = [
  frame(18, 0, () => {}),
  frame(18, 3, (w) => w.compactString('fuzz').compactString('1').taggedFields(), true),
  frame(3, 0, (w) => MetadataRequest.encode(w, { topics: [{ name: 'fuzz-target' }], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }, 0)),
  frame(3, 8, (w) => MetadataRequest.encode(w, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: true, includeTopicAuthorizedOperations: true }, 8)),
  frame(0, 8, (w) => ProduceRequest.encode(w, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'fuzz-target', partitionData: [{ index: 0, records: batch }] }] }, 8)),
  frame(0, 3, (w) => ProduceRequest.encode(w, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'fuzz-target', partitionData: [{ index: 0, records: batch }] }] }, 3)),
  frame(1, 11, (w) => FetchRequest.encode(w, { replicaId: -1, maxWaitMs: 5, minBytes: 1, maxBytes: 65536, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: 'fuzz-target', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 65536 }] }], forgottenTopicsData: [], rackId: '' }, 11)),
  frame(1, 4, (w) => FetchRequest.encode(w, { replicaId: -1, maxWaitMs: 5, minBytes: 1, maxBytes: 65536, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: 'fuzz-target', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 1, logStartOffset: -1, partitionMaxBytes: 65536 }] }], forgottenTopicsData: [], rackId: '' }, 4)),
  frame(2, 5, (w) => ListOffsetsRequest.encode(w, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'fuzz-target', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: Date.now(), maxNumOffsets: 1 }] }] }, 5)),
  frame(2, 0, (w) => ListOffsetsRequest.encode(w, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'fuzz-target', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1, maxNumOffsets: 1 }] }] }, 0)),
  frame(19, 4, (w) => CreateTopicsRequest.encode(w, { topics: [{ name: 'fuzz-created', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: '1000' }] }], timeoutMs: 100, validateOnly: false }, 4)),
  frame(20, 3, (w) => DeleteTopicsRequest.encode(w, { topicNames: ['fuzz-created'], timeoutMs: 100 }, 3)),
  frame(22, 1, (w) => InitProducerIdRequest.encode(w, { transactionalId: null, transactionTimeoutMs: 1000 }, 1)),
];

function mutate(): Buffer {
  const kind = int(10);
  if (kind === 0) return Buffer.from(Array.from({ length: int(64) }, () => int(256))); // pure noise
  const b = Buffer.from(seeds[int(seeds.length)]);
  if (kind === 1) return b; // a valid request now and then keeps connections alive longer
  if (kind === 2) return b.subarray(0, int(b.length)); // truncated (size prefix then lies)
  if (kind === 3) {
    b.writeInt32BE(int(2) ? -int(1000) : int(1 << 30), 0); // lying size prefix
    return b;
  }
  if (kind === 4) {
    b.writeInt16BE(int(2) ? int(70) : int(65536) - 32768, 4); // other or unknown API key
    return b;
  }
  if (kind === 5) {
    b.writeInt16BE(int(40) - 5, 6); // unsupported versions
    return b;
  }
  // Flip bytes after the size prefix, fixing the size so the frame is complete but wrong.
  const flips = 1 + int(kind === 9 ? 20 : 3);
  for (let i = 0; i < flips; i++) b[4 + int(b.length - 4)] = int(256);
  if (kind === 8) b.writeInt32BE(b.length - 4, 0);
  return b;
}

function fuzzWorker(port: number, frames: number): Promise<{ sent: number; closedByBroker: number }> {
  return new Promise((resolve) => {
    let sent = 0;
    let closedByBroker = 0;
    let socket: net.Socket | null = null;
    let timer: NodeJS.Timeout | null = null;
    const next = () => {
      if (timer) clearTimeout(timer);
      if (sent >= frames) {
        socket?.destroy();
        return resolve({ sent, closedByBroker });
      }
      if (!socket || socket.destroyed) {
        const s = net.connect(port, '127.0.0.1');
        socket = s;
        s.on('error', () => {});
        s.on('data', () => setImmediate(next));
        s.on('close', () => {
          if (s === socket) {
            closedByBroker++;
            socket = null;
            setImmediate(next);
          }
        });
        s.once('connect', send);
        return;
      }
      send();
    };
    const send = () => {
      const s = socket!;
      sent++;
      s.write(mutate());
      // No answer (acks=0, a frame still waiting for bytes, a held fetch): move on to a new connection.
      timer = setTimeout(() => {
        if (socket === s) {
          socket = null;
          s.destroy();
        }
        next();
      }, 25);
    };
    next();
  });
}

test(`${FRAMES} random and mutated frames while kafkajs keeps producing and consuming`, async () => {
  const brokerErrors: string[] = [];
  const logger = consoleLogger({ level: 'error', write: (line) => brokerErrors.push(line) });
  const broker = await startBroker({ port: 0, partitions: 2, logger });
  const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'fuzz-survivor', logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const admin = kafka.admin();
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: 'fuzz-survivors', maxWaitTimeInMs: 100 });
  const errors: unknown[] = [];
  const received = new Set<string>();
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'fuzz-live', numPartitions: 2 }] });
    await Promise.all([producer.connect(), consumer.connect()]);
    await consumer.subscribe({ topic: 'fuzz-live', fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void received.add(message.value!.toString()) });
    consumer.on(consumer.events.CRASH, (e) => errors.push(e.payload.error));
    let sent = 0;
    let fuzzing = true;
    const traffic = (async () => {
      while (fuzzing) {
        const batch = Array.from({ length: 10 }, () => ({ value: `m${sent++}` }));
        await producer.send({ topic: 'fuzz-live', messages: batch }).catch((e) => errors.push(e));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const perWorker = Math.ceil(FRAMES / WORKERS);
    const results = await Promise.all(Array.from({ length: WORKERS }, () => fuzzWorker(broker.port, perWorker)));
    fuzzing = false;
    await traffic;
    const total = results.reduce((n, r) => n + r.sent, 0);
    assert.ok(total >= FRAMES, `sent ${total}`);
    assert.ok(results.reduce((n, r) => n + r.closedByBroker, 0) > 100, 'the broker closed connections on bad input');
    // Everything the survivor produced is consumed, in a bounded wait.
    for (let i = 0; i < 200 && received.size < sent; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(errors, []);
    // Handlers must turn any decodable request into error codes: a thrown error is a bug.
    assert.equal(brokerErrors.slice(0, 3), [], `${brokerErrors.length} handler failures`);
    assert.is(received.size, sent, `consumed ${received.size} of ${sent}`);
    assert.ok(sent > 50, `the survivor produced only ${sent} records`);
  } finally {
    await consumer.disconnect().catch(() => {});
    await producer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
    await broker.stop();
  }
});

test.run();
