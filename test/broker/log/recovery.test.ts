import * as fs from 'fs';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LogManager, PartitionLog } from '../../../sdk/broker/log';
import { buildBatch, parseBatches, tempDir } from './batches';

function appendN(log: PartitionLog, batches: number, per = 3): void {
  for (let b = 0; b < batches; b++) {
    const first = log.nextOffset;
    log.append(buildBatch(Array.from({ length: per }, (_, i) => ({ value: `v-${first + i}`, timestamp: 1000 + first + i }))), 0);
  }
}

function allValues(log: PartitionLog): string[] {
  const out: string[] = [];
  let offset = log.logStartOffset;
  while (offset < log.nextOffset) {
    for (const b of parseBatches(log.read(offset, 1 << 20))) {
      assert.ok(b.crcOk, `CRC of batch ${b.baseOffset}`);
      out.push(...b.values);
      offset = b.lastOffset + 1;
    }
  }
  return out;
}

function activeLogFile(dir: string): string {
  const logs = fs.readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
  return path.join(dir, logs[logs.length - 1]);
}

test('a torn write (file cut mid-batch) is truncated; everything before it survives', () => {
  const { dir, remove } = tempDir('recover');
  const pdir = path.join(dir, 't-0');
  let log = PartitionLog.open(pdir, 't', 0, { config: { segmentBytes: 2000 } });
  appendN(log, 40);
  const acknowledged = allValues(log);
  log.flush();
  log.close();
  // A crash in the middle of the next append leaves part of a batch at the end.
  const file = activeLogFile(pdir);
  const partial = buildBatch([{ value: 'lost-1' }, { value: 'lost-2' }]);
  fs.appendFileSync(file, partial.subarray(0, 40));
  const sizeWithTear = fs.statSync(file).size;
  log = PartitionLog.open(pdir, 't', 0);
  assert.is(fs.statSync(file).size, sizeWithTear - 40, 'partial batch removed from the file');
  assert.is(log.nextOffset, 120);
  assert.equal(allValues(log), acknowledged);
  appendN(log, 2);
  assert.is(log.nextOffset, 126);
  assert.equal(allValues(log).slice(-6), ['v-120', 'v-121', 'v-122', 'v-123', 'v-124', 'v-125']);
  log.close();
  remove();
});

test('a tear inside the 12-byte prefix and a bad CRC in the last batch are both cut', () => {
  const { dir, remove } = tempDir('recover');
  const pdir = path.join(dir, 't-0');
  let log = PartitionLog.open(pdir, 't', 0);
  appendN(log, 10);
  log.close();
  const file = activeLogFile(pdir);
  fs.appendFileSync(file, Buffer.from([0, 0, 0, 0, 0]));
  log = PartitionLog.open(pdir, 't', 0);
  assert.is(log.nextOffset, 30);
  log.close();

  // Flip one byte inside the last batch's records: its CRC no longer matches.
  const size = fs.statSync(file).size;
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, Buffer.from([0xff]), 0, 1, size - 3);
  fs.closeSync(fd);
  log = PartitionLog.open(pdir, 't', 0, { verifyCrc: true });
  assert.is(log.nextOffset, 27, 'the corrupt batch (offsets 27..29) is gone');
  assert.equal(allValues(log).at(-1), 'v-26');
  log.close();
  remove();
});

test('a corrupt CRC mid-segment truncates from there (offsets stay contiguous for new appends)', () => {
  const { dir, remove } = tempDir('recover');
  const pdir = path.join(dir, 't-0');
  let log = PartitionLog.open(pdir, 't', 0);
  appendN(log, 10);
  const sizes = parseBatches(log.read(0, 1 << 20)).length;
  assert.is(sizes, 10);
  log.close();
  const file = activeLogFile(pdir);
  const buf = fs.readFileSync(file);
  const batch5 = 5 * (buf.length / 10);
  buf[batch5 + 70] ^= 0x55;
  fs.writeFileSync(file, buf);
  log = PartitionLog.open(pdir, 't', 0);
  assert.is(log.nextOffset, 15);
  appendN(log, 1);
  assert.equal(allValues(log).slice(13), ['v-13', 'v-14', 'v-15', 'v-16', 'v-17']);
  log.close();
  remove();
});

test('LogManager: unclean stop verifies CRCs, clean stop leaves a marker; data dir is locked while open', () => {
  const { dir, remove } = tempDir('recover');
  let m = LogManager.open(dir, { flushIntervalMs: 0 });
  m.createTopic('events', 2);
  appendN(m.partition('events', 0)!, 5);
  appendN(m.partition('events', 1)!, 7);
  assert.throws(() => LogManager.open(dir), /already open/);
  m.close();
  assert.ok(fs.existsSync(path.join(dir, '.clean-shutdown')));
  m = LogManager.open(dir);
  assert.not.ok(fs.existsSync(path.join(dir, '.clean-shutdown')), 'marker consumed while running');
  // Simulate a crash: corrupt the tail, and "forget" to close (release the in-process lock only).
  const file = activeLogFile(path.join(dir, 'events-1'));
  fs.appendFileSync(file, buildBatch([{ value: 'torn' }]).subarray(0, 70));
  m.close();
  fs.rmSync(path.join(dir, '.clean-shutdown'));
  m = LogManager.open(dir);
  assert.is(m.partition('events', 0)!.nextOffset, 15);
  assert.is(m.partition('events', 1)!.nextOffset, 21);
  m.close();
  remove();
});

test('damage inside a sealed segment fails that read with CORRUPT_MESSAGE instead of hanging', () => {
  const { dir, remove } = tempDir('recover');
  const pdir = path.join(dir, 't-0');
  let log = PartitionLog.open(pdir, 't', 0, { config: { segmentBytes: 1000 } });
  appendN(log, 30);
  log.close();
  const first = path.join(pdir, fs.readdirSync(pdir).filter((f) => f.endsWith('.log')).sort()[0]);
  const buf = fs.readFileSync(first);
  const second = 12 + buf.readInt32BE(8);
  buf.writeInt32BE(-1000, second + 8); // the second batch's length
  fs.writeFileSync(first, buf);
  log = PartitionLog.open(pdir, 't', 0);
  assert.is(parseBatches(log.read(0, 1)).length, 1, 'the batch before the damage still reads');
  assert.throws(() => log.read(4, 1 << 20), (e: Error & { code?: number }) => e.code === 2);
  log.close();
  remove();
});

test.run();
