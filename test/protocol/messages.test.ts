import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Writer } from '../../sdk/protocol/writer';
import * as fe from '../../sdk/protocol/messages/fetch';
import { encodeRecordBatch, validateBatches, decodeRecords, readBatchHeader } from '../../sdk/protocol/record-batch';
import { crc32c } from '../../sdk/protocol/crc32c';

const batch = encodeRecordBatch([{ key: Buffer.from('k'), value: Buffer.from('v'), timestamp: 1_700_000_000_000 }]);

test('Fetch responses reference stored record sets instead of copying them', () => {
  const big = Buffer.concat(Array.from({ length: 100 }, () => batch));
  const w = new Writer();
  fe.FetchResponse.encode(w, {
    throttleTimeMs: 0, errorCode: 0, sessionId: 0,
    responses: [{ topic: 't', partitions: [{ partitionIndex: 0, errorCode: 0, highWatermark: 100, lastStableOffset: 100, logStartOffset: 0, abortedTransactions: null, preferredReadReplica: -1, records: big }] }],
  }, 11);
  assert.ok(w.chunks().includes(big), 'stored batches must not be copied into the response');
});

test('record batches: build, validate, decode; corruption is caught', () => {
  const b = encodeRecordBatch(
    [
      { key: null, value: Buffer.from('a'), timestamp: 1000, headers: [{ key: 'h', value: Buffer.from('1') }] },
      { key: Buffer.from('k2'), value: null, timestamp: 1005 },
    ],
    { producerId: 9, producerEpoch: 0, baseSequence: 4 },
  );
  const headers = validateBatches(b);
  assert.ok(Array.isArray(headers));
  const h = readBatchHeader(b);
  assert.equal([h.magic, h.recordCount, h.lastOffsetDelta, h.baseTimestamp, h.maxTimestamp, h.producerId, h.baseSequence], [2, 2, 1, 1000, 1005, 9, 4]);
  const recs = decodeRecords(b);
  assert.is(recs.length, 2);
  assert.is(recs[0].value!.toString(), 'a');
  assert.is(recs[0].headers[0].key, 'h');
  assert.is(recs[1].key!.toString(), 'k2');
  assert.is(recs[1].value, null);
  assert.is(recs[1].timestamp, 1005);
  // Base offset and leader epoch are outside the CRC: rewriting them keeps the batch valid.
  const moved = Buffer.from(b);
  moved.writeInt32BE(0, 0);
  moved.writeInt32BE(77, 4);
  moved.writeInt32BE(5, 12);
  assert.ok(Array.isArray(validateBatches(moved)));
  assert.is(decodeRecords(moved)[1].offset, 78);
  const flipped = Buffer.from(b);
  flipped[b.length - 3] ^= 1;
  assert.equal((validateBatches(flipped) as { code: number }).code, 2);
  const magic1 = Buffer.from(b);
  magic1[16] = 1;
  assert.match((validateBatches(magic1) as { message: string }).message, /magic/);
  assert.equal((validateBatches(b.subarray(0, b.length - 1)) as { code: number }).code, 2);
  assert.equal((validateBatches(Buffer.alloc(0)) as { code: number }).code, 87);
  // A batch claiming more offsets than records (CRC fixed up, so only the count check catches it).
  const lying = Buffer.from(b);
  lying.writeInt32BE(1_000_000, 23);
  lying.writeUInt32BE(crc32c(lying, 21), 17);
  assert.match((validateBatches(lying) as { message: string }).message, /lastOffsetDelta/);
});

test.run();
