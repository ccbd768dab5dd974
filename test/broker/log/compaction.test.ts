// Log compaction: the last value of every key survives at its own offset, tombstones go after
// delete.retention.ms, the active segment is never touched, the dirty-ratio rule decides when,
// and an interrupted pass is either finished or dropped on open (never half-applied).
import * as fs from 'fs';
import * as path from 'path';
import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LogError, LogManager, PartitionLog } from '../../../sdk/broker/log';
import { buildBatch, parseBatches, readRecords, tempDir, type TestRecord } from './batches';

const T0 = 1_700_000_000_000;
const COMPACT = { cleanupPolicy: 'compact' as const, segmentBytes: 400 };

/** Appends one batch per entry; returns each record's offset with its key and value. */
function write(log: PartitionLog, batches: TestRecord[][], compression: 'none' | 'gzip' = 'none') {
  const written: Array<{ offset: number; key: string | null; value: string | null }> = [];
  for (const records of batches) {
    const { baseOffset } = log.append(buildBatch(records, { compression }), 0);
    records.forEach((r, i) => written.push({ offset: baseOffset + i, key: (r.key as string) ?? null, value: (r.value as string) ?? null }));
  }
  return written;
}

/** The last record of each key among `records`. */
function lastPerKey(records: Array<{ offset: number; key: string | null; value: string | null }>) {
  const m = new Map<string, { offset: number; key: string | null; value: string | null }>();
  for (const r of records) if (r.key !== null) m.set(r.key, r);
  return [...m.values()].sort((a, b) => a.offset - b.offset);
}

test('a pass keeps the last value of every key at its own offset; offsets, log end and CRCs hold; restart keeps it', async () => {
  const { dir, remove } = tempDir('compact');
  const pdir = path.join(dir, 't-0');
  let log = PartitionLog.open(pdir, 't', 0, { config: COMPACT });
  const batches = Array.from({ length: 60 }, (_, b) =>
    Array.from({ length: 1 + (b % 4) }, (_, i) => ({ key: `k${(b * 7 + i) % 9}`, value: `v${b}.${i}`, timestamp: T0 + b })),
  );
  const written = [...write(log, batches.slice(0, 30)), ...write(log, batches.slice(30), 'gzip')];
  log.roll();
  const before = { size: log.size, next: log.nextOffset, start: log.logStartOffset, segments: log.segmentCount };
  const result = await log.clean({ force: true });
  assert.ok(result.cleaned, result.reason);
  assert.is(result.recordsRemoved, written.length - 9);
  assert.equal(readRecords(log), lastPerKey(written), 'exactly the last value of each key, at its offset');
  assert.is(log.nextOffset, before.next);
  assert.is(log.logStartOffset, before.start);
  assert.ok(log.size < before.size / 3, `smaller: ${log.size} < ${before.size}`);
  assert.ok(log.segmentCount < before.segments, 'segments merged up to segment.bytes');
  for (let o = 0; o < log.nextOffset; o++) for (const b of parseBatches(log.read(o, 1))) assert.ok(b.crcOk);
  // Fetching from a removed offset answers from the next batch holding a later record.
  const gap = written.find((w) => !lastPerKey(written).some((l) => l.offset === w.offset))!;
  assert.ok(parseBatches(log.read(gap.offset, 1))[0].lastOffset >= gap.offset);
  log.close();
  log = PartitionLog.open(pdir, 't', 0, { config: COMPACT });
  assert.equal(readRecords(log), lastPerKey(written), 'after a restart');
  assert.equal(fs.readdirSync(pdir).filter((f) => /cleaned|swap/.test(f)), [], 'no leftovers');
  log.close();
  remove();
});

test('the active segment is never cleaned; the dirty ratio decides, unless forced; delete-only topics are skipped', async () => {
  const { dir, remove } = tempDir('compact');
  const log = PartitionLog.open(path.join(dir, 't-0'), 't', 0, { config: { ...COMPACT, segmentBytes: 1 << 20, minCleanableDirtyRatio: 0.5 } });
  const written = write(log, Array.from({ length: 20 }, (_, b) => [{ key: 'same', value: `v${b}`, timestamp: T0 }]));
  assert.equal((await log.clean({ force: true })).reason, 'nothing dirty', 'only the active segment holds records');
  assert.equal(readRecords(log), written);
  log.roll();
  assert.ok((await log.clean()).cleaned, 'all dirty: ratio 1');
  write(log, [[{ key: 'same', value: 'x', timestamp: T0 }]]);
  log.roll();
  const r = await log.clean();
  assert.not.ok(r.cleaned);
  assert.match(r.reason!, /dirty ratio 0\.\d+ below 0\.5/);
  assert.ok((await log.clean({ force: true })).cleaned);
  assert.equal(readRecords(log).map((x) => x.value), ['x']);
  log.setConfig({ cleanupPolicy: 'delete' });
  assert.is((await log.clean({ force: true })).reason, 'not a compacted topic');
  log.close();
  remove();
});

test('tombstones: kept while younger than delete.retention.ms, then removed with every older value of their key', async () => {
  const { dir, remove } = tempDir('compact');
  const log = PartitionLog.open(path.join(dir, 't-0'), 't', 0, { config: { ...COMPACT, deleteRetentionMs: 60_000 } });
  write(log, [
    [{ key: 'a', value: 'a1', timestamp: T0 }, { key: 'b', value: 'b1', timestamp: T0 }],
    [{ key: 'a', value: null, timestamp: T0 }],
    [{ key: 'c', value: 'c1', timestamp: T0 }],
  ]);
  log.roll();
  await log.clean({ force: true });
  assert.equal(readRecords(log).map((r) => [r.key, r.value]), [['b', 'b1'], ['a', null], ['c', 'c1']], 'the tombstone stays for now');
  write(log, [[{ key: 'd', value: 'd1', timestamp: T0 }]]);
  log.roll();
  await log.clean({ force: true, now: Date.now() + 61_000 });
  assert.equal(readRecords(log).map((r) => [r.key, r.value]), [['b', 'b1'], ['c', 'c1'], ['d', 'd1']], 'gone after delete.retention.ms');
  log.close();
  remove();
});

test('compacted topics refuse records without a key (87); compact-only topics are not deleted by retention', async () => {
  const { dir, remove } = tempDir('compact');
  const log = PartitionLog.open(path.join(dir, 't-0'), 't', 0, { config: { ...COMPACT, retentionMs: 1 } });
  try {
    log.append(buildBatch([{ key: 'k', value: 'v' }, { key: null, value: 'nokey' }]), 0);
    assert.unreachable();
  } catch (err) {
    assert.is((err as LogError).code, 87);
  }
  write(log, Array.from({ length: 20 }, (_, i) => [{ key: `k${i}`, value: 'x'.repeat(50), timestamp: T0 }]));
  assert.ok(log.segmentCount > 2);
  assert.is(log.enforceRetention(T0 + 1e9), 0, 'compact only: kept until superseded');
  log.setConfig({ ...COMPACT, cleanupPolicy: 'compact,delete', retentionMs: 1 });
  assert.ok(log.enforceRetention(T0 + 1e9) > 0, 'compact,delete: retention applies too');
  log.close();
  remove();
});

test('replaying a compacted log gives the same state as the full history (property, with restarts)', async () => {
  type Op = { key: number; value: number | null; batch: boolean; roll: boolean; clean: boolean; restart: boolean };
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.record({
          key: fc.integer({ min: 0, max: 12 }),
          value: fc.option(fc.integer({ min: 0, max: 999 }), { freq: 6 }),
          batch: fc.boolean(),
          roll: fc.boolean(),
          clean: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
          restart: fc.integer({ min: 0, max: 19 }).map((n) => n === 0),
        }),
        { minLength: 1, maxLength: 120 },
      ),
      fc.constantFrom('none', 'gzip') as fc.Arbitrary<'none' | 'gzip'>,
      async (ops: Op[], compression) => {
        const { dir, remove } = tempDir('compact-prop');
        const pdir = path.join(dir, 't-0');
        const config = { ...COMPACT, segmentBytes: 300, deleteRetentionMs: 1e12 };
        let log = PartitionLog.open(pdir, 't', 0, { config });
        const history = new Map<number, { key: string; value: string | null }>();
        let pending: TestRecord[] = [];
        const flush = () => {
          if (!pending.length) return;
          for (const w of write(log, [pending], compression)) history.set(w.offset, { key: w.key!, value: w.value });
          pending = [];
        };
        for (const op of ops) {
          pending.push({ key: `k${op.key}`, value: op.value === null ? null : `v${op.value}`, timestamp: T0 });
          if (!op.batch) flush();
          if (op.roll) log.roll();
          if (op.clean) await log.clean({ force: true });
          if (op.restart) {
            log.close();
            log = PartitionLog.open(pdir, 't', 0, { config });
          }
        }
        flush();
        log.roll();
        await log.clean({ force: true });
        const present = readRecords(log);
        for (const r of present) assert.equal({ key: r.key, value: r.value }, history.get(r.offset), `offset ${r.offset} holds what was written there`);
        const final = lastPerKey([...history].map(([offset, r]) => ({ offset, ...r })));
        assert.equal(present, final, 'after a full pass: exactly the last record of each key (tombstones younger than delete.retention.ms kept)');
        log.close();
        remove();
      },
    ),
    { numRuns: 40, seed: 11 },
  );
});

test('an interrupted pass: without its manifest it is dropped, with it it is finished, on open', async () => {
  const { dir, remove } = tempDir('compact');
  const pdir = path.join(dir, 't-0');
  const log = PartitionLog.open(pdir, 't', 0, { config: COMPACT });
  const written = write(log, Array.from({ length: 40 }, (_, b) => [{ key: `k${b % 5}`, value: `v${b}`, timestamp: T0 }]));
  log.roll();
  log.close();
  const original = path.join(dir, 'original');
  fs.cpSync(pdir, original, { recursive: true });
  const cleanedLog = PartitionLog.open(pdir, 't', 0, { config: COMPACT });
  await cleanedLog.clean({ force: true });
  const segments = fs.readdirSync(pdir).filter((f) => f.endsWith('.log'));
  assert.is(segments.length, 2, 'one cleaned segment + the active one');
  const cleanedBytes = fs.readFileSync(path.join(pdir, segments[0]));
  cleanedLog.close();
  const members = fs.readdirSync(original).filter((f) => f.endsWith('.log')).map((f) => Number(f.slice(0, 20))).slice(0, -1);

  // Crash after the .cleaned file was written, before the manifest: the pass is dropped.
  const a = path.join(dir, 'a');
  fs.cpSync(original, a, { recursive: true });
  fs.writeFileSync(path.join(a, `${segments[0]}.cleaned`), cleanedBytes);
  let reopened = PartitionLog.open(a, 't', 0, { config: COMPACT });
  assert.equal(readRecords(reopened), written, 'everything as before the pass');
  reopened.close();
  assert.equal(fs.readdirSync(a).filter((f) => f.includes('cleaned')), []);

  // Crash after the manifest, with some old segments already deleted: the pass is finished.
  const b = path.join(dir, 'b');
  fs.cpSync(original, b, { recursive: true });
  fs.writeFileSync(path.join(b, `${segments[0]}.cleaned`), cleanedBytes);
  fs.writeFileSync(path.join(b, 'cleaner-swap.json'), JSON.stringify({ groups: [{ base: members[0], members }] }));
  fs.rmSync(path.join(b, `${String(members[1]).padStart(20, '0')}.log`));
  fs.rmSync(path.join(b, `${String(members[0]).padStart(20, '0')}.index`));
  reopened = PartitionLog.open(b, 't', 0, { config: COMPACT });
  assert.equal(readRecords(reopened), lastPerKey(written), 'the committed pass completed');
  assert.is(reopened.nextOffset, 40);
  reopened.close();
  assert.equal(fs.readdirSync(b).filter((f) => /cleaned|swap/.test(f)), []);
  remove();
});

test('LogManager: cleanup.policy=compact by Kafka name, cleanNow, the background cleaner by dirty ratio', async () => {
  const { dir, remove } = tempDir('compact');
  const m = LogManager.open(dir, { flushIntervalMs: 0, cleanerIntervalMs: 20 });
  m.createTopic('_schemas', 1, { 'cleanup.policy': 'compact', 'segment.bytes': '300', 'min.cleanable.dirty.ratio': '0.01' });
  m.createTopic('plain', 1, { 'segment.bytes': '300' });
  const log = m.partition('_schemas', 0)!;
  const written = write(log, Array.from({ length: 30 }, (_, b) => [{ key: `subject-${b % 3}`, value: `schema ${b}`, timestamp: T0 }]));
  write(m.partition('plain', 0)!, Array.from({ length: 30 }, (_, b) => [{ key: 'same', value: `${b}`, timestamp: T0 }]));
  log.roll();
  const deadline = Date.now() + 10_000;
  while (readRecords(log).length > 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(readRecords(log), lastPerKey(written), 'the background cleaner compacted it');
  assert.is(readRecords(m.partition('plain', 0)!).length, 30, 'delete-policy topics untouched');
  write(log, [[{ key: 'subject-0', value: 'newest', timestamp: T0 }]]);
  log.roll();
  await m.stopCleaner();
  assert.is(await m.cleanNow('_schemas'), 1);
  assert.equal(readRecords(log).filter((r) => r.key === 'subject-0').map((r) => r.value), ['newest']);
  m.close();
  remove();
});

test.run();
