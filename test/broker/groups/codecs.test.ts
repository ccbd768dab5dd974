/**
 * Group messages against bytes written by hand the way clients send them (the property
 * round-trips in test/protocol/round-trips.test.ts cover every field of every version).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Reader } from '../../../sdk/protocol/reader';
import { Writer } from '../../../sdk/protocol/writer';
import { JoinGroupRequest } from '../../../sdk/protocol/messages/join-group';
import { OffsetCommitRequest } from '../../../sdk/protocol/messages/offset-commit';

const b = (s: string) => Buffer.from(s);

test('JoinGroup v0 as kafkajs sends it: no rebalance timeout (-1), no instance id', () => {
  const w = new Writer().string('g').int32(10000).string('').string('consumer').int32(1).string('RoundRobinAssigner').bytes(b('s'));
  const r = new Reader(w.toBuffer());
  const d = JoinGroupRequest.decode(r, 0);
  assert.is(r.remaining, 0);
  assert.equal([d.groupId, d.sessionTimeoutMs, d.rebalanceTimeoutMs, d.memberId, d.groupInstanceId], ['g', 10000, -1, '', null]);
  assert.is(d.protocols[0].name, 'RoundRobinAssigner');
  assert.is(d.protocols[0].metadata.toString(), 's');
});

test('OffsetCommit v0 is a standalone commit: generation -1, empty member id', () => {
  const w = new Writer().string('g').int32(1).string('t').int32(1).int32(3).int64(42).nullableString(null);
  const d = OffsetCommitRequest.decode(new Reader(w.toBuffer()), 0);
  assert.equal([d.generationIdOrMemberEpoch, d.memberId, d.retentionTimeMs], [-1, '', -1]);
  assert.equal(d.topics[0].partitions[0], { partitionIndex: 3, committedOffset: 42, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null });
});

test('truncated group requests throw instead of reading garbage', () => {
  for (const version of [5, 9]) {
    const w = new Writer();
    JoinGroupRequest.encode(w, { groupId: 'g', sessionTimeoutMs: 1, rebalanceTimeoutMs: 1, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: b('0123456789') }] }, version);
    const full = w.toBuffer();
    for (let cut = 0; cut < full.length; cut++) {
      assert.throws(() => JoinGroupRequest.decode(new Reader(full.subarray(0, cut)), version), undefined, `v${version} cut at ${cut}`);
    }
  }
});

test.run();
