// Random sequences of joins, syncs, heartbeats, commits, leaves and silences from simulated
// clients that behave like real ones (rejoin on 25/27/22), checking the coordinator's invariants
// after every step, and that every held answer is eventually given.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { JoinResponse, SyncResponse } from '../../../sdk/broker/groups';
import { coordinator, joinReq, meta, sleep } from './helpers';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

interface Client {
  name: string;
  memberId: string;
  generation: number;
  inFlight: number;
  alive: boolean;
}

test('random client behaviour keeps the group consistent and never strands a held request', async () => {
  for (const seed of [1, 2, 3]) {
    const rand = rng(seed);
    const { c, close } = coordinator({ initialRebalanceDelayMs: 5 });
    const G = `g${seed}`;
    const clients: Client[] = Array.from({ length: 5 }, (_, i) => ({ name: `c${i}`, memberId: '', generation: -1, inFlight: 0, alive: true }));
    const held: Array<Promise<unknown>> = [];
    const track = <T>(cl: Client, p: Promise<T>, then: (v: T) => void) => {
      cl.inFlight++;
      held.push(
        p.then((v) => {
          cl.inFlight--;
          then(v);
        }),
      );
    };
    const join = (cl: Client) =>
      track(cl, c.join(joinReq(G, { memberId: cl.memberId, clientId: cl.name, sessionTimeoutMs: 60, rebalanceTimeoutMs: 80 })), (r: JoinResponse) => {
        if (r.errorCode === 79 || r.errorCode === 0) cl.memberId = r.memberId;
        if (r.errorCode === 25) cl.memberId = '';
        cl.generation = r.errorCode === 0 ? r.generationId : -1;
        if (r.errorCode === 0 && cl.alive) {
          const assignments = r.members.map((m) => ({ memberId: m.memberId, assignment: meta(m.memberId) }));
          track(cl, c.sync({ groupId: G, generationId: r.generationId, memberId: cl.memberId, groupInstanceId: null, assignments }), (s: SyncResponse) => {
            if (s.errorCode === 0 && s.assignment.length > 0) assert.is(s.assignment.toString(), cl.memberId, 'a member gets its own assignment');
          });
        }
      });

    for (let step = 0; step < 400; step++) {
      const cl = clients[Math.floor(rand() * clients.length)];
      const op = rand();
      if (!cl.alive) {
        if (op < 0.05) cl.alive = true;
      } else if (op < 0.25) {
        if (cl.inFlight === 0) join(cl);
      } else if (op < 0.6) {
        const e = c.heartbeat({ groupId: G, generationId: cl.generation, memberId: cl.memberId, groupInstanceId: null });
        assert.ok([0, 22, 25, 27].includes(e), `heartbeat error ${e}`);
        if (e !== 0 && cl.inFlight === 0) join(cl);
      } else if (op < 0.75) {
        const r = c.commitOffsets({ groupId: G, generationId: cl.generation, memberId: cl.memberId, groupInstanceId: null, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: step, committedLeaderEpoch: -1, committedMetadata: null }] }] });
        assert.ok([0, 22, 25, 27].includes(r.topics[0].partitions[0].errorCode));
      } else if (op < 0.85) {
        if (cl.memberId) c.leave(G, [{ memberId: cl.memberId, groupInstanceId: null }]);
        cl.memberId = '';
        cl.generation = -1;
      } else if (op < 0.9) {
        cl.alive = false; // goes silent: its session must time out
      }
      await sleep(rand() < 0.3 ? 10 : 0);

      const d = c.describe(G);
      const ids = d.members.map((m) => m.memberId);
      assert.is(new Set(ids).size, ids.length, 'member ids are unique');
      if (d.state === 'Empty' || d.state === 'Dead') assert.is(ids.length, 0, `${d.state} group has members`);
      if (d.state === 'Stable' || d.state === 'CompletingRebalance') {
        assert.ok(d.leader !== null && ids.includes(d.leader), 'the leader is a member');
        assert.is(d.protocol, 'range');
      }
    }
    close();
    await Promise.race([Promise.all(held), sleep(2000).then(() => assert.unreachable(`seed ${seed}: held requests never answered`))]);
  }
});

test.run();
