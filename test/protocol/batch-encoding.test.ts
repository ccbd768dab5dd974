/**
 * kafkalab's one record-batch encoder (RecordBatchWriter): what it writes must be read back the
 * same by kafkalab's own codec and by kafkajs's record-batch decoder (code nobody here wrote),
 * for generated records: null and binary keys, UTF-8 text or bytes or null values, timestamps
 * out of order and far apart, headers; and keys land where kafkajs's partitioner puts them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Partitioners } from 'kafkajs';
import { keyPartition, RecordBatchWriter, type HeaderBytes } from '../../sdk/protocol/batch-encoding';
import { crc32c } from '../../sdk/protocol/crc32c';
import { decodeRecords, encodeRecordBatch, validateBatches, type BatchHeader } from '../../sdk/protocol/record-batch';

/* eslint-disable @typescript-eslint/no-require-imports */
const KafkajsDecoder = require('kafkajs/src/protocol/decoder');
const decodeKafkajsBatch: (d: unknown) => Promise<{ records: { key: Buffer | null; value: Buffer | null; timestamp: string; offset: string; headers: Record<string, Buffer | Buffer[]> }[] }> = require('kafkajs/src/protocol/recordBatch/v0/decoder');

interface Rec {
  key: Buffer | null;
  value: Buffer | string | null;
  timestamp: number;
  headers?: HeaderBytes[];
}

const bytesOf = (v: Buffer | string | null) => (v === null ? null : Buffer.from(v as string));

function write(records: Rec[], expectedBytes = 100): Buffer {
  const w = new RecordBatchWriter(expectedBytes);
  for (const r of records) w.append(r.key, r.value, r.timestamp, r.headers);
  assert.is(w.count, records.length);
  return Buffer.from(w.finish());
}

function checkHeader(batch: Buffer, records: Rec[]): BatchHeader {
  const headers = validateBatches(batch);
  assert.ok(Array.isArray(headers), JSON.stringify(headers));
  const [h] = headers as BatchHeader[];
  assert.is(h.recordCount, records.length);
  assert.is(h.baseTimestamp, records[0].timestamp, 'the first record is the base, as the protocol says');
  assert.is(h.maxTimestamp, Math.max(...records.map((r) => r.timestamp)));
  assert.is(crc32c(batch, 21, batch.length), h.crc);
  return h;
}

const record: fc.Arbitrary<Rec> = fc.record({
  key: fc.option(fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)), { nil: null }),
  value: fc.oneof(
    fc.constant(null),
    fc.string({ unit: 'grapheme', maxLength: 200 }),
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
    fc.nat(20_000).map((n) => 'ß'.repeat(n % 3 === 0 ? n : 70)),
  ),
  timestamp: fc.integer({ min: 0, max: 4_000_000_000_000 }),
  headers: fc.option(
    fc.array(fc.tuple(fc.string({ maxLength: 12 }).map((s) => Buffer.from(s)), fc.option(fc.uint8Array({ maxLength: 20 }).map((a) => Buffer.from(a)), { nil: null })), { maxLength: 3 }),
    { nil: undefined },
  ),
});

test('generated records: kafkalab and kafkajs decode what the writer wrote, byte for byte', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 4096 }), async (records, expected) => {
      const batch = write(records, expected);
      checkHeader(batch, records);
      const ours = decodeRecords(batch);
      const theirs = (await decodeKafkajsBatch(new KafkajsDecoder(batch))).records;
      assert.is(ours.length, records.length);
      assert.is(theirs.length, records.length);
      records.forEach((r, i) => {
        const value = bytesOf(r.value);
        assert.equal(ours[i].key, r.key);
        assert.equal(ours[i].value, value);
        assert.is(ours[i].timestamp, r.timestamp);
        assert.is(ours[i].offset, i);
        assert.equal(ours[i].headers.map((h) => [Buffer.from(h.key), h.value]), (r.headers ?? []).map(([k, v]) => [Buffer.from(k), v]));
        assert.equal(theirs[i].key, r.key);
        assert.equal(theirs[i].value, value);
        assert.is(theirs[i].timestamp, String(r.timestamp));
        assert.is(theirs[i].offset, String(i));
      });
    }),
    { numRuns: 150 },
  );
});

test('a value long enough for a 3-byte length varint, and the identity fields', () => {
  const records: Rec[] = [
    { key: Buffer.from('k'), value: `{"long":"${'y'.repeat(20_000)}"}`, timestamp: 1_700_000_000_005 },
    { key: null, value: Buffer.alloc(300, 0x61), timestamp: 1_700_000_000_000 },
    { key: Buffer.from('car-0001'), value: 'é', timestamp: 1_770_000_000_000, headers: [[Buffer.from('dlq.reason'), Buffer.from('bad')]] },
  ];
  const w = new RecordBatchWriter(10);
  for (const r of records) w.append(r.key, r.value, r.timestamp, r.headers);
  const batch = Buffer.from(w.finish({ baseOffset: 42, producerId: 7, producerEpoch: 1, baseSequence: 9 }));
  const h = checkHeader(batch, records);
  assert.equal([h.baseOffset, h.producerId, h.producerEpoch, h.baseSequence], [42, 7, 1, 9]);
  assert.equal(decodeRecords(batch).map((r) => r.offset), [42, 43, 44]);
  assert.equal(decodeRecords(batch)[2].headers.map((x) => [x.key, x.value?.toString()]), [['dlq.reason', 'bad']]);
});

test('values written in place (beginValue/ascii/bytes/text/endValue) are byte for byte what append writes', () => {
  const piece = fc.oneof(
    fc.string({ maxLength: 40 }).map((s) => ({ kind: 'ascii' as const, s: s.replace(/[^\x00-\x7f]/g, 'x') })),
    fc.uint8Array({ maxLength: 60 }).map((b) => ({ kind: 'bytes' as const, b: Buffer.from(b) })),
    fc.string({ unit: 'binary', maxLength: 40 }).map((s) => ({ kind: 'text' as const, s })),
    fc.integer({ min: 8000, max: 20_000 }).map((n) => ({ kind: 'ascii' as const, s: 'v'.repeat(n) })),
  );
  const record = fc.record({
    key: fc.option(fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)), { nil: null }),
    timestamp: fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }),
    pieces: fc.array(piece, { maxLength: 6 }),
  });
  fc.assert(
    fc.property(fc.array(record, { minLength: 1, maxLength: 8 }), fc.integer({ min: 70, max: 4096 }), (records, size) => {
      const inPlace = new RecordBatchWriter(size);
      const appended = new RecordBatchWriter(size);
      for (const r of records) {
        inPlace.beginValue(r.key, r.timestamp);
        const parts: Buffer[] = [];
        for (const p of r.pieces) {
          if (p.kind === 'bytes') {
            inPlace.bytes(p.b);
            parts.push(p.b);
          } else {
            if (p.kind === 'ascii') inPlace.ascii(p.s);
            else inPlace.text(p.s);
            parts.push(Buffer.from(p.s, 'utf8'));
          }
        }
        inPlace.endValue();
        appended.append(r.key, Buffer.concat(parts), r.timestamp);
      }
      const a = Buffer.from(inPlace.finish());
      assert.equal(a, Buffer.from(appended.finish()));
      // a reused writer writes the same batch again
      inPlace.reset();
      for (const r of records) {
        inPlace.beginValue(r.key, r.timestamp);
        for (const p of r.pieces) (p.kind === 'bytes' ? inPlace.bytes(p.b) : p.kind === 'ascii' ? inPlace.ascii(p.s) : inPlace.text(p.s));
        inPlace.endValue();
      }
      assert.equal(Buffer.from(inPlace.finish()), a);
    }),
    { numRuns: 300 },
  );
  const w = new RecordBatchWriter();
  w.beginValue(null, 0);
  assert.throws(() => w.append(null, 'x', 0), /open/);
  assert.throws(() => w.finish(), /open/);
});

test('encodeRecordBatch (tests and tools) is the same encoder', () => {
  const recs = [{ key: null, value: Buffer.from('a'), timestamp: 5 }, { key: Buffer.from('b'), value: null, timestamp: 3, headers: [{ key: 'h', value: Buffer.from('v') }] }];
  const viaWriter = write(recs.map((r) => ({ ...r, headers: r.headers?.map((x): HeaderBytes => [Buffer.from(x.key), x.value]) })));
  assert.equal(encodeRecordBatch(recs), viaWriter);
});

test('keyPartition is kafkajs DefaultPartitioner (Java murmur2)', () => {
  const partitioner = Partitioners.DefaultPartitioner();
  for (const partitions of [1, 3, 4, 7, 12]) {
    const meta = Array.from({ length: partitions }, (_, i) => ({ partitionId: i, leader: 0 }));
    for (const key of ['car-0001', 'car-0999', '', 'a', 'ab', 'abc', 'élan', 'x'.repeat(33)]) {
      const expected = partitioner({ topic: 't', partitionMetadata: meta as never, message: { key, value: null } });
      assert.is(keyPartition(Buffer.from(key), partitions), expected, `${key} over ${partitions}`);
    }
  }
});

test.run();
