import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parsePosition, partitionsToRead, resolveRanges, timestampsOf, TimeOffsets } from '../../sdk/kafka/position';

const NOW = Date.parse('2026-11-20T12:00:00Z');

test('every position kind parses', () => {
  assert.equal(parsePosition('earliest'), { kind: 'earliest' });
  assert.equal(parsePosition('latest'), { kind: 'latest' });
  assert.equal(parsePosition(42), { kind: 'offset', offset: 42 });
  assert.equal(parsePosition('42'), { kind: 'offset', offset: 42 });
  assert.equal(parsePosition(new Date(NOW)), { kind: 'time', ts: NOW });
  assert.equal(parsePosition('2026-11-20T12:00:00Z'), { kind: 'time', ts: NOW });
  assert.equal(parsePosition('2026-11-20T13:00:00+01:00'), { kind: 'time', ts: NOW });
  assert.equal(parsePosition('2026-11-20'), { kind: 'time', ts: Date.parse('2026-11-20') });
  assert.equal(parsePosition('-15m', NOW), { kind: 'time', ts: NOW - 15 * 60_000 });
  assert.equal(parsePosition('-2h', NOW), { kind: 'time', ts: NOW - 2 * 3_600_000 });
  assert.equal(parsePosition('-7d', NOW), { kind: 'time', ts: NOW - 7 * 86_400_000 });
  assert.equal(parsePosition('now', NOW), { kind: 'time', ts: NOW });
  assert.equal(parsePosition({ 0: 5, 2: '7' }), { kind: 'map', offsets: new Map([[0, 5], [2, 7]]) });
});

test('bad positions say what is accepted', () => {
  for (const bad of ['yesterday', -1, 1.5, '15m', {}, { x: 1 }, new Date('nope')] as never[]) {
    assert.throws(() => parsePosition(bad), /Invalid position .*'earliest', 'latest'/);
  }
});

test('ranges resolve per partition, times through looked-up offsets, clamped to the log', () => {
  const bounds = [
    { partition: 0, low: 0, high: 100 },
    { partition: 1, low: 10, high: 50 },
  ];
  const t1 = NOW - 3_600_000;
  const from = parsePosition('-1h', NOW);
  const to = parsePosition('latest');
  assert.equal(timestampsOf(from, to), [t1]);
  const times: TimeOffsets = new Map([[t1, new Map([[0, 60], [1, -1]])]]);
  assert.equal(resolveRanges(from, to, bounds, times), [
    { partition: 0, from: 60, to: 100 },
    { partition: 1, from: 50, to: 50 },
  ]);
  assert.equal(resolveRanges(parsePosition(5), parsePosition(80), bounds, times), [
    { partition: 0, from: 5, to: 80 },
    { partition: 1, from: 10, to: 50 },
  ]);
  assert.equal(resolveRanges(parsePosition({ 1: 20 }), parsePosition('earliest'), bounds, times), [
    { partition: 0, from: 0, to: 0 },
    { partition: 1, from: 20, to: 20 },
  ]);
  assert.equal(partitionsToRead([0, 1, 2], parsePosition({ 2: 4, 0: 1 })), [0, 2]);
  assert.equal(partitionsToRead([0, 1, 2], parsePosition('earliest')), [0, 1, 2]);
  assert.throws(() => partitionsToRead([0, 1], parsePosition('earliest'), [3]), /Partition 3 does not exist/);
});

test.run();
