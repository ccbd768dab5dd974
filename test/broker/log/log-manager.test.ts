import * as fs from 'fs';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LogError, LogManager } from '../../../sdk/broker/log';
import type { Logger } from '../../../sdk/util/log';
import { codeOf, parseBatches, tempDir, valuesBatch } from './batches';


test('topic names are validated like Kafka', () => {
  const { dir, remove } = tempDir('mgr');
  const m = LogManager.open(dir, { flushIntervalMs: 0 });
  for (const bad of ['', '.', '..', 'a'.repeat(250), 'has space', 'slash/no', 'ümlaut', 'semi;colon']) {
    assert.is(codeOf(() => m.createTopic(bad, 1)), 17, `rejects ${JSON.stringify(bad)}`);
  }
  for (const good of ['a'.repeat(249), 'car-sensors', 'x.y_z-1', '__internal', '...a']) m.createTopic(good, 1);
  assert.is(codeOf(() => m.createTopic('car-sensors', 1)), 36);
  assert.is(codeOf(() => m.createTopic('x_y_z-1', 1)), 17, '"." and "_" collide');
  assert.is(codeOf(() => m.createTopic('zero', 0)), 37);
  assert.is(codeOf(() => m.createTopic('frac', 1.5)), 37);
  assert.is(codeOf(() => m.createTopic('cfg', 1, { 'segment.bytes': '-5' })), 40);
  assert.is(codeOf(() => m.createTopic('cfg', 1, { nonsense: '1' })), 40);
  assert.is(m.topic('cfg'), undefined, 'a refused topic is not half-created');
  assert.is(codeOf(() => m.deleteTopic('car-sensor')), 3);
  assert.match((() => { try { m.deleteTopic('car-sensor'); } catch (e) { return (e as Error).message; } return ''; })(), 'did you mean "car-sensors"');
  m.close();
  remove();
});

test('create, write, restart: topics (id, partitions, config) and every record are still there', () => {
  const { dir, remove } = tempDir('mgr');
  let m = LogManager.open(dir, { defaults: { segmentBytes: 4096 }, flushIntervalMs: 0 });
  const t = m.createTopic('car-sensors', 3, { 'retention.ms': '60000' });
  assert.is(t.id.length, 16);
  m.createTopic('other', 1);
  for (let p = 0; p < 3; p++) for (let i = 0; i < 20; i++) m.partition('car-sensors', p)!.append(valuesBatch(`p${p}b${i}`, 5), 0);
  assert.is(m.partition('car-sensors', 3), undefined);
  assert.is(m.partition('nope', 0), undefined);
  assert.ok(fs.existsSync(path.join(dir, 'car-sensors-2', '00000000000000000000.log')), 'Kafka-style layout');
  m.close();

  m = LogManager.open(dir, { defaults: { segmentBytes: 4096 } });
  assert.equal(m.topics().map((x) => [x.name, x.partitions]), [['car-sensors', 3], ['other', 1]]);
  assert.equal(m.topic('car-sensors')!.id, t.id);
  assert.equal(m.topic('car-sensors')!.configs, { 'retention.ms': '60000' });
  const p1 = m.partition('car-sensors', 1)!;
  assert.is(p1.nextOffset, 100);
  assert.equal(p1.effectiveConfig.retentionMs, 60_000);
  assert.equal(p1.effectiveConfig.segmentBytes, 4096);
  const values: string[] = [];
  for (let o = 0; o < p1.nextOffset; ) {
    for (const b of parseBatches(p1.read(o, 1 << 16))) {
      values.push(...b.values);
      o = b.lastOffset + 1;
    }
  }
  assert.is(values.length, 100);
  assert.is(values[99], 'p1b19-4');
  m.close();
  remove();
});

test('delete topic removes its data; re-creating starts empty with a new id', () => {
  const { dir, remove } = tempDir('mgr');
  let m = LogManager.open(dir, { flushIntervalMs: 0 });
  const first = m.createTopic('t', 2);
  m.partition('t', 0)!.append(valuesBatch('x', 10), 0);
  const log = m.partition('t', 0)!;
  m.deleteTopic('t');
  assert.is(m.topic('t'), undefined);
  assert.is(m.partition('t', 0), undefined);
  assert.throws(() => log.read(0, 10), (e: LogError) => e.code === 3, 'a deleted partition refuses reads');
  assert.equal(fs.readdirSync(dir).filter((f) => f.startsWith('t-')), []);
  const again = m.createTopic('t', 1);
  assert.not.equal(again.id, first.id);
  assert.is(m.partition('t', 0)!.nextOffset, 0);
  m.close();
  m = LogManager.open(dir);
  assert.equal(m.topics().map((x) => x.partitions), [1]);
  m.close();
  remove();
});

test('leftovers: half-deleted dirs are removed; a lost catalog is rebuilt from partition dirs', () => {
  const { dir, remove } = tempDir('mgr');
  let m = LogManager.open(dir, { flushIntervalMs: 0 });
  m.createTopic('keep', 2);
  m.partition('keep', 1)!.append(valuesBatch('k', 4), 0);
  m.close();
  fs.mkdirSync(path.join(dir, 'gone-0.abcd1234.deleted'));
  fs.mkdirSync(path.join(dir, 'stale-0'));
  m = LogManager.open(dir);
  assert.not.ok(fs.existsSync(path.join(dir, 'gone-0.abcd1234.deleted')));
  assert.equal(m.topics().map((t) => t.name), ['keep']);
  m.createTopic('stale', 1);
  assert.is(m.partition('stale', 0)!.nextOffset, 0);
  m.close();
  fs.rmSync(path.join(dir, 'topics.json'));
  m = LogManager.open(dir);
  assert.equal(m.topics().map((t) => [t.name, t.partitions]), [['keep', 2], ['stale', 1]]);
  assert.is(m.partition('keep', 1)!.nextOffset, 4);
  m.close();
  fs.writeFileSync(path.join(dir, 'topics.json'), '{ not json');
  assert.throws(() => LogManager.open(dir), (e: LogError) => e.code === 56 && /delete it to rediscover/.test(e.message));
  m = (fs.rmSync(path.join(dir, 'topics.json')), LogManager.open(dir));
  m.close();
  remove();
});

test('addPartitions grows a topic; setTopicConfigs applies to its logs; retention over all partitions', () => {
  const { dir, remove } = tempDir('mgr');
  const m = LogManager.open(dir, { flushIntervalMs: 0 });
  m.createTopic('g', 1, { 'segment.bytes': '500' });
  assert.is(m.addPartitions('g', 3).partitions, 3);
  assert.ok(m.partition('g', 2));
  assert.throws(() => m.addPartitions('g', 2), (e: LogError) => e.code === 37);
  for (let i = 0; i < 30; i++) m.partition('g', 2)!.append(valuesBatch(`r${i}`, 3, 1000 + i), 0);
  assert.is(m.enforceRetention(10_000), 0);
  m.setTopicConfigs('g', { 'segment.bytes': '500', 'retention.ms': '100' });
  assert.ok(m.enforceRetention(10_000) > 0);
  assert.ok(m.partition('g', 2)!.logStartOffset > 0);
  m.close();
  remove();
});

test('periodic background fsync runs without errors while appending, rolling and deleting', async () => {
  const { dir, remove } = tempDir('mgr');
  const errors: string[] = [];
  const logger: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: (msg, f) => void errors.push(`${msg} ${JSON.stringify(f)}`),
    child: () => logger,
  };
  const m = LogManager.open(dir, { flushIntervalMs: 5, logger, defaults: { segmentBytes: 2000 } });
  m.createTopic('bg', 2);
  for (let i = 0; i < 40; i++) {
    m.partition('bg', i % 2)!.append(valuesBatch(`v${i}`, 20), 0);
    if (i === 20) m.createTopic('short-lived', 1), m.partition('short-lived', 0)!.append(valuesBatch('s', 5), 0);
    if (i === 22) m.deleteTopic('short-lived');
    await new Promise((r) => setTimeout(r, 2));
  }
  await new Promise((r) => setTimeout(r, 30));
  m.close();
  assert.equal(errors, []);
  remove();
});

test('open descriptors and resident indexes stay bounded however many segments are read', () => {
  const { dir, remove } = tempDir('mgr');
  const openFds = () => fs.readdirSync('/proc/self/fd').length;
  const m = LogManager.open(dir, { flushIntervalMs: 0, maxOpenSegmentFiles: 4, maxResidentIndexes: 3, defaults: { segmentBytes: 300 } });
  m.createTopic('many', 2);
  for (let i = 0; i < 200; i++) m.partition('many', i % 2)!.append(valuesBatch(`v${i}`, 2), 0);
  const before = openFds();
  for (const p of [0, 1]) {
    const log = m.partition('many', p)!;
    assert.ok(log.segmentCount > 25, `${log.segmentCount} segments`);
    for (let o = 0; o < log.nextOffset; o++) assert.ok(log.read(o, 1).length > 0);
    assert.ok(log.offsetForTimestamp(1_700_000_000_001));
    // Walk backwards so every lookup lands on a segment whose indexes were unloaded.
    for (let o = log.nextOffset - 1; o >= 0; o -= 3) {
      const [b] = parseBatches(log.read(o, 1));
      assert.ok(b.baseOffset <= o && o <= b.lastOffset);
    }
  }
  assert.ok(openFds() - before <= 4, `descriptors grew by ${openFds() - before}`);
  assert.ok(m.cacheStats().openSegmentFiles <= 4);
  assert.ok(m.cacheStats().residentIndexes <= 3);
  m.close();
  remove();
});

test.run();
