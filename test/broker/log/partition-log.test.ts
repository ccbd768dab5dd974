import * as fs from 'fs';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LogError, PartitionLog } from '../../../sdk/broker/log';
import { buildBatch, parseBatches, tempDir, valuesBatch } from './batches';

const T0 = 1_700_000_000_000;

/** Appends `batches` batches of `per` records each; record i of the log is "r-i" at T0 + i. */
function fill(log: PartitionLog, batches: number, per: number): void {
  for (let b = 0; b < batches; b++) {
    const first = log.nextOffset;
    log.append(buildBatch(Array.from({ length: per }, (_, i) => ({ value: `r-${first + i}`, timestamp: T0 + first + i }))), 5);
  }
}

function readAll(log: PartitionLog, from: number, maxBytes = 300): string[] {
  const values: string[] = [];
  let offset = from;
  for (let guard = 0; offset < log.nextOffset && guard < 100000; guard++) {
    const batches = parseBatches(log.read(offset, maxBytes));
    assert.ok(batches.length > 0, `read at ${offset} returned nothing`);
    for (const b of batches) {
      b.values.forEach((v, i) => {
        if (b.baseOffset + i >= offset) values.push(v);
      });
      offset = b.lastOffset + 1;
    }
  }
  return values;
}

test('append assigns offsets, rewrites base offset and leader epoch only, keeps CRC valid', () => {
  const { dir, remove } = tempDir('plog');
  const log = PartitionLog.open(path.join(dir, 't-0'), 't', 0);
  const r1 = log.append(valuesBatch('a', 3), 7);
  const r2 = log.append(Buffer.concat([valuesBatch('b', 2), valuesBatch('c', 4)]), 7);
  assert.equal(r1, { baseOffset: 0, lastOffset: 2, logAppendTime: -1 });
  assert.equal(r2, { baseOffset: 3, lastOffset: 8, logAppendTime: -1 });
  assert.is(log.nextOffset, 9);
  const batches = parseBatches(log.read(0, 1 << 20));
  assert.equal(batches.map((b) => [b.baseOffset, b.lastOffset, b.leaderEpoch, b.crcOk]), [
    [0, 2, 7, true],
    [3, 4, 7, true],
    [5, 8, 7, true],
  ]);
  assert.equal(batches[2].values, ['c-0', 'c-1', 'c-2', 'c-3']);
  assert.is(log.read(9, 1000).length, 0, 'empty at the log end');
  assert.throws(() => log.read(10, 1000), (e: LogError) => e.code === 1);
  assert.throws(() => log.append(Buffer.from('garbage that is not a batch at all.............................'), 0), (e: LogError) => e.code === 2);
  log.close();
  remove();
});

test('reads across segment rolls, from the middle of batches, with small and large maxBytes', () => {
  const { dir, remove } = tempDir('plog');
  const log = PartitionLog.open(path.join(dir, 't-0'), 't', 0, { config: { segmentBytes: 2000, indexIntervalBytes: 200 } });
  fill(log, 120, 5);
  assert.is(log.nextOffset, 600);
  assert.ok(log.segmentCount > 5, `expected many segments, got ${log.segmentCount}`);
  const expected = Array.from({ length: 600 }, (_, i) => `r-${i}`);
  assert.equal(readAll(log, 0), expected);
  assert.equal(readAll(log, 0, 1 << 20), expected);
  for (const from of [1, 2, 7, 233, 299, 301, 598, 599]) {
    const first = parseBatches(log.read(from, 1))[0];
    assert.ok(first.baseOffset <= from && from <= first.lastOffset, `batch containing ${from}`);
    assert.is(parseBatches(log.read(from, 1)).length, 1, 'at least (and here exactly) one batch past maxBytes');
    assert.equal(readAll(log, from), expected.slice(from));
  }
  // A read never spans into a partial batch: sizes add up to whole batches.
  const chunk = log.read(100, 777);
  assert.ok(chunk.length <= 777);
  assert.is(parseBatches(chunk).reduce((n, b) => n + (b.lastOffset - b.baseOffset + 1), 0) % 5, 0);
  log.close();
  remove();
});

test('restart keeps everything, and missing or corrupt indexes are rebuilt', () => {
  const { dir, remove } = tempDir('plog');
  const pdir = path.join(dir, 't-0');
  const config = { segmentBytes: 1200, indexIntervalBytes: 100 };
  let log = PartitionLog.open(pdir, 't', 0, { config });
  fill(log, 60, 4);
  const before = readAll(log, 0);
  log.close();
  const files = fs.readdirSync(pdir);
  const indexes = files.filter((f) => f.endsWith('.index')).sort();
  const timeIndexes = files.filter((f) => f.endsWith('.timeindex')).sort();
  assert.ok(indexes.length > 3);
  fs.rmSync(path.join(pdir, indexes[0]));
  fs.writeFileSync(path.join(pdir, indexes[1]), Buffer.from([0, 0, 0, 9, 0, 0, 0, 1, 0, 0])); // torn and wrong
  fs.writeFileSync(path.join(pdir, timeIndexes[2]), Buffer.alloc(0));
  const idx = fs.readFileSync(path.join(pdir, indexes[3]));
  idx.writeInt32BE(idx.readInt32BE(4) + 3, 4); // points into the middle of a batch
  fs.writeFileSync(path.join(pdir, indexes[3]), idx);
  log = PartitionLog.open(pdir, 't', 0, { config });
  assert.is(log.nextOffset, 240);
  for (let o = 0; o < 240; o++) {
    const [b] = parseBatches(log.read(o, 1));
    assert.ok(b.baseOffset <= o && o <= b.lastOffset && b.values[o - b.baseOffset] === `r-${o}`, `read at ${o}`);
  }
  assert.equal(readAll(log, 0), before);
  assert.equal(readAll(log, 37), before.slice(37));
  assert.ok(fs.existsSync(path.join(pdir, indexes[0])), 'rebuilt index written back');
  assert.ok(fs.statSync(path.join(pdir, indexes[1])).size % 8 === 0);
  for (let o = 0; o < 240; o++) assert.equal(log.offsetForTimestamp(T0 + o), { offset: o, timestamp: T0 + o });
  fill(log, 1, 3);
  assert.equal(readAll(log, 238), ['r-238', 'r-239', 'r-240', 'r-241', 'r-242']);
  log.close();
  remove();
});

test('offsetForTimestamp: exact record inside a batch, across segments, none when too late', () => {
  const { dir, remove } = tempDir('plog');
  const log = PartitionLog.open(path.join(dir, 't-0'), 't', 0, { config: { segmentBytes: 1500, indexIntervalBytes: 150 } });
  fill(log, 50, 10);
  assert.equal(log.offsetForTimestamp(0), { offset: 0, timestamp: T0 });
  for (const off of [0, 1, 9, 10, 11, 255, 377, 499]) {
    assert.equal(log.offsetForTimestamp(T0 + off), { offset: off, timestamp: T0 + off }, `ts of ${off}`);
  }
  assert.is(log.offsetForTimestamp(T0 + 500), null);
  // Out-of-order timestamps: the first offset whose timestamp is late enough wins.
  log.append(buildBatch([{ value: 'x', timestamp: T0 + 100 }, { value: 'y', timestamp: T0 + 9999 }, { value: 'z', timestamp: T0 + 600 }]), 0);
  assert.equal(log.offsetForTimestamp(T0 + 550), { offset: 501, timestamp: T0 + 9999 });
  // Compressed batches are decoded to find the exact record.
  log.append(buildBatch([{ value: 'g0', timestamp: T0 + 20000 }, { value: 'g1', timestamp: T0 + 20005 }], { compression: 'gzip' }), 0);
  assert.equal(log.offsetForTimestamp(T0 + 20003), { offset: 504, timestamp: T0 + 20005 });
  log.append(buildBatch([{ value: 's0', timestamp: T0 + 30000 }, { value: 's1', timestamp: T0 + 30005 }], { compression: 'snappy' }), 0);
  assert.equal(log.offsetForTimestamp(T0 + 30003), { offset: 506, timestamp: T0 + 30005 });
  log.close();
  remove();
});

test('retention by time and by size deletes old closed segments, never the active one', () => {
  const { dir, remove } = tempDir('plog');
  const log = PartitionLog.open(path.join(dir, 't-0'), 't', 0, { config: { segmentBytes: 1000, retentionMs: 1000, retentionBytes: -1 } });
  fill(log, 40, 5); // timestamps T0 .. T0+199
  const segments = log.segmentCount;
  assert.is(log.enforceRetention(T0 + 100), 0, 'nothing expired yet');
  const deleted = log.enforceRetention(T0 + 199 + 1001);
  assert.is(deleted, segments - 1);
  assert.is(log.segmentCount, 1);
  assert.ok(log.logStartOffset > 0 && log.logStartOffset <= log.nextOffset);
  assert.throws(() => log.read(0, 100), (e: LogError) => e.code === 1);
  assert.equal(readAll(log, log.logStartOffset).at(-1), 'r-199');

  log.setConfig({ segmentBytes: 1000, retentionMs: -1, retentionBytes: 3000 });
  fill(log, 60, 5);
  const n = log.enforceRetention(T0 + 10 ** 9);
  assert.ok(n > 0);
  assert.ok(log.size <= 3000 + 1000, `size ${log.size}`);
  assert.ok(log.size > 3000 - 1000, 'does not delete more than needed');
  assert.equal(readAll(log, log.logStartOffset).at(-1), 'r-499');
  log.close();
  remove();
});

test('batches larger than every read chunk: reads, time lookups and CRC recovery', () => {
  const { dir, remove } = tempDir('plog');
  const pdir = path.join(dir, 't-0');
  let log = PartitionLog.open(pdir, 't', 0, { config: { indexIntervalBytes: 1024 } });
  const big = 'x'.repeat(10_000);
  for (let b = 0; b < 6; b++) {
    // 150 records of 10 kB: a 1.5 MB batch, above the 1 MiB scan chunk and the 64 KiB lookup chunk.
    log.append(buildBatch(Array.from({ length: 150 }, (_, i) => ({ value: big, timestamp: T0 + b * 1000 + i }))), 0);
    log.append(buildBatch([{ value: `small-${b}`, timestamp: T0 + b * 1000 + 500 }]), 0);
  }
  assert.is(log.nextOffset, 6 * 151);
  for (let b = 0; b < 6; b++) {
    assert.equal(log.offsetForTimestamp(T0 + b * 1000 + 77), { offset: b * 151 + 77, timestamp: T0 + b * 1000 + 77 });
    assert.equal(log.offsetForTimestamp(T0 + b * 1000 + 300), { offset: b * 151 + 150, timestamp: T0 + b * 1000 + 500 });
    const [first] = parseBatches(log.read(b * 151 + 3, 100));
    assert.is(first.baseOffset, b * 151);
    assert.is(first.values.length, 150);
  }
  // Sequential reads (from the segment's read hints) smaller than the batches: each answer is
  // one whole batch, read once.
  const sizes: number[] = [];
  for (let offset = 0; offset < log.nextOffset; ) {
    const chunk = log.read(offset, 1000);
    const batches = parseBatches(chunk);
    assert.is(batches.length, 1, `one batch at ${offset}`);
    assert.is(batches[0].baseOffset, offset);
    sizes.push(chunk.length);
    offset = batches[0].lastOffset + 1;
  }
  assert.is(sizes.length, 12);
  assert.equal(readAll(log, 0, 1000), [0, 1, 2, 3, 4, 5].flatMap((b) => [...Array<string>(150).fill(big), `small-${b}`]));
  log.close();
  log = PartitionLog.open(pdir, 't', 0, { verifyCrc: true });
  assert.is(log.nextOffset, 6 * 151);
  assert.equal(parseBatches(log.read(6 * 151 - 1, 1))[0].values, ['small-5']);
  log.close();
  remove();
});

test('segments roll by age in record time (Kafka semantics), and by wall clock without timestamps', async () => {
  const { dir, remove } = tempDir('plog');
  const log = PartitionLog.open(path.join(dir, 't-0'), 't', 0, { config: { segmentMs: 1000 } });
  log.append(valuesBatch('a', 2, T0), 0);
  log.append(valuesBatch('b', 2, T0 + 900), 0);
  assert.is(log.segmentCount, 1, 'within segmentMs of the first batch');
  log.append(valuesBatch('c', 2, T0 + 1500), 0);
  assert.is(log.segmentCount, 2, 'rolled: the records span more than segmentMs');
  log.append(valuesBatch('d', 2, T0 + 100), 0);
  assert.is(log.segmentCount, 2, 'an older timestamp does not roll');
  log.setConfig({ segmentMs: 30 });
  const noTimestamps = () => buildBatch([{ value: 'n', timestamp: -1 }]);
  log.roll();
  log.append(noTimestamps(), 0);
  log.append(noTimestamps(), 0);
  assert.is(log.segmentCount, 3);
  await new Promise((r) => setTimeout(r, 60));
  log.append(noTimestamps(), 0);
  assert.is(log.segmentCount, 4, 'rolled by the wall clock age of the segment');
  assert.equal(parseBatches(log.read(0, 1 << 20)).map((b) => b.values[0]), ['a-0', 'b-0']);
  log.close();
  remove();
});

test.run();
