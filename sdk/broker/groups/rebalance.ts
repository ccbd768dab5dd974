/**
 * How a group moves between states: rebalance rounds, their timers (join, initial delay, sync,
 * sessions) and member removal. The coordinator validates requests and calls in here; nothing
 * here knows about requests beyond the held answers it completes.
 */
import type { Logger } from '../../util/log';
import { EMPTY, type Group, type Member } from './group';
import type { GroupOffsetStore } from './offsets';
import { GroupErrorCode as E, type GroupState, type JoinResponse, type SyncResponse } from './types';

export class Rebalancer {
  closed = false;

  constructor(
    private readonly byId: Map<string, Group>,
    private readonly store: GroupOffsetStore,
    private readonly logger: Logger,
    private readonly initialDelayMs: number,
  ) {}

  prepareRebalance(group: Group, reason: string): void {
    if (group.state === 'CompletingRebalance') {
      for (const m of group.members.values()) {
        m.assignment = EMPTY;
        this.answerSync(m, syncError(E.REBALANCE_IN_PROGRESS));
      }
    }
    clearTimeout(group.syncTimer);
    group.pendingSync.clear();
    const fromEmpty = group.state === 'Empty';
    this.transition(group, 'PreparingRebalance', reason);
    clearTimeout(group.joinTimer);
    if (fromEmpty) {
      const delayMs = this.initialDelayMs;
      group.initialDelay = { delayMs, remainingMs: Math.max(group.rebalanceTimeoutMs - delayMs, 0), newMemberAdded: false };
      group.joinTimer = this.timer(delayMs, () => this.initialDelayExpired(group));
    } else {
      group.joinTimer = this.timer(group.rebalanceTimeoutMs, () => this.completeJoin(group));
      this.maybeCompleteJoin(group);
    }
  }

  /** Kafka's InitialDelayedJoin: keep waiting in steps while new members keep arriving, up to the rebalance timeout. */
  private initialDelayExpired(group: Group): void {
    const d = group.initialDelay;
    if (d && d.newMemberAdded && d.remainingMs > 0) {
      const step = Math.min(d.delayMs, d.remainingMs);
      group.initialDelay = { delayMs: d.delayMs, remainingMs: d.remainingMs - step, newMemberAdded: false };
      group.joinTimer = this.timer(step, () => this.initialDelayExpired(group));
      return;
    }
    this.completeJoin(group);
  }

  maybeCompleteJoin(group: Group): void {
    if (group.state === 'PreparingRebalance' && !group.initialDelay && group.hasAllMembersJoined()) this.completeJoin(group);
  }

  private completeJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance') return;
    clearTimeout(group.joinTimer);
    group.joinTimer = undefined;
    group.initialDelay = undefined;
    // Dynamic members that did not rejoin in time are gone; static ones keep their place.
    for (const m of [...group.members.values()]) {
      if (!m.joinWaiter && m.groupInstanceId === null) this.removeMember(group, m, E.UNKNOWN_MEMBER_ID, 'did not rejoin in time');
    }
    const joined = [...group.members.values()].filter((m) => m.joinWaiter);
    if (group.members.size > 0 && joined.length === 0) {
      // Only absent static members remain: wait for them, or for their sessions to expire.
      group.joinTimer = this.timer(group.rebalanceTimeoutMs, () => this.completeJoin(group));
      return;
    }
    if (group.leader === null || !group.members.get(group.leader)?.joinWaiter) group.leader = joined[0]?.memberId ?? null;
    group.generation++;
    if (group.members.size === 0) {
      group.protocol = null;
      group.protocolType = null;
      group.leader = null;
      this.transition(group, 'Empty', `generation ${group.generation} has no members`);
      this.maybeForget(group);
      return;
    }
    group.protocol = group.selectProtocol();
    this.transition(group, 'CompletingRebalance', `generation ${group.generation} with ${group.members.size} members, protocol ${group.protocol}`);
    for (const m of group.members.values()) {
      const waiter = m.joinWaiter;
      m.joinWaiter = undefined;
      m.assignment = EMPTY;
      group.pendingSync.add(m.memberId);
      this.startSession(group, m);
      waiter?.(this.joinResult(group, m));
    }
    const generation = group.generation;
    group.syncTimer = this.timer(group.rebalanceTimeoutMs, () => this.syncExpired(group, generation));
  }

  joinResult(group: Group, member: Member): JoinResponse {
    const isLeader = group.leader === member.memberId;
    return {
      errorCode: E.NONE,
      generationId: group.generation,
      protocolType: group.protocolType,
      protocolName: group.protocol,
      leader: group.leader ?? '',
      memberId: member.memberId,
      members: isLeader
        ? [...group.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: group.metadataFor(m, group.protocol) }))
        : [],
    };
  }

  syncResult(group: Group, member: Member): SyncResponse {
    return { errorCode: E.NONE, protocolType: group.protocolType, protocolName: group.protocol, assignment: member.assignment };
  }

  answerSync(member: Member, res: SyncResponse, group?: Group): void {
    const waiter = member.syncWaiter;
    if (!waiter) return;
    member.syncWaiter = undefined;
    if (group) this.startSession(group, member);
    waiter(res);
  }

  /** Members that got their JoinGroup answer but never synced are removed, as in Kafka. */
  private syncExpired(group: Group, generation: number): void {
    if (generation !== group.generation || (group.state !== 'CompletingRebalance' && group.state !== 'Stable')) return;
    if (group.pendingSync.size === 0) return;
    const late = [...group.pendingSync];
    for (const id of late) {
      const m = group.members.get(id);
      if (m) this.removeMember(group, m, E.UNKNOWN_MEMBER_ID, 'did not send SyncGroup in time');
    }
    this.prepareRebalance(group, `members ${late.join(', ')} did not sync`);
  }

  // ---- Heartbeat and LeaveGroup ----------------------------------------------------------

  removeMember(group: Group, member: Member, answer: number, why?: string): void {
    this.stopSession(member);
    group.members.delete(member.memberId);
    group.pendingSync.delete(member.memberId);
    if (member.groupInstanceId !== null && group.staticMembers.get(member.groupInstanceId) === member.memberId) {
      group.staticMembers.delete(member.groupInstanceId);
    }
    if (group.leader === member.memberId) group.leader = group.members.keys().next().value ?? null;
    const joinWaiter = member.joinWaiter;
    member.joinWaiter = undefined;
    joinWaiter?.(joinError(answer, member.memberId));
    this.answerSync(member, syncError(answer));
    if (why) this.logger.info(`member ${why}`, { group: group.groupId, member: member.memberId });
  }

  afterMemberRemoved(group: Group, reason: string): void {
    if (group.state === 'Stable' || group.state === 'CompletingRebalance') this.prepareRebalance(group, reason);
    else if (group.state === 'PreparingRebalance') this.maybeCompleteJoin(group);
  }

  startSession(group: Group, member: Member): void {
    clearTimeout(member.sessionTimer);
    member.sessionTimer = this.timer(member.sessionTimeoutMs, () => {
      if (group.members.get(member.memberId) !== member) return;
      if (member.joinWaiter || member.syncWaiter) return;
      this.removeMember(group, member, E.UNKNOWN_MEMBER_ID, `session timed out after ${member.sessionTimeoutMs} ms`);
      this.afterMemberRemoved(group, `member ${member.memberId} session timed out`);
    });
  }

  stopSession(member: Member): void {
    clearTimeout(member.sessionTimer);
    member.sessionTimer = undefined;
  }

  /** A heartbeat or commit keeps the session alive, except while a held request does that already. */
  touch(group: Group, member: Member): void {
    if (!member.joinWaiter && !member.syncWaiter) this.startSession(group, member);
  }

  transition(group: Group, to: GroupState, reason: string): void {
    if (group.state === to) return;
    this.logger.info(`group ${group.groupId}: ${group.state} -> ${to}`, { group: group.groupId, generation: group.generation, reason });
    group.state = to;
  }

  /** An empty group without committed offsets is dropped, as Kafka expires it. */
  maybeForget(group: Group): void {
    if (group.state !== 'Empty' || !group.isIdle || this.byId.get(group.groupId) !== group) return;
    if (this.store.list(group.groupId).length > 0) return;
    this.transition(group, 'Dead', 'empty and without committed offsets');
    this.byId.delete(group.groupId);
  }

  timer(ms: number, fn: () => void): NodeJS.Timeout {
    return setTimeout(() => {
      if (!this.closed) fn();
    }, Math.max(0, ms));
  }
}

export function joinError(errorCode: number, memberId: string): JoinResponse {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [] };
}

export function syncError(errorCode: number): SyncResponse {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY };
}
