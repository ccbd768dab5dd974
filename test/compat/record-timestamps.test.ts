// Record timestamps in real clients' compressed batches: confluent-kafka (librdkafka 2.0.2)
// produces gzip, snappy, lz4 and zstd batches with out-of-order timestamps; the broker decodes
// them to compute MaxTimestamp, and offsets by time (kcat -Q) land on the exact record. Then the
// same stored bytes with their MaxTimestamp replaced by -1 (what sarama 1.22 sends) are appended
// to a fresh log: the recomputed value must equal librdkafka's own.
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startBroker, type Broker } from '../../sdk/broker';
import { PartitionLog } from '../../sdk/broker/log';
import { canDecompress } from '../../sdk/broker/log/codecs';
import { crc32c } from '../../sdk/protocol/crc32c';
import { FetchRequest, FetchResponse } from '../../sdk/protocol/messages/fetch';
import { readBatchHeader } from '../../sdk/protocol/record-batch';
import { rawClient } from '../broker/wire';
import { tempDir } from '../broker/log/batches';
import { runKcat, runPython, succeeded } from './helpers';

let broker: Broker;
test.before(async () => {
  broker = await startBroker({ port: 0 });
});
test.after(async () => {
  await broker.stop();
});

const bootstrap = () => `127.0.0.1:${broker.port}`;
const BASE = 1_700_000_000_000;
/** Out of order on purpose: the batch's maximum is not its last record. */
const tsOf = (i: number) => BASE + ((i * 7919) % 1000) * 10;

async function storedBatches(topic: string): Promise<Buffer[]> {
  const c = await rawClient(broker.port);
  try {
    const r = await c.request(1, 11, (w) =>
      FetchRequest.encode(w, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 8 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 8 << 20 }] }], forgottenTopicsData: [], rackId: '' }, 11));
    const records = FetchResponse.decode(r, 11).responses[0].partitions[0].records!;
    const out: Buffer[] = [];
    for (let at = 0; at < records.length; at += 12 + records.readInt32BE(at + 8)) out.push(Buffer.from(records.subarray(at, at + 12 + records.readInt32BE(at + 8))));
    return out;
  } finally {
    c.close();
  }
}

for (const codec of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
  test(`${codec}: MaxTimestamp from the records of librdkafka's batches; offsets by time exact`, async () => {
    const topic = `ts-${codec}`;
    const n = 600;
    succeeded(
      await runPython(bootstrap(), `
import os
from confluent_kafka import Producer
p = Producer({'bootstrap.servers': os.environ['BOOTSTRAP'], 'compression.type': '${codec}', 'linger.ms': 50, 'batch.num.messages': 200})
for i in range(${n}):
    p.produce('${topic}', value=(b'${codec}-%d-' % i) + b'x' * (i % 40), partition=0, timestamp=${BASE} + ((i * 7919) % 1000) * 10)
assert p.flush(20) == 0
`),
      'python producer',
    );
    const batches = await storedBatches(topic);
    const codecs = new Set(batches.map((b) => readBatchHeader(b).attributes & 7));
    assert.ok(codecs.has(['gzip', 'snappy', 'lz4', 'zstd'].indexOf(codec) + 1), `stored ${codec} batches (${[...codecs]})`);
    let offset = 0;
    for (const b of batches) {
      const h = readBatchHeader(b);
      const expected = Math.max(...Array.from({ length: h.lastOffsetDelta + 1 }, (_, i) => tsOf(offset + i)));
      if (codec !== 'zstd' || canDecompress(4)) assert.is(h.maxTimestamp, expected, `batch at ${offset}`);
      offset += h.lastOffsetDelta + 1;
    }
    assert.is(offset, n);
    // The first offset whose timestamp is >= the target, for a few targets (kcat -Q asks ListOffsets).
    for (const target of [BASE + 4005, BASE + 9990, BASE + 123]) {
      const first = Array.from({ length: n }, (_, i) => i).find((i) => tsOf(i) >= target)!;
      const q = succeeded(await runKcat(bootstrap(), ['-Q', '-t', `${topic}:0:${target}`]), 'kcat -Q');
      if (codec !== 'zstd' || canDecompress(4)) assert.match(q, new RegExp(`offset ${first}\\b`), `target ${target}: ${q}`);
    }

    // sarama's claim: the same bytes with MaxTimestamp -1, appended to a fresh log.
    const { dir, remove } = tempDir('ts-compat');
    const log = PartitionLog.open(path.join(dir, 't-0'), 't', 0);
    try {
      for (const original of batches) {
        const b = Buffer.from(original);
        b.writeBigInt64BE(-1n, 35);
        b.writeUInt32BE(crc32c(b, 21), 17);
        const at = log.nextOffset;
        log.append(b, 0);
        const stored = log.read(at, 1);
        const want = readBatchHeader(original).maxTimestamp;
        if (codec === 'zstd' && !canDecompress(4)) {
          assert.is(readBatchHeader(stored).maxTimestamp, readBatchHeader(original).baseTimestamp, 'fallback: base timestamp');
        } else assert.is(readBatchHeader(stored).maxTimestamp, want, 'recomputed');
        assert.is(crc32c(stored, 21, 12 + stored.readInt32BE(8)), stored.readUInt32BE(17), 'CRC');
      }
    } finally {
      log.close();
      remove();
    }
  });
}

test.run();
