import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { answers, coordinator, joinNew, joinReq, meta, sleep } from './helpers';

const G = 'g';

test('two members start together: one generation, the leader alone gets the member list, followers wait for the leader in SyncGroup', async () => {
  const { c, close } = coordinator({ initialRebalanceDelayMs: 50 });
  try {
    const j1 = await joinNew(c, joinReq(G, { clientId: 'a', protocols: [{ name: 'range', metadata: meta('sub-a') }] }));
    const j2 = await joinNew(c, joinReq(G, { clientId: 'b', protocols: [{ name: 'range', metadata: meta('sub-b') }] }));
    assert.is(c.describe(G).state, 'PreparingRebalance');
    const [r1, r2] = await answers([j1, j2]);
    assert.is(r1.errorCode, 0);
    assert.is(r2.errorCode, 0);
    assert.is(r1.generationId, 1);
    assert.is(r2.generationId, 1);
    assert.is(r1.protocolName, 'range');
    assert.is(r1.leader, r1.memberId);
    assert.is(r2.leader, r1.memberId);
    assert.ok(r1.memberId.startsWith('a-'));
    assert.equal(r1.members.map((m) => m.metadata.toString()).sort(), ['sub-a', 'sub-b']);
    assert.equal(r2.members, []);
    assert.is(c.describe(G).state, 'CompletingRebalance');

    const followerSync = c.sync({ groupId: G, generationId: 1, memberId: r2.memberId, groupInstanceId: null, assignments: [] });
    let followerDone = false;
    void followerSync.then(() => (followerDone = true));
    await sleep(20);
    assert.is(followerDone, false, 'follower waits for the leader');
    const leaderSync = await c.sync({
      groupId: G,
      generationId: 1,
      memberId: r1.memberId,
      groupInstanceId: null,
      assignments: [
        { memberId: r1.memberId, assignment: meta('p0') },
        { memberId: r2.memberId, assignment: meta('p1') },
      ],
    });
    assert.is(leaderSync.errorCode, 0);
    assert.is(leaderSync.assignment.toString(), 'p0');
    const f = await followerSync;
    assert.is(f.errorCode, 0);
    assert.is(f.assignment.toString(), 'p1');
    const d = c.describe(G);
    assert.is(d.state, 'Stable');
    assert.is(d.generation, 1);
    assert.is(d.protocolType, 'consumer');
    assert.is(d.leader, r1.memberId);
    assert.equal(d.members.map((m) => m.assignment.toString()).sort(), ['p0', 'p1']);
    assert.is(d.members[0].clientId, 'a');
    assert.equal(c.groups(), [{ groupId: G, state: 'Stable', protocolType: 'consumer' }]);
    // A follower that lost its answer and rejoins unchanged gets the same generation back.
    const again = await c.join(joinReq(G, { clientId: 'b', memberId: r2.memberId, protocols: [{ name: 'range', metadata: meta('sub-b') }] }));
    assert.is(again.generationId, 1);
    assert.is(c.describe(G).state, 'Stable');
  } finally {
    close();
  }
});

test('protocol selection: the common protocol wins; no common protocol or another protocol type gets INCONSISTENT_GROUP_PROTOCOL (23)', async () => {
  const { c, close } = coordinator();
  try {
    const proto = (...names: string[]) => names.map((name) => ({ name, metadata: meta(name) }));
    const a = await joinNew(c, joinReq(G, { protocols: proto('range', 'roundrobin') }));
    const b = await joinNew(c, joinReq(G, { protocols: proto('roundrobin', 'sticky') }));
    const kafkajs = await c.join(joinReq(G, { protocols: proto('RoundRobinAssigner') }));
    assert.is(kafkajs.errorCode, 23);
    const connect = await c.join(joinReq(G, { protocolType: 'connect', protocols: proto('range') }));
    assert.is(connect.errorCode, 23);
    const [ra, rb] = await answers([a, b]);
    assert.is(ra.protocolName, 'roundrobin');
    assert.is(rb.protocolName, 'roundrobin');
    const leader = ra.members.length ? ra : rb;
    assert.equal(leader.members.map((m) => m.metadata.toString()), ['roundrobin', 'roundrobin']);
  } finally {
    close();
  }
});

test('votes: each member votes for its first common protocol, the majority wins', async () => {
  const { c, close } = coordinator();
  try {
    const proto = (...names: string[]) => names.map((name) => ({ name, metadata: meta(name) }));
    const joins = [
      await joinNew(c, joinReq(G, { protocols: proto('range', 'roundrobin') })),
      await joinNew(c, joinReq(G, { protocols: proto('roundrobin', 'range') })),
      await joinNew(c, joinReq(G, { protocols: proto('roundrobin', 'range') })),
    ];
    const res = await answers(joins);
    assert.equal(res.map((r) => r.protocolName), ['roundrobin', 'roundrobin', 'roundrobin']);
  } finally {
    close();
  }
});

test('JoinGroup v0-3 (no member id round trip) and bad requests', async () => {
  const { c, close } = coordinator({ minSessionTimeoutMs: 6000 });
  try {
    assert.is((await c.join(joinReq(G, { sessionTimeoutMs: 1000 }))).errorCode, 26);
    assert.is((await c.join(joinReq('', { sessionTimeoutMs: 10000 }))).errorCode, 24);
    assert.is((await c.join(joinReq(G, { sessionTimeoutMs: 10000, memberId: 'nobody' }))).errorCode, 25);
    const r = await c.join(joinReq(G, { sessionTimeoutMs: 10000, rebalanceTimeoutMs: -1, requireKnownMemberId: false }));
    assert.is(r.errorCode, 0);
    assert.is(r.generationId, 1);
    assert.is(c.describe(G).members[0].rebalanceTimeoutMs, 10000, 'v0: rebalance timeout = session timeout');
  } finally {
    close();
  }
});

test('a member joining a stable group: heartbeats answer 27, everyone rejoins, new generation; 22 and 25 for stale callers', async () => {
  const { c, close } = coordinator();
  try {
    const first = await (await joinNew(c, joinReq(G))).done;
    await c.sync({ groupId: G, generationId: 1, memberId: first.memberId, groupInstanceId: null, assignments: [{ memberId: first.memberId, assignment: meta('all') }] });
    const hb = (generationId: number, memberId = first.memberId) => c.heartbeat({ groupId: G, generationId, memberId, groupInstanceId: null });
    assert.is(hb(1), 0);
    assert.is(hb(0), 22);
    assert.is(hb(1, 'ghost'), 25);
    assert.is(c.heartbeat({ groupId: 'other', generationId: 1, memberId: first.memberId, groupInstanceId: null }), 25);
    assert.is(c.heartbeat({ groupId: '', generationId: 1, memberId: first.memberId, groupInstanceId: null }), 24);
    assert.is((await c.sync({ groupId: '', generationId: 1, memberId: first.memberId, groupInstanceId: null, assignments: [] })).errorCode, 24);
    assert.is(c.leave('', [{ memberId: first.memberId, groupInstanceId: null }]).members[0].errorCode, 24);

    const second = await joinNew(c, joinReq(G, { clientId: 'b' }));
    assert.is(c.describe(G).state, 'PreparingRebalance');
    assert.is(hb(1), 27);
    // A sync of the old generation during the rebalance is told to rejoin too.
    const staleSync = await c.sync({ groupId: G, generationId: 1, memberId: first.memberId, groupInstanceId: null, assignments: [] });
    assert.is(staleSync.errorCode, 27);
    const rejoin = c.join(joinReq(G, { memberId: first.memberId }));
    const [a, b] = await Promise.all([rejoin, second.done]);
    assert.is(a.generationId, 2);
    assert.is(b.generationId, 2);
    assert.is(a.leader, first.memberId, 'the leader stays the leader');
    assert.is(a.members.length, 2);
    assert.is(hb(1), 22);
    assert.is(hb(2), 0, 'heartbeats during CompletingRebalance are fine');
  } finally {
    close();
  }
});

test('rebalance timeout: a member that does not rejoin is removed and the rest go on', async () => {
  const { c, close } = coordinator();
  try {
    const j = [await joinNew(c, joinReq(G, { rebalanceTimeoutMs: 150 })), await joinNew(c, joinReq(G, { rebalanceTimeoutMs: 150 }))];
    const [a, b] = await answers(j);
    const leader = a.members.length ? a : b;
    await Promise.all([
      c.sync({ groupId: G, generationId: 1, memberId: a.memberId, groupInstanceId: null, assignments: [] }),
      c.sync({ groupId: G, generationId: 1, memberId: b.memberId, groupInstanceId: null, assignments: leader.members.map((m) => ({ memberId: m.memberId, assignment: meta('x') })) }),
    ]);
    const newcomer = await joinNew(c, joinReq(G, { clientId: 'c', rebalanceTimeoutMs: 150 }));
    const rejoinA = c.join(joinReq(G, { memberId: a.memberId, rebalanceTimeoutMs: 150 }));
    const t0 = Date.now();
    const [ra, rc] = await Promise.all([rejoinA, newcomer.done]);
    assert.ok(Date.now() - t0 >= 100, 'held until the rebalance timeout');
    assert.is(ra.generationId, 2);
    assert.is(rc.generationId, 2);
    const members = c.describe(G).members.map((m) => m.memberId).sort();
    assert.equal(members, [a.memberId, rc.memberId].sort());
    assert.is(c.heartbeat({ groupId: G, generationId: 2, memberId: b.memberId, groupInstanceId: null }), 25);
  } finally {
    close();
  }
});

test('session timeout removes a silent member and triggers a rebalance; heartbeats keep the other alive', async () => {
  const { c, close } = coordinator();
  try {
    const j = [await joinNew(c, joinReq(G, { sessionTimeoutMs: 150 })), await joinNew(c, joinReq(G, { sessionTimeoutMs: 150 }))];
    const [a, b] = await answers(j);
    await Promise.all([a, b].map((r) => c.sync({ groupId: G, generationId: 1, memberId: r.memberId, groupInstanceId: null, assignments: [] })));
    assert.is(c.describe(G).state, 'Stable');
    let sawRebalance = false;
    for (let i = 0; i < 20; i++) {
      await sleep(40);
      const e = c.heartbeat({ groupId: G, generationId: 1, memberId: a.memberId, groupInstanceId: null });
      if (e === 27) {
        sawRebalance = true;
        break;
      }
      assert.is(e, 0);
    }
    assert.ok(sawRebalance, 'the survivor is told to rejoin');
    const r = await c.join(joinReq(G, { memberId: a.memberId, sessionTimeoutMs: 150 }));
    assert.is(r.generationId, 2);
    assert.equal(r.members.map((m) => m.memberId), [a.memberId]);
    assert.is(r.leader, a.memberId);
  } finally {
    close();
  }
});

test('LeaveGroup: batch form with an unknown member, last member leaving empties the group, committed offsets stay', async () => {
  const { c, close } = coordinator();
  try {
    const [a, b] = await answers([await joinNew(c, joinReq(G)), await joinNew(c, joinReq(G))]);
    await Promise.all([a, b].map((r) => c.sync({ groupId: G, generationId: 1, memberId: r.memberId, groupInstanceId: null, assignments: [] })));
    const commit = c.commitOffsets({ groupId: G, generationId: 1, memberId: a.memberId, groupInstanceId: null, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: -1, committedMetadata: null }] }] });
    assert.is(commit.topics[0].partitions[0].errorCode, 0);
    const res = c.leave(G, [{ memberId: b.memberId, groupInstanceId: null }, { memberId: 'ghost', groupInstanceId: null }]);
    assert.is(res.errorCode, 0);
    assert.equal(res.members.map((m) => m.errorCode), [0, 25]);
    assert.is(c.describe(G).state, 'PreparingRebalance');
    const r = await c.join(joinReq(G, { memberId: a.memberId }));
    assert.is(r.generationId, 2);
    assert.is(r.members.length, 1);
    assert.equal(c.leave(G, [{ memberId: a.memberId, groupInstanceId: null }]).members[0].errorCode, 0);
    const d = c.describe(G);
    assert.is(d.state, 'Empty');
    assert.is(d.generation, 3);
    assert.equal(d.members, []);
    assert.is(c.fetchOffsets(G, [{ name: 't', partitionIndexes: [0] }]).topics[0].partitions[0].committedOffset, 42);
    assert.equal(c.groups(), [{ groupId: G, state: 'Empty', protocolType: null }]);
  } finally {
    close();
  }
});

test('an empty group without committed offsets is forgotten (Dead)', async () => {
  const { c, close } = coordinator();
  try {
    const r = await (await joinNew(c, joinReq(G))).done;
    c.leave(G, [{ memberId: r.memberId, groupInstanceId: null }]);
    assert.is(c.describe(G).state, 'Dead');
    assert.equal(c.groups(), []);
  } finally {
    close();
  }
});

test('rejoin during sync: a new member during CompletingRebalance sends waiting followers back with 27', async () => {
  const { c, close } = coordinator();
  try {
    const [a, b] = await answers([await joinNew(c, joinReq(G)), await joinNew(c, joinReq(G))]);
    const follower = a.members.length ? b : a;
    const leader = a.members.length ? a : b;
    const held = c.sync({ groupId: G, generationId: 1, memberId: follower.memberId, groupInstanceId: null, assignments: [] });
    const newcomer = await joinNew(c, joinReq(G, { clientId: 'late' }));
    assert.is((await held).errorCode, 27);
    assert.is(c.describe(G).state, 'PreparingRebalance');
    const all = await Promise.all([newcomer.done, c.join(joinReq(G, { memberId: a.memberId })), c.join(joinReq(G, { memberId: b.memberId }))]);
    assert.equal(all.map((r) => r.generationId), [2, 2, 2]);
    assert.is(all[0].leader, leader.memberId);
  } finally {
    close();
  }
});

test('a leader that never sends SyncGroup is removed after the rebalance timeout; followers are told to rejoin', async () => {
  const { c, close } = coordinator();
  try {
    const [a, b] = await answers([await joinNew(c, joinReq(G, { rebalanceTimeoutMs: 100 })), await joinNew(c, joinReq(G, { rebalanceTimeoutMs: 100 }))]);
    const follower = a.members.length ? b : a;
    const leader = a.members.length ? a : b;
    const res = await c.sync({ groupId: G, generationId: 1, memberId: follower.memberId, groupInstanceId: null, assignments: [] });
    assert.is(res.errorCode, 27);
    const again = await c.join(joinReq(G, { memberId: follower.memberId, rebalanceTimeoutMs: 100 }));
    assert.is(again.generationId, 2);
    assert.is(again.leader, follower.memberId);
    assert.is(c.heartbeat({ groupId: G, generationId: 2, memberId: leader.memberId, groupInstanceId: null }), 25);
  } finally {
    close();
  }
});

test('the initial delay keeps growing while new members keep arriving', async () => {
  const { c, close } = coordinator({ initialRebalanceDelayMs: 60 });
  try {
    const joins = [await joinNew(c, joinReq(G, { rebalanceTimeoutMs: 5000 }))];
    for (let i = 0; i < 3; i++) {
      await sleep(40);
      joins.push(await joinNew(c, joinReq(G, { rebalanceTimeoutMs: 5000 })));
    }
    const res = await answers(joins);
    assert.equal(res.map((r) => r.generationId), [1, 1, 1, 1]);
    assert.is(res.filter((r) => r.members.length === 4).length, 1);
  } finally {
    close();
  }
});

test('static membership: no member id round trip; a restart takes the old place without a rebalance and fences the old id', async () => {
  const { c, close } = coordinator();
  try {
    const proto = [{ name: 'range', metadata: meta('sub') }];
    const r1 = await c.join(joinReq(G, { groupInstanceId: 'pod-1', protocols: proto }));
    assert.is(r1.errorCode, 0);
    assert.is(r1.members[0].groupInstanceId, 'pod-1');
    const dyn = await joinNew(c, joinReq(G, { clientId: 'dyn', protocols: proto }));
    const [d1, r1b] = await Promise.all([dyn.done, c.join(joinReq(G, { memberId: r1.memberId, groupInstanceId: 'pod-1', protocols: proto }))]);
    assert.is(r1b.generationId, 2);
    const [follower] = await Promise.all([
      c.sync({ groupId: G, generationId: 2, memberId: d1.memberId, groupInstanceId: null, assignments: [] }),
      c.sync({ groupId: G, generationId: 2, memberId: r1.memberId, groupInstanceId: 'pod-1', assignments: [{ memberId: r1.memberId, assignment: meta('p0') }, { memberId: d1.memberId, assignment: meta('p1') }] }),
    ]);
    assert.is(follower.assignment.toString(), 'p1');
    assert.is(c.describe(G).state, 'Stable');

    // Restart of pod-1 with the same subscription: same generation, same assignment, no rebalance.
    const r2 = await c.join(joinReq(G, { groupInstanceId: 'pod-1', protocols: proto }));
    assert.is(r2.errorCode, 0);
    assert.is.not(r2.memberId, r1.memberId);
    assert.is(r2.generationId, 2);
    assert.is(r2.leader, r2.memberId, 'it was the leader and still is');
    assert.is(c.describe(G).state, 'Stable');
    const s2 = await c.sync({ groupId: G, generationId: 2, memberId: r2.memberId, groupInstanceId: 'pod-1', assignments: [] });
    assert.is(s2.assignment.toString(), 'p0');
    assert.is(c.heartbeat({ groupId: G, generationId: 2, memberId: r1.memberId, groupInstanceId: 'pod-1' }), 82);
    assert.is(c.heartbeat({ groupId: G, generationId: 2, memberId: d1.memberId, groupInstanceId: null }), 0, 'the other member noticed nothing');
    assert.equal(c.describe(G).members.map((m) => m.groupInstanceId).sort(), ['pod-1', null].sort());

    // A restart with another subscription does need a new round.
    const r3 = c.join(joinReq(G, { groupInstanceId: 'pod-1', protocols: [{ name: 'range', metadata: meta('other') }] }));
    assert.is(c.describe(G).state, 'PreparingRebalance');
    const [a3, b3] = await Promise.all([r3, c.join(joinReq(G, { memberId: d1.memberId, protocols: proto }))]);
    assert.equal([a3.generationId, b3.generationId], [3, 3]);

    const leave = c.leave(G, [{ memberId: '', groupInstanceId: 'pod-1' }]);
    assert.is(leave.members[0].errorCode, 0);
    assert.equal(c.describe(G).members.map((m) => m.memberId), [d1.memberId]);
  } finally {
    close();
  }
});

test('close() answers held JoinGroup requests and stops every timer', async () => {
  const { c, close } = coordinator({ initialRebalanceDelayMs: 10_000 });
  const held = await joinNew(c, joinReq(G));
  close();
  assert.is((await held.done).errorCode, 15);
  assert.is(c.heartbeat({ groupId: G, generationId: 1, memberId: 'x', groupInstanceId: null }), 15);
});

test.run();
