// Log-level support of the admin APIs: DeleteRecords (log start offset, durable, reads below it
// out of range, lookups by time above it), CreatePartitions, ListOffsets max-timestamp,
// OffsetForLeaderEpoch with one epoch, and the broker's configs as DescribeConfigs shows them.
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LogManager, PartitionLog } from '../../../sdk/broker/log';
import { brokerConfigsReadOnly, describeBrokerConfigs } from '../../../sdk/broker/broker-configs';
import type { BrokerState } from '../../../sdk/broker/registry';
import { buildBatch, codeOf, parseBatches, tempDir, valuesBatch } from './batches';

const T0 = 1_700_000_000_000;


test('deleteRecordsBefore moves the log start offset durably; reads below are out of range; segments below go', () => {
  const { dir, remove } = tempDir('admin');
  const pdir = path.join(dir, 't-0');
  let log = PartitionLog.open(pdir, 't', 0, { config: { segmentBytes: 600 } });
  for (let i = 0; i < 20; i++) log.append(valuesBatch(`b${i}`, 5, T0 + i * 5), 0);
  const segments = log.segmentCount;
  assert.ok(segments > 3);
  assert.is(log.deleteRecordsBefore(42), 42);
  assert.is(log.logStartOffset, 42);
  assert.ok(log.segmentCount < segments, 'segments wholly below went');
  assert.is(codeOf(() => log.read(41, 1000)), 1);
  const [first] = parseBatches(log.read(42, 1));
  assert.ok(first.baseOffset <= 42 && first.lastOffset >= 42, 'the batch holding 42 is served whole');
  assert.equal(log.offsetForTimestamp(T0), { offset: 42, timestamp: T0 + 42 }, 'time lookups start at the log start');
  assert.is(log.deleteRecordsBefore(10), 42, 'below the start: nothing changes');
  assert.is(codeOf(() => log.deleteRecordsBefore(101)), 1, 'past the end');
  log.close();
  log = PartitionLog.open(pdir, 't', 0, { config: { segmentBytes: 600 } });
  assert.is(log.logStartOffset, 42, 'survives a restart');
  assert.is(codeOf(() => log.read(41, 1000)), 1);
  // Up to the log end: everything is gone, appends continue at the same offsets.
  assert.is(log.deleteRecordsBefore(100), 100);
  assert.is(log.nextOffset, 100);
  assert.is(log.segmentCount, 1);
  assert.is(log.read(100, 1000).length, 0);
  assert.is(log.maxTimestampOffset(), null);
  log.append(valuesBatch('after', 2, T0 + 500), 0);
  assert.equal(parseBatches(log.read(100, 1000))[0].values, ['after-0', 'after-1']);
  log.close();
  log = PartitionLog.open(pdir, 't', 0);
  assert.is(log.logStartOffset, 100);
  assert.is(log.nextOffset, 102);
  log.close();
  remove();
});

test('maxTimestampOffset: the first record carrying the largest timestamp, from the records', () => {
  const { dir, remove } = tempDir('admin');
  const log = PartitionLog.open(path.join(dir, 't-0'), 't', 0, { config: { segmentBytes: 300 } });
  assert.is(log.maxTimestampOffset(), null);
  log.append(buildBatch([{ value: 'a', timestamp: T0 + 5 }, { value: 'b', timestamp: T0 + 50 }], { claimedMaxTimestamp: -1 }), 0);
  log.append(buildBatch([{ value: 'c', timestamp: T0 + 90 }, { value: 'd', timestamp: T0 + 20 }, { value: 'e', timestamp: T0 + 90 }], { compression: 'gzip' }), 0);
  for (let i = 0; i < 10; i++) log.append(valuesBatch(`later${i}`, 3, T0 + i), 0);
  assert.equal(log.maxTimestampOffset(), { offset: 2, timestamp: T0 + 90 });
  log.deleteRecordsBefore(3);
  assert.equal(log.maxTimestampOffset(), { offset: 4, timestamp: T0 + 90 }, 'only records at or after the log start count');
  log.close();
  remove();
});

test('endOffsetForEpoch: the one epoch ends at the log end; any other epoch is undefined', () => {
  const { dir, remove } = tempDir('admin');
  const log = PartitionLog.open(path.join(dir, 't-0'), 't', 0);
  log.append(valuesBatch('x', 7), 0);
  assert.equal(log.endOffsetForEpoch(0, 0), { leaderEpoch: 0, endOffset: 7 });
  assert.equal(log.endOffsetForEpoch(3, 0), { leaderEpoch: -1, endOffset: -1 });
  assert.equal(log.endOffsetForEpoch(-1, 0), { leaderEpoch: -1, endOffset: -1 });
  log.close();
  remove();
});

test('addPartitions is persisted; broker configs describe options with sources, all read-only', () => {
  const { dir, remove } = tempDir('admin');
  let m = LogManager.open(dir, { flushIntervalMs: 0, defaults: { retentionMs: 1000 } });
  m.createTopic('grow', 2);
  m.addPartitions('grow', 5);
  assert.is(codeOf(() => m.addPartitions('grow', 5)), 37);
  assert.is(codeOf(() => m.addPartitions('nope', 5)), 3);
  m.partition('grow', 4)!.append(valuesBatch('p4', 1), 0);
  const state = {
    config: { nodeId: 0, clusterId: 'c', advertisedHost: '127.0.0.1', advertisedPort: 9999, autoCreateTopics: false, defaultPartitions: 3, maxPartitionsPerTopic: 1000, maxFrameBytes: 100 * 1024 * 1024, idleConnectionMs: 600_000, log: {} },
    logs: m,
  } as unknown as BrokerState;
  const configs = describeBrokerConfigs(state);
  const get = (n: string) => configs.find((c) => c.name === n)!;
  assert.equal([get('num.partitions').value, get('num.partitions').source], ['3', 'broker']);
  assert.equal([get('auto.create.topics.enable').value, get('auto.create.topics.enable').source], ['false', 'broker']);
  assert.equal([get('socket.request.max.bytes').value, get('socket.request.max.bytes').source], ['104857600', 'default']);
  assert.equal([get('log.retention.ms').value, get('log.retention.ms').source], ['1000', 'broker']);
  assert.equal(get('log.retention.ms').synonyms, [{ name: 'log.retention.ms', value: '1000', source: 'broker' }, { name: 'log.retention.ms', value: '604800000', source: 'default' }]);
  assert.equal([get('log.cleanup.policy').value, get('log.segment.bytes').value], ['delete', String(64 << 20)]);
  assert.is(get('advertised.listeners').value, 'PLAINTEXT://127.0.0.1:9999');
  assert.ok(configs.every((c) => c.readOnly && !c.sensitive));
  const err = brokerConfigsReadOnly(['num.partitions']);
  assert.equal([err.code, /Cannot update these configs dynamically: num\.partitions/.test(err.message)], [42, true]);
  m.close();
  m = LogManager.open(dir, { flushIntervalMs: 0 });
  assert.is(m.topic('grow')!.partitions, 5);
  assert.is(m.partition('grow', 4)!.nextOffset, 1);
  m.close();
  remove();
});

test.run();
