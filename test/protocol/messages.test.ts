import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Writer } from '../../sdk/protocol/writer';
import { roundTripVersions, type Enc, type Dec } from './round-trip';
import * as fe from '../../sdk/protocol/messages/fetch';
import * as lo from '../../sdk/protocol/messages/list-offsets';
import * as ct from '../../sdk/protocol/messages/create-topics';
import * as dt from '../../sdk/protocol/messages/delete-topics';
import * as ip from '../../sdk/protocol/messages/init-producer-id';
import { encodeRecordBatch, validateBatches, decodeRecords, readBatchHeader } from '../../sdk/protocol/record-batch';
import { crc32c } from '../../sdk/protocol/crc32c';

/** At the highest version every field exists, so the decoded value must equal the original. */
function roundTrip<T>(name: string, enc: Enc<T>, dec: Dec<T>, value: T, min: number, max: number): void {
  roundTripVersions(name, enc, dec, value, min, max, (back, v) => {
    if (v === max) assert.equal(back, value, `${name} v${v} lost a field`);
  });
}

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

test('ListOffsets v0-5', () => {
  const req = { replicaId: -1, isolationLevel: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2, maxNumOffsets: 1 }] }] };
  roundTrip('ListOffsetsRequest', lo.encodeListOffsetsRequest, lo.decodeListOffsetsRequest, req, 0, 5);
  const res = { throttleTimeMs: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0, oldStyleOffsets: [], timestamp: 1_700_000_000_000, offset: 12, leaderEpoch: 0 }] }] };
  roundTrip('ListOffsetsResponse', lo.encodeListOffsetsResponse, lo.decodeListOffsetsResponse, res, 1, 5);
  const v0 = { throttleTimeMs: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0, oldStyleOffsets: [12], timestamp: -1, offset: -1, leaderEpoch: -1 }] }] };
  roundTrip('ListOffsetsResponse v0', lo.encodeListOffsetsResponse, lo.decodeListOffsetsResponse, v0, 0, 0);
});

test('CreateTopics v0-4, DeleteTopics v0-3, InitProducerId v0-1', () => {
  const req = { topics: [{ name: 't', numPartitions: 3, replicationFactor: 1, assignments: [{ partitionIndex: 0, brokerIds: [0] }], configs: [{ name: 'retention.ms', value: '1000' }, { name: 'x', value: null }] }], timeoutMs: 1000, validateOnly: true };
  roundTrip('CreateTopicsRequest', ct.encodeCreateTopicsRequest, ct.decodeCreateTopicsRequest, req, 0, 4);
  roundTrip('CreateTopicsResponse', ct.encodeCreateTopicsResponse, ct.decodeCreateTopicsResponse, { throttleTimeMs: 0, topics: [{ name: 't', errorCode: 36, errorMessage: 'exists' }] }, 0, 4);
  roundTrip('DeleteTopicsRequest', dt.encodeDeleteTopicsRequest, dt.decodeDeleteTopicsRequest, { topicNames: ['a', 'b'], timeoutMs: 100 }, 0, 3);
  roundTrip('DeleteTopicsResponse', dt.encodeDeleteTopicsResponse, dt.decodeDeleteTopicsResponse, { throttleTimeMs: 0, responses: [{ name: 'a', errorCode: 3 }] }, 0, 3);
  roundTrip('InitProducerIdRequest', ip.encodeInitProducerIdRequest, ip.decodeInitProducerIdRequest, { transactionalId: null, transactionTimeoutMs: 60000 }, 0, 1);
  roundTrip('InitProducerIdResponse', ip.encodeInitProducerIdResponse, ip.decodeInitProducerIdResponse, { throttleTimeMs: 0, errorCode: 0, producerId: 1_732_000_000_000, producerEpoch: 0 }, 0, 1);
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
