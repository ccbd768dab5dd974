import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Reader } from '../../../sdk/protocol/reader';
import { Writer } from '../../../sdk/protocol/writer';
import { roundTripVersions, type Enc, type Dec } from '../../protocol/round-trip';
import * as fc from '../../../sdk/protocol/messages/find-coordinator';
import * as jg from '../../../sdk/protocol/messages/join-group';
import * as sg from '../../../sdk/protocol/messages/sync-group';
import * as hb from '../../../sdk/protocol/messages/heartbeat';
import * as lg from '../../../sdk/protocol/messages/leave-group';
import * as oc from '../../../sdk/protocol/messages/offset-commit';
import * as of from '../../../sdk/protocol/messages/offset-fetch';
import * as dg from '../../../sdk/protocol/messages/describe-groups';
import * as lgs from '../../../sdk/protocol/messages/list-groups';
import * as dlg from '../../../sdk/protocol/messages/delete-groups';

/** `expect(v)` is what version v can carry. */
function roundTrip<T>(name: string, enc: Enc<T>, dec: Dec<T>, value: T, min: number, max: number, expect: (v: number) => T = () => value): void {
  roundTripVersions(name, enc, dec, value, min, max, (back, v) => assert.equal(back, expect(v), `${name} v${v}`));
}
const b = (s: string) => Buffer.from(s);

test('FindCoordinator v0-2', () => {
  roundTrip('FindCoordinatorRequest', fc.encodeFindCoordinatorRequest, fc.decodeFindCoordinatorRequest, { key: 'g', keyType: 1 }, 0, 2, (v) => ({ key: 'g', keyType: v >= 1 ? 1 : 0 }));
  const res = { throttleTimeMs: 3, errorCode: 0, errorMessage: 'ok', nodeId: 1, host: 'localhost', port: 9092 };
  roundTrip('FindCoordinatorResponse', fc.encodeFindCoordinatorResponse, fc.decodeFindCoordinatorResponse, res, 0, 2, (v) => (v >= 1 ? res : { ...res, throttleTimeMs: 0, errorMessage: null }));
});

test('JoinGroup v0-5', () => {
  const req = { groupId: 'g', sessionTimeoutMs: 30000, rebalanceTimeoutMs: 60000, memberId: 'm-1', groupInstanceId: 'pod-1', protocolType: 'consumer', protocols: [{ name: 'range', metadata: b('meta') }, { name: 'roundrobin', metadata: b('') }] };
  roundTrip('JoinGroupRequest', jg.encodeJoinGroupRequest, jg.decodeJoinGroupRequest, req, 0, 5, (v) => ({ ...req, rebalanceTimeoutMs: v >= 1 ? 60000 : -1, groupInstanceId: v >= 5 ? 'pod-1' : null }));
  const res = { throttleTimeMs: 1, errorCode: 0, generationId: 7, protocolName: 'range', leader: 'm-1', memberId: 'm-1', members: [{ memberId: 'm-1', groupInstanceId: 'pod-1', metadata: b('x') }] };
  roundTrip('JoinGroupResponse', jg.encodeJoinGroupResponse, jg.decodeJoinGroupResponse, res, 0, 5, (v) => ({
    ...res,
    throttleTimeMs: v >= 2 ? 1 : 0,
    members: res.members.map((m) => ({ ...m, groupInstanceId: v >= 5 ? m.groupInstanceId : null })),
  }));
  // Bytes as kafkajs sends v0: group, session timeout, member id, protocol type, protocols.
  const w = new Writer().string('g').int32(10000).string('').string('consumer').int32(1).string('RoundRobinAssigner').bytes(b('s'));
  const d = jg.decodeJoinGroupRequest(new Reader(w.toBuffer()), 0);
  assert.is(d.protocols[0].name, 'RoundRobinAssigner');
  assert.is(d.rebalanceTimeoutMs, -1);
});

test('SyncGroup v0-3', () => {
  const req = { groupId: 'g', generationId: 2, memberId: 'm', groupInstanceId: 'i', assignments: [{ memberId: 'm', assignment: b('a') }] };
  roundTrip('SyncGroupRequest', sg.encodeSyncGroupRequest, sg.decodeSyncGroupRequest, req, 0, 3, (v) => ({ ...req, groupInstanceId: v >= 3 ? 'i' : null }));
  const res = { throttleTimeMs: 4, errorCode: 27, assignment: b('xyz') };
  roundTrip('SyncGroupResponse', sg.encodeSyncGroupResponse, sg.decodeSyncGroupResponse, res, 0, 3, (v) => ({ ...res, throttleTimeMs: v >= 1 ? 4 : 0 }));
});

test('Heartbeat v0-3', () => {
  const req = { groupId: 'g', generationId: 2, memberId: 'm', groupInstanceId: 'i' };
  roundTrip('HeartbeatRequest', hb.encodeHeartbeatRequest, hb.decodeHeartbeatRequest, req, 0, 3, (v) => ({ ...req, groupInstanceId: v >= 3 ? 'i' : null }));
  roundTrip('HeartbeatResponse', hb.encodeHeartbeatResponse, hb.decodeHeartbeatResponse, { throttleTimeMs: 5, errorCode: 27 }, 0, 3, (v) => ({ throttleTimeMs: v >= 1 ? 5 : 0, errorCode: 27 }));
});

test('LeaveGroup v0-2 single member and v3 batch', () => {
  const one = { groupId: 'g', members: [{ memberId: 'm', groupInstanceId: null }] };
  roundTrip('LeaveGroupRequest', lg.encodeLeaveGroupRequest, lg.decodeLeaveGroupRequest, one, 0, 3);
  const batch = { groupId: 'g', members: [{ memberId: 'm', groupInstanceId: null }, { memberId: '', groupInstanceId: 'pod-2' }] };
  roundTrip('LeaveGroupRequest(batch)', lg.encodeLeaveGroupRequest, lg.decodeLeaveGroupRequest, batch, 3, 3);
  const res = { throttleTimeMs: 2, errorCode: 0, members: [{ memberId: 'm', groupInstanceId: null, errorCode: 25 }] };
  roundTrip('LeaveGroupResponse', lg.encodeLeaveGroupResponse, lg.decodeLeaveGroupResponse, res, 0, 3, (v) => ({ throttleTimeMs: v >= 1 ? 2 : 0, errorCode: 0, members: v >= 3 ? res.members : [] }));
});

test('OffsetCommit v0-7', () => {
  const part = { partitionIndex: 3, committedOffset: 2 ** 40, committedLeaderEpoch: 5, commitTimestamp: 1_700_000_000_000, committedMetadata: 'meta' };
  const req = { groupId: 'g', generationId: 4, memberId: 'm', groupInstanceId: 'i', retentionTimeMs: 86_400_000, topics: [{ name: 't', partitions: [part, { ...part, partitionIndex: 4, committedMetadata: null }] }] };
  roundTrip('OffsetCommitRequest', oc.encodeOffsetCommitRequest, oc.decodeOffsetCommitRequest, req, 0, 7, (v) => ({
    groupId: 'g',
    generationId: v >= 1 ? 4 : -1,
    memberId: v >= 1 ? 'm' : '',
    groupInstanceId: v >= 7 ? 'i' : null,
    retentionTimeMs: v >= 2 && v <= 4 ? 86_400_000 : -1,
    topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ ...p, committedLeaderEpoch: v >= 6 ? 5 : -1, commitTimestamp: v === 1 ? p.commitTimestamp : -1 })) })),
  }));
  const res = { throttleTimeMs: 9, topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0 }, { partitionIndex: 1, errorCode: 3 }] }] };
  roundTrip('OffsetCommitResponse', oc.encodeOffsetCommitResponse, oc.decodeOffsetCommitResponse, res, 0, 7, (v) => ({ ...res, throttleTimeMs: v >= 3 ? 9 : 0 }));
});

test('OffsetFetch v0-5, null topics from v2', () => {
  const req = { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0, 1, 2] }] };
  roundTrip('OffsetFetchRequest', of.encodeOffsetFetchRequest, of.decodeOffsetFetchRequest, req, 0, 5);
  roundTrip('OffsetFetchRequest(all)', of.encodeOffsetFetchRequest, of.decodeOffsetFetchRequest, { groupId: 'g', topics: null }, 2, 5);
  const res = { throttleTimeMs: 1, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: -1, committedLeaderEpoch: 3, metadata: '', errorCode: 0 }] }], errorCode: 16 };
  roundTrip('OffsetFetchResponse', of.encodeOffsetFetchResponse, of.decodeOffsetFetchResponse, res, 0, 5, (v) => ({
    throttleTimeMs: v >= 3 ? 1 : 0,
    topics: res.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ ...p, committedLeaderEpoch: v >= 5 ? 3 : -1 })) })),
    errorCode: v >= 2 ? 16 : 0,
  }));
});

test('DescribeGroups v0-4, ListGroups v0-2, DeleteGroups v0-1', () => {
  roundTrip('DescribeGroupsRequest', dg.encodeDescribeGroupsRequest, dg.decodeDescribeGroupsRequest, { groups: ['a', 'b'], includeAuthorizedOperations: true }, 0, 4, (v) => ({ groups: ['a', 'b'], includeAuthorizedOperations: v >= 3 }));
  const member = { memberId: 'm', groupInstanceId: 'i', clientId: 'c', clientHost: '/127.0.0.1', memberMetadata: b('md'), memberAssignment: b('as') };
  const res = { throttleTimeMs: 2, groups: [{ errorCode: 0, groupId: 'a', groupState: 'Stable', protocolType: 'consumer', protocolData: 'range', members: [member], authorizedOperations: 7 }] };
  roundTrip('DescribeGroupsResponse', dg.encodeDescribeGroupsResponse, dg.decodeDescribeGroupsResponse, res, 0, 4, (v) => ({
    throttleTimeMs: v >= 1 ? 2 : 0,
    groups: res.groups.map((g) => ({ ...g, authorizedOperations: v >= 3 ? 7 : dg.AUTHORIZED_OPERATIONS_OMITTED, members: [{ ...member, groupInstanceId: v >= 4 ? 'i' : null }] })),
  }));
  roundTrip('ListGroupsRequest', lgs.encodeListGroupsRequest, lgs.decodeListGroupsRequest, {}, 0, 2);
  const list = { throttleTimeMs: 1, errorCode: 0, groups: [{ groupId: 'a', protocolType: 'consumer' }, { groupId: 'b', protocolType: '' }] };
  roundTrip('ListGroupsResponse', lgs.encodeListGroupsResponse, lgs.decodeListGroupsResponse, list, 0, 2, (v) => ({ ...list, throttleTimeMs: v >= 1 ? 1 : 0 }));
  roundTrip('DeleteGroupsRequest', dlg.encodeDeleteGroupsRequest, dlg.decodeDeleteGroupsRequest, { groupsNames: ['a', 'b'] }, 0, 1);
  roundTrip('DeleteGroupsResponse', dlg.encodeDeleteGroupsResponse, dlg.decodeDeleteGroupsResponse, { throttleTimeMs: 0, results: [{ groupId: 'a', errorCode: 68 }] }, 0, 1);
});

test('truncated group requests throw instead of reading garbage', () => {
  const w = new Writer();
  jg.encodeJoinGroupRequest(w, { groupId: 'g', sessionTimeoutMs: 1, rebalanceTimeoutMs: 1, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: b('0123456789') }] }, 5);
  const full = w.toBuffer();
  for (let cut = 0; cut < full.length; cut++) {
    assert.throws(() => jg.decodeJoinGroupRequest(new Reader(full.subarray(0, cut)), 5));
  }
});

test.run();
