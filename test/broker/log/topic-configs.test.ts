// Topic configs with Kafka's names and semantics: validation (40/42 as Kafka answers), sources
// and synonyms, AlterConfigs replacing the whole set, IncrementalAlterConfigs' four operations,
// persistence across restarts and from a version 1 catalog, and broker configs described.
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LogError, LogManager, TOPIC_CONFIG_NAMES, type DescribedConfig } from '../../../sdk/broker/log';
import { tempDir } from './batches';

function failure(fn: () => unknown): { code: number; message: string } {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof LogError)) throw err;
    return { code: err.code, message: err.message };
  }
  throw new Error('expected a LogError');
}

const byName = (entries: DescribedConfig[], name: string) => entries.find((e) => e.name === name)!;

test('CreateTopics configs: Kafka names and types checked, the bad key named, nothing half-created', () => {
  const { dir, remove } = tempDir('cfg');
  const m = LogManager.open(dir, { flushIntervalMs: 0 });
  const cases: Array<[Record<string, string | null>, number, RegExp]> = [
    [{ 'retention.ms': 'soon' }, 40, /Invalid value soon for configuration retention\.ms: Not a number of type LONG/],
    [{ 'retention.ms': '-2' }, 40, /retention\.ms: Value must be at least -1/],
    [{ 'segment.bytes': '9999999999' }, 40, /segment\.bytes: Not a number of type INT/],
    [{ 'cleanup.policy': 'compact,shred' }, 40, /cleanup\.policy: String must be one of: compact, delete/],
    [{ 'min.cleanable.dirty.ratio': '1.5' }, 40, /no more than 1/],
    [{ 'message.timestamp.type': 'BrokerTime' }, 40, /CreateTime, LogAppendTime/],
    [{ preallocate: 'yes' }, 40, /true or false/],
    [{ 'retention.mss': '1' }, 40, /Unknown topic config name: retention\.mss/],
    [{ 'retention.ms': null }, 40, /Null value not supported for topic configs: retention\.ms/],
    [{ 'min.compaction.lag.ms': '10', 'max.compaction.lag.ms': '5' }, 40, /min\.compaction\.lag\.ms \(10\) > max\.compaction\.lag\.ms \(5\)/],
  ];
  for (const [configs, code, message] of cases) {
    const f = failure(() => m.createTopic('t', 1, configs));
    assert.is(f.code, code, JSON.stringify(configs));
    assert.match(f.message, message);
    assert.is(m.topic('t'), undefined);
    assert.is(failure(() => m.validateTopicConfigs(configs)).code, code);
  }
  m.validateTopicConfigs({ 'cleanup.policy': 'delete' });
  const both = m.createTopic('both', 1, { 'cleanup.policy': ' delete , compact' });
  assert.equal(both.configs, { 'cleanup.policy': 'delete , compact' });
  assert.is(m.partition('both', 0)!.effectiveConfig.cleanupPolicy, 'compact,delete');
  m.incrementalAlterTopicConfigs('both', [{ name: 'cleanup.policy', op: 3, value: 'delete' }]);
  assert.is(m.partition('both', 0)!.effectiveConfig.cleanupPolicy, 'compact');
  m.incrementalAlterTopicConfigs('both', [{ name: 'cleanup.policy', op: 2, value: 'delete,compact' }]);
  assert.is(m.topicConfigs('both')['cleanup.policy'], 'compact,delete', 'APPEND adds only what is missing');
  m.deleteTopic('both');
  assert.is(m.topic('t'), undefined, 'validate only creates nothing');
  const t = m.createTopic('t', 1, { 'cleanup.policy': ' delete ', 'retention.ms': '1000', 'compression.type': 'lz4', 'flush.messages': '9223372036854775807' });
  assert.equal(t.configs, { 'cleanup.policy': 'delete', 'retention.ms': '1000', 'compression.type': 'lz4', 'flush.messages': '9223372036854775807' });
  const eff = m.partition('t', 0)!.effectiveConfig;
  assert.is(eff.cleanupPolicy, 'delete');
  assert.is(eff.retentionMs, 1000);
  m.close();
  remove();
});

test('describe: every Kafka topic config, value and source topic > broker > default, synonyms in that order', () => {
  const { dir, remove } = tempDir('cfg');
  const m = LogManager.open(dir, { flushIntervalMs: 0, defaults: { retentionMs: 3_600_000, segmentBytes: 1 << 20 } });
  m.createTopic('t', 1, { 'retention.ms': '1000', 'max.message.bytes': '2000' });
  const all = m.describeTopicConfigs('t');
  assert.equal(all.map((e) => e.name), [...TOPIC_CONFIG_NAMES].sort());
  assert.ok(all.length >= 30);
  const retention = byName(all, 'retention.ms');
  assert.equal(
    { value: retention.value, source: retention.source, type: retention.type, readOnly: retention.readOnly, sensitive: retention.sensitive },
    { value: '1000', source: 'topic', type: 'long', readOnly: false, sensitive: false },
  );
  assert.equal(retention.synonyms, [
    { name: 'retention.ms', value: '1000', source: 'topic' },
    { name: 'log.retention.ms', value: '3600000', source: 'broker' },
    { name: 'log.retention.ms', value: '604800000', source: 'default' },
  ]);
  assert.equal(byName(all, 'segment.bytes').synonyms.map((s) => s.source), ['broker', 'default']);
  assert.is(byName(all, 'segment.bytes').value, String(1 << 20));
  assert.equal([byName(all, 'cleanup.policy').value, byName(all, 'cleanup.policy').source, byName(all, 'cleanup.policy').type], ['delete', 'default', 'list']);
  assert.equal([byName(all, 'max.message.bytes').value, byName(all, 'max.message.bytes').source], ['2000', 'topic'], 'stored though not enforced');
  assert.is(byName(all, 'max.compaction.lag.ms').value, '9223372036854775807');
  assert.is(byName(all, 'min.cleanable.dirty.ratio').value, '0.5');
  assert.is(failure(() => m.describeTopicConfigs('nope')).code, 3);
  m.close();
  remove();
});

test('AlterConfigs replaces the whole set (unnamed keys return to default), all or nothing, nulls refused with 42', () => {
  const { dir, remove } = tempDir('cfg');
  const m = LogManager.open(dir, { flushIntervalMs: 0 });
  m.createTopic('t', 2, { 'retention.ms': '1000', 'segment.bytes': '5000' });
  m.setTopicConfigs('t', { 'message.timestamp.type': 'LogAppendTime' });
  assert.equal(m.topicConfigs('t'), { 'message.timestamp.type': 'LogAppendTime' });
  for (const p of [0, 1]) {
    assert.is(m.partition('t', p)!.effectiveConfig.retentionMs, 604_800_000, 'back to default');
    assert.is(m.partition('t', p)!.effectiveConfig.messageTimestampType, 'LogAppendTime');
  }
  const f = failure(() => m.setTopicConfigs('t', { 'retention.ms': null }));
  assert.equal([f.code, f.message], [42, 'Null value not supported for : retention.ms']);
  assert.is(failure(() => m.setTopicConfigs('t', { 'retention.ms': '5', 'segment.ms': '0' })).code, 40);
  assert.equal(m.topicConfigs('t'), { 'message.timestamp.type': 'LogAppendTime' }, 'a refused change changes nothing');
  m.close();
  remove();
});

test('IncrementalAlterConfigs: SET, DELETE, APPEND/SUBTRACT on lists from the default, errors as Kafka', () => {
  const { dir, remove } = tempDir('cfg');
  const m = LogManager.open(dir, { flushIntervalMs: 0 });
  m.createTopic('t', 1, { 'retention.ms': '1000' });
  const L = 'leader.replication.throttled.replicas';
  m.incrementalAlterTopicConfigs('t', [{ name: L, op: 2, value: '0:0' }, { name: 'retention.ms', op: 1, value: null }, { name: 'segment.ms', op: 0, value: '60000' }]);
  assert.equal(m.topicConfigs('t'), { [L]: '0:0', 'segment.ms': '60000' }, 'APPEND starts from the default list');
  assert.is(m.partition('t', 0)!.effectiveConfig.segmentMs, 60000);
  m.incrementalAlterTopicConfigs('t', [{ name: L, op: 2, value: '1:0,0:0' }]);
  assert.equal(m.topicConfigs('t')[L], '0:0,1:0', 'no duplicate items');
  m.incrementalAlterTopicConfigs('t', [{ name: L, op: 3, value: '0:0' }]);
  assert.equal(m.topicConfigs('t')[L], '1:0');
  m.incrementalAlterTopicConfigs('t', [{ name: 'no.such.config', op: 1, value: null }]);
  const before = m.topicConfigs('t');
  const errors: Array<[Array<{ name: string; op: number; value: string | null }>, number, RegExp]> = [
    [[{ name: 'retention.ms', op: 2, value: '5' }], 40, /Config value append is not allowed for config key: retention\.ms/],
    [[{ name: 'retention.ms', op: 3, value: '5' }], 40, /subtract is not allowed/],
    [[{ name: 'cleanup.policy', op: 3, value: 'delete' }], 40, /cleanup\.policy/],
    [[{ name: 'retention.ms', op: 0, value: null }], 42, /Null value not supported for : retention\.ms/],
    [[{ name: 'retention.ms', op: 0, value: '1' }, { name: 'retention.ms', op: 1, value: null }], 42, /duplicate config keys/],
    [[{ name: 'retention.ms', op: 7, value: '1' }], 42, /Unknown config operation 7/],
    [[{ name: 'bogus', op: 0, value: '1' }], 40, /Unknown topic config name: bogus/],
  ];
  for (const [ops, code, message] of errors) {
    const f = failure(() => m.incrementalAlterTopicConfigs('t', ops));
    assert.is(f.code, code, JSON.stringify(ops));
    assert.match(f.message, message);
  }
  m.incrementalAlterTopicConfigs('t', [{ name: 'retention.ms', op: 0, value: '5' }], true);
  assert.equal(m.topicConfigs('t'), before, 'errors and validate-only change nothing');
  m.close();
  remove();
});

test('configs persist across restarts; a version 1 catalog (configs by field) reads as Kafka names', () => {
  const { dir, remove } = tempDir('cfg');
  let m = LogManager.open(dir, { flushIntervalMs: 0 });
  m.createTopic('a', 1, { 'message.timestamp.type': 'LogAppendTime', 'preallocate': 'true' });
  m.incrementalAlterTopicConfigs('a', [{ name: 'retention.ms', op: 0, value: '777' }]);
  m.close();
  m = LogManager.open(dir, { flushIntervalMs: 0 });
  assert.equal(m.topicConfigs('a'), { 'message.timestamp.type': 'LogAppendTime', preallocate: 'true', 'retention.ms': '777' });
  assert.is(m.partition('a', 0)!.effectiveConfig.messageTimestampType, 'LogAppendTime');
  m.close();
  const catalog = path.join(dir, 'topics.json');
  const v1 = { version: 1, topics: [{ name: 'old', id: '00'.repeat(16), partitions: 1, config: { retentionMs: 5000, segmentBytes: 4096 } }] };
  fs.writeFileSync(catalog, JSON.stringify(v1));
  m = LogManager.open(dir, { flushIntervalMs: 0 });
  assert.equal(m.topicConfigs('old'), { 'retention.ms': '5000', 'segment.bytes': '4096' });
  assert.is(m.partition('old', 0)!.effectiveConfig.segmentBytes, 4096);
  m.close();
  remove();
});

test.run();
