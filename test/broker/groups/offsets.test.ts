import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GroupCoordinator } from '../../../sdk/broker/groups';
import { OffsetStore } from '../../../sdk/broker/log';
import { coordinator, joinNew, joinReq, meta } from './helpers';

const exists = (topic: string, partition: number) => topic === 't' && partition >= 0 && partition < 3;
const commit = (groupId: string, generationId: number, memberId: string, offsets: Array<[string, number, number]>, metadata: string | null = null) => ({
  groupId,
  generationId,
  memberId,
  groupInstanceId: null,
  topics: [...new Set(offsets.map((o) => o[0]))].map((name) => ({
    name,
    partitions: offsets.filter((o) => o[0] === name).map(([, p, off]) => ({ partitionIndex: p, committedOffset: off, committedLeaderEpoch: 0, committedMetadata: metadata })),
  })),
});
const codes = (r: { topics: Array<{ partitions: Array<{ errorCode: number }> }> }) => r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode));

test('standalone consumers (generation -1, no member id) commit; unknown partitions get 3; fetch gives -1 where nothing was committed', () => {
  const { c, close } = coordinator({ partitionExists: exists });
  try {
    const r = c.commitOffsets(commit('solo', -1, '', [['t', 0, 10], ['t', 1, 20], ['t', 7, 1], ['nope', 0, 1]], 'm'));
    assert.equal(codes(r), [0, 0, 3, 3]);
    const f = c.fetchOffsets('solo', [{ name: 't', partitionIndexes: [0, 1, 2] }]);
    assert.is(f.errorCode, 0);
    assert.equal(f.topics[0].partitions.map((p) => [p.committedOffset, p.metadata, p.errorCode]), [[10, 'm', 0], [20, 'm', 0], [-1, '', 0]]);
    // v0 semantics report partitions that do not exist; v1+ just answer -1.
    assert.is(c.fetchOffsets('solo', [{ name: 'nope', partitionIndexes: [0] }], { unknownTopicError: true }).topics[0].partitions[0].errorCode, 3);
    assert.is(c.fetchOffsets('solo', [{ name: 'nope', partitionIndexes: [0] }]).topics[0].partitions[0].committedOffset, -1);
    // Null topics: everything the group committed, sorted.
    const all = c.fetchOffsets('solo', null);
    assert.equal(all.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.committedOffset])]), [['t', [[0, 10], [1, 20]]]]);
    assert.equal(c.fetchOffsets('unknown-group', null).topics, []);
    const noGroup = c.fetchOffsets('', [{ name: 't', partitionIndexes: [0] }]);
    assert.equal([noGroup.errorCode, noGroup.topics[0].partitions[0].errorCode], [24, 24]);
    assert.equal(codes(c.commitOffsets(commit('', -1, '', [['t', 0, 1]]))), [24]);
    assert.is(c.describe('solo').state, 'Empty');
    assert.equal(c.groups().map((g) => g.groupId), ['solo']);
    // Kafka's offset.metadata.max.bytes: 4096.
    assert.equal(codes(c.commitOffsets(commit('solo', -1, '', [['t', 0, 11]], 'x'.repeat(5000)))), [12]);
    assert.is(c.fetchOffsets('solo', [{ name: 't', partitionIndexes: [0] }]).topics[0].partitions[0].committedOffset, 10);
  } finally {
    close();
  }
});

test('group members must be current: 22 for another generation, 25 for strangers, 27 while assignments are handed out', async () => {
  const { c, close } = coordinator({ partitionExists: exists });
  try {
    assert.equal(codes(c.commitOffsets(commit('g', 3, 'someone', [['t', 0, 1]]))), [22], 'a generation for a group that does not exist');
    const r = await (await joinNew(c, joinReq('g'))).done;
    assert.is(c.describe('g').state, 'CompletingRebalance');
    assert.equal(codes(c.commitOffsets(commit('g', 1, r.memberId, [['t', 0, 1]]))), [27]);
    await c.sync({ groupId: 'g', generationId: 1, memberId: r.memberId, groupInstanceId: null, assignments: [{ memberId: r.memberId, assignment: meta('a') }] });
    assert.equal(codes(c.commitOffsets(commit('g', 1, r.memberId, [['t', 0, 5]]))), [0]);
    assert.equal(codes(c.commitOffsets(commit('g', 0, r.memberId, [['t', 0, 6]]))), [22]);
    assert.equal(codes(c.commitOffsets(commit('g', 1, 'stranger', [['t', 0, 6]]))), [25]);
    assert.equal(codes(c.commitOffsets(commit('g', -1, '', [['t', 0, 6]]))), [25], 'standalone commits are refused while the group has members');
    // During PreparingRebalance the current generation may still commit (before rejoining).
    await joinNew(c, joinReq('g'));
    assert.is(c.describe('g').state, 'PreparingRebalance');
    assert.equal(codes(c.commitOffsets(commit('g', 1, r.memberId, [['t', 1, 9]]))), [0]);
    assert.equal(c.fetchOffsets('g', [{ name: 't', partitionIndexes: [0, 1] }]).topics[0].partitions.map((p) => p.committedOffset), [5, 9]);
  } finally {
    close();
  }
});

test('committed offsets survive reopening the store; deleteGroup drops only empty groups', async () => {
  const { c, store, dir, close } = coordinator();
  let c2: GroupCoordinator | undefined;
  let reopened: OffsetStore | undefined;
  try {
    c.commitOffsets(commit('keep', -1, '', [['t', 2, 42]], 'note'));
    const live = await (await joinNew(c, joinReq('busy'))).done;
    assert.is(c.deleteGroup('busy'), 68);
    assert.is(c.deleteGroup('never'), 69);
    assert.is(live.errorCode, 0);
    c.close();
    store.close();
    reopened = OffsetStore.open(dir);
    c2 = new GroupCoordinator({ offsets: reopened });
    const p = c2.fetchOffsets('keep', [{ name: 't', partitionIndexes: [2] }]).topics[0].partitions[0];
    assert.equal([p.committedOffset, p.committedLeaderEpoch, p.metadata], [42, 0, 'note']);
    assert.equal(c2.groups(), [{ groupId: 'keep', state: 'Empty', protocolType: null }]);
    assert.is(c2.deleteGroup('keep'), 0);
    assert.equal(c2.groups(), []);
    assert.is(c2.fetchOffsets('keep', [{ name: 't', partitionIndexes: [2] }]).topics[0].partitions[0].committedOffset, -1);
  } finally {
    c2?.close();
    reopened?.close();
    close();
  }
});

test.run();
