// MaxTimestamp and the time index come from the records, not from the client's header claim;
// LogAppendTime topics stamp each batch with the broker's clock (attributes bit + CRC), as Kafka.
import * as path from 'path';
import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LogError, PartitionLog } from '../../../sdk/broker/log';
import { canDecompress } from '../../../sdk/broker/log/codecs';
import { buildBatch, parseBatches, tempDir } from './batches';

const T0 = 1_700_000_000_000;

function openLog(config: Record<string, unknown> = {}) {
  const { dir, remove } = tempDir('ts');
  const log = PartitionLog.open(path.join(dir, 't-0'), 't', 0, { config: { indexIntervalBytes: 0, ...config } });
  return { log, dir, done: () => (log.close(), remove()) };
}

function attributesAt(log: PartitionLog, offset: number): number {
  return log.read(offset, 1).readInt16BE(21);
}

test('a header claiming -1 (sarama 1.22) is recomputed from the records, in every codec this Node reads', () => {
  const { log, done } = openLog();
  for (const compression of ['none', 'gzip', 'snappy', 'lz4'] as const) {
    const t = T0 + log.nextOffset * 1000;
    const records = [{ value: 'a', timestamp: t + 5 }, { value: 'b', timestamp: t + 90 }, { value: 'c', timestamp: t + 40 }];
    const first = log.nextOffset;
    log.append(buildBatch(records, { compression, claimedMaxTimestamp: -1, baseTimestamp: t }), 0);
    const [b] = parseBatches(log.read(first, 1));
    assert.is(b.maxTimestamp, t + 90, `${compression}: stored MaxTimestamp`);
    assert.ok(b.crcOk, `${compression}: CRC-32C recomputed`);
    assert.equal(log.offsetForTimestamp(t + 41), { offset: first + 1, timestamp: t + 90 }, `${compression}: lookup`);
    assert.equal(log.offsetForTimestamp(t + 6), { offset: first + 1, timestamp: t + 90 });
  }
  // A claim larger than the records is corrected downwards too.
  const first = log.nextOffset;
  log.append(buildBatch([{ value: 'x', timestamp: T0 + 1e6 }], { claimedMaxTimestamp: T0 + 9e9 }), 0);
  assert.is(parseBatches(log.read(first, 1))[0].maxTimestamp, T0 + 1e6);
  assert.is(log.offsetForTimestamp(T0 + 2e6), null);
  done();
});

test('records that cannot be decompressed here fall back to max(claim, base timestamp)', () => {
  if (canDecompress(4)) {
    console.log('  skip: this Node decompresses zstd (Node >= 22.15); the fallback is for older ones');
    return;
  }
  const { log, done } = openLog();
  const batch = buildBatch([{ value: 'a', timestamp: T0 + 7 }], { claimedMaxTimestamp: -1 });
  batch.writeInt16BE(4, 21); // zstd: the bytes are never decoded on this Node
  batch.writeUInt32BE(require('../../../sdk/protocol/crc32c').crc32c(batch, 21), 17);
  log.append(batch, 0);
  const [b] = parseBatches(log.read(0, 1));
  assert.is(b.maxTimestamp, T0 + 7);
  assert.ok(b.crcOk);
  done();
});

test('malformed records and corrupt compressed payloads are refused with CORRUPT_MESSAGE; nothing is stored', () => {
  const { log, done } = openLog();
  const good = buildBatch([{ value: 'a', timestamp: T0 }, { value: 'b', timestamp: T0 + 1 }]);
  const wrongCount = Buffer.from(good);
  wrongCount.writeInt32BE(3, 57);
  const trailing = Buffer.concat([good, Buffer.from([0])]);
  trailing.writeInt32BE(trailing.length - 12, 8);
  const badGzip = buildBatch([{ value: 'a', timestamp: T0 }], { compression: 'gzip' });
  badGzip[badGzip.length - 6] ^= 0xff; // inside the gzip trailer CRC
  const badLz4 = buildBatch([{ value: 'a', timestamp: T0 }], { compression: 'lz4' });
  badLz4.writeUInt32LE(0xdeadbeef, 61);
  for (const [name, batch] of [['count', wrongCount], ['trailing bytes', trailing], ['gzip', badGzip], ['lz4', badLz4]] as const) {
    try {
      log.append(batch, 0);
      assert.unreachable(name);
    } catch (err) {
      assert.instance(err, LogError, name);
      assert.is((err as LogError).code, 2, name);
    }
  }
  assert.is(log.nextOffset, 0);
  log.append(good, 0);
  assert.is(log.nextOffset, 2);
  done();
});

test('LogAppendTime: the broker clock in MaxTimestamp, the attributes bit set, CRC valid, lookups by append time', () => {
  const { log, done } = openLog({ messageTimestampType: 'LogAppendTime' });
  const before = Date.now();
  const res = log.append(buildBatch([{ value: 'old', timestamp: 1000 }, { value: 'older', timestamp: 5 }], { compression: 'gzip' }), 0);
  const after = Date.now();
  assert.ok(res.logAppendTime >= before && res.logAppendTime <= after, 'append returns the stamp');
  const [b] = parseBatches(log.read(0, 1));
  assert.is(b.maxTimestamp, res.logAppendTime);
  assert.ok(b.crcOk);
  assert.is(attributesAt(log, 0) & 0x08, 0x08);
  assert.is(attributesAt(log, 0) & 0x07, 1, 'codec kept');
  assert.equal(log.offsetForTimestamp(before - 1), { offset: 0, timestamp: res.logAppendTime });
  assert.is(log.offsetForTimestamp(after + 1), null);
  // Switching back to CreateTime: the client's timestamps again, and a stray LogAppendTime bit is cleared.
  log.setConfig({ messageTimestampType: 'CreateTime' });
  const r2 = log.append(buildBatch([{ value: 'c', timestamp: T0 }], { logAppendTime: true }), 0);
  assert.is(r2.logAppendTime, -1);
  assert.is(attributesAt(log, 2) & 0x08, 0);
  assert.is(parseBatches(log.read(2, 1))[0].maxTimestamp, T0);
  done();
});

test('time index from records survives restart and agrees with a scan (property)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 30 }),
      fc.integer({ min: 0, max: 10_000 }),
      (batches, target) => {
        const { log, dir, done } = openLog({ segmentBytes: 400 });
        const all: number[] = [];
        for (const ts of batches) {
          log.append(buildBatch(ts.map((t) => ({ value: 'v', timestamp: T0 + t })), { claimedMaxTimestamp: -1, baseTimestamp: T0 + ts[0] }), 0);
          all.push(...ts);
        }
        const first = all.findIndex((t) => t >= target);
        const expected = first < 0 ? null : { offset: first, timestamp: T0 + all[first] };
        assert.equal(log.offsetForTimestamp(T0 + target), expected);
        log.close();
        const reopened = PartitionLog.open(path.join(dir, 't-0'), 't', 0, { config: { indexIntervalBytes: 0, segmentBytes: 400 } });
        assert.equal(reopened.offsetForTimestamp(T0 + target), expected, 'after restart');
        reopened.close();
        done();
      },
    ),
    { numRuns: 60, seed: 3 },
  );
});

test.run();
