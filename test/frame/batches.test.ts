import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as zlib from 'zlib';
import { encodeRecordBatch, type SimpleRecord } from '../../sdk/protocol/record-batch';
import { crc32c } from '../../sdk/protocol/crc32c';
import {
  AbortedTransactions,
  BATCH_HEADER_BYTES,
  LegacyRecordFormatError,
  compressedBatches,
  readHeaders,
  scanRecordSet,
  walkRecordSet,
} from '../../sdk/frame/batches';

const T0 = 1_700_000_000_000;
const recs = (from: number, n: number, extra: Partial<SimpleRecord> = {}): SimpleRecord[] =>
  Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`k${from + i}`), value: Buffer.from(JSON.stringify({ i: from + i })), timestamp: T0 + from + i, ...extra }));

/** A batch with header fields set as a real producer or broker would (CRC recomputed). */
function batch(records: SimpleRecord[], baseOffset: number, o: { attributes?: number; producerId?: number; gzip?: boolean; maxTimestamp?: number } = {}): Buffer {
  let b = encodeRecordBatch(records, { baseOffset, producerId: o.producerId ?? -1, producerEpoch: o.producerId === undefined ? -1 : 0 });
  let attributes = o.attributes ?? 0;
  if (o.gzip) {
    const payload = zlib.gzipSync(b.subarray(BATCH_HEADER_BYTES));
    b = Buffer.concat([b.subarray(0, BATCH_HEADER_BYTES), payload]);
    b.writeInt32BE(b.length - 12, 8);
    attributes |= 1;
  }
  b.writeInt16BE(attributes, 21);
  if (o.maxTimestamp !== undefined) {
    b.writeInt32BE(Math.floor(o.maxTimestamp / 2 ** 32), 35);
    b.writeUInt32BE(o.maxTimestamp % 2 ** 32, 39);
  }
  b.writeUInt32BE(crc32c(b, 21), 17);
  return b;
}

/** A transaction marker: control batch, key version 0 and type (0 ABORT, 1 COMMIT). */
function marker(offset: number, producerId: number, type: 0 | 1): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(type, 2);
  return batch([{ key, value: Buffer.alloc(6), timestamp: T0 }], offset, { attributes: 0x30, producerId });
}

type Row = { offset: number; key: string | null; value: string | null; timestamp: number };
function walk(buf: Buffer, from: number, to: number, opts: Parameters<typeof walkRecordSet>[4] = {}, stopAfter = Infinity) {
  const rows: Row[] = [];
  const result = walkRecordSet(
    buf,
    from,
    to,
    (b, ka, kl, va, vl, offset, timestamp) => {
      rows.push({ offset, timestamp, key: kl < 0 ? null : b.toString('utf8', ka, ka + kl), value: vl < 0 ? null : b.toString('utf8', va, va + vl) });
      return rows.length < stopAfter;
    },
    opts,
  );
  return { rows, result };
}

test('records before the requested offset and at or past the end are skipped; next offset follows the batches', () => {
  const set = Buffer.concat([batch(recs(0, 5), 0), batch(recs(5, 5), 5), batch(recs(10, 5), 10)]);
  const { rows, result } = walk(set, 3, 12);
  assert.equal(rows.map((r) => r.offset), [3, 4, 5, 6, 7, 8, 9, 10, 11]);
  assert.equal(rows[0], { offset: 3, key: 'k3', value: '{"i":3}', timestamp: T0 + 3 });
  assert.is(result.records, 9);
  assert.is(result.next, 12);
  assert.is(result.truncated, 0);
  assert.equal(scanRecordSet(set, 3), { next: 15, truncated: 0 });
});

test('a batch cut off at the end of a response is left for the next fetch, with its size', () => {
  const whole = batch(recs(5, 5), 5);
  const set = Buffer.concat([batch(recs(0, 5), 0), whole.subarray(0, 40)]);
  const { rows, result } = walk(set, 0, 100);
  assert.is(rows.length, 5);
  assert.is(result.next, 5);
  assert.is(result.truncated, whole.length);
  assert.equal(scanRecordSet(whole.subarray(0, 70), 5), { next: 5, truncated: whole.length });
  assert.equal(scanRecordSet(whole.subarray(0, 7), 5), { next: 5, truncated: BATCH_HEADER_BYTES });
  assert.equal(scanRecordSet(Buffer.alloc(0), 5), { next: 5, truncated: 0 });
});

test('null keys and values, headers, log-append time', () => {
  const headers = [
    { key: 'a', value: Buffer.from('1') },
    { key: 'b', value: null },
    { key: 'a', value: Buffer.from('2') },
  ];
  const set = Buffer.concat([
    batch([{ key: null, value: null, timestamp: T0 }, { key: Buffer.from('x'), value: Buffer.from('v'), timestamp: T0 + 1, headers }], 0),
    batch(recs(2, 2), 2, { attributes: 0x08, maxTimestamp: T0 + 999 }),
  ]);
  let seen: Record<string, unknown> | undefined;
  const { rows } = walk(set, 0, 10);
  walkRecordSet(set, 1, 2, (b, _ka, _kl, _va, _vl, _o, _t, at, count) => void (seen = readHeaders(b, at, count)));
  assert.equal(rows.map((r) => [r.key, r.value]), [[null, null], ['x', 'v'], ['k2', '{"i":2}'], ['k3', '{"i":3}']]);
  assert.equal(rows.map((r) => r.timestamp), [T0, T0 + 1, T0 + 999, T0 + 999]);
  assert.equal(seen, { a: [Buffer.from('1'), Buffer.from('2')], b: null });
});

test('gzip batches are listed for decompression, then walked from the inflated records', () => {
  const set = Buffer.concat([batch(recs(0, 3), 0, { gzip: true }), batch(recs(3, 3), 3), batch(recs(6, 3), 6, { gzip: true })]);
  const listed = compressedBatches(set, 4, 100);
  assert.equal(listed.map((c) => c.codec), [1], 'the first batch ends before offset 4: not listed');
  const inflated = new Map(compressedBatches(set, 0, 100).map((c) => [c.at, zlib.gunzipSync(c.payload)]));
  assert.is(inflated.size, 2);
  assert.equal(walk(set, 1, 8, { inflated }).rows.map((r) => r.value), [1, 2, 3, 4, 5, 6, 7].map((i) => `{"i":${i}}`));
  assert.throws(() => walk(set, 0, 100), /not decompressed/);
});

test('control batches are skipped; aborted transactions are dropped (read_committed)', () => {
  const set = Buffer.concat([
    batch(recs(0, 2), 0, { attributes: 0x10, producerId: 7 }), // committed transaction of producer 7
    marker(2, 7, 1),
    batch(recs(3, 2), 3, { attributes: 0x10, producerId: 8 }), // aborted transaction of producer 8
    batch(recs(5, 1), 5), // not transactional
    batch(recs(6, 1), 6, { attributes: 0x10, producerId: 8 }), // still aborted
    marker(7, 8, 0),
    batch(recs(8, 2), 8, { attributes: 0x10, producerId: 8 }), // producer 8's next, committed transaction
    marker(10, 8, 1),
  ]);
  const plain = walk(set, 0, 100);
  assert.equal(plain.rows.map((r) => r.offset), [0, 1, 3, 4, 5, 6, 8, 9], 'without the aborted list only markers go');
  assert.is(plain.result.next, 11);
  const aborted = new AbortedTransactions([{ producerId: 8, firstOffset: 3 }]);
  assert.equal(walk(set, 0, 100, { aborted }).rows.map((r) => r.offset), [0, 1, 5, 8, 9]);
  const fromMiddle = new AbortedTransactions([{ producerId: 8, firstOffset: 3 }]);
  assert.equal(walk(set, 6, 100, { aborted: fromMiddle }).rows.map((r) => r.offset), [8, 9]);
});

test('the visitor can stop the walk; legacy message formats are refused', () => {
  const set = Buffer.concat([batch(recs(0, 5), 0), batch(recs(5, 5), 5)]);
  const { rows, result } = walk(set, 0, 100, {}, 7);
  assert.is(rows.length, 7);
  assert.ok(result.stopped);
  assert.is(result.next, 7);
  const legacy = Buffer.from(set);
  legacy[16] = 1;
  assert.throws(() => walk(legacy, 0, 100), (e: unknown) => e instanceof LegacyRecordFormatError);
});

test.run();
