/**
 * The group coordinator: Kafka's classic rebalance protocol as a state machine over plain
 * objects. Every group moves through
 *
 *   Empty → PreparingRebalance → CompletingRebalance → Stable → (PreparingRebalance …) → Empty,
 *
 * and Dead when it is deleted or the coordinator closes. JoinGroup and SyncGroup answers are
 * held (returned Promises) until the rebalance reaches the point where Kafka would answer.
 * Timers: a session timer per member (removed when it expires), a join timer (rebalance timeout,
 * or the initial delay of an empty group), a sync timer (members that never send SyncGroup).
 */
import { randomUUID } from 'crypto';
import { silentLogger, type Logger } from '../../util/log';
import { EMPTY, Group, sameProtocols, type Member } from './group';
import { commitError, commitOffsets, fetchOffsets, type GroupOffsetStore } from './offsets';
import {
  GroupErrorCode as E,
  type GroupDescription,
  type GroupListing,
  type GroupState,
  type HeartbeatRequest,
  type JoinRequest,
  type JoinResponse,
  type LeaveResponse,
  type MemberIdentity,
  type OffsetCommitRequest,
  type OffsetCommitResult,
  type OffsetFetchResult,
  type SyncRequest,
  type SyncResponse,
} from './types';

export interface GroupCoordinatorOptions {
  offsets: GroupOffsetStore;
  logger?: Logger;
  /** Whether a topic partition exists (for OffsetCommit/OffsetFetch errors); all exist by default. */
  partitionExists?: (topic: string, partition: number) => boolean;
  /** Like group.initial.rebalance.delay.ms: how long the first rebalance of an empty group waits for more members (default 300). */
  initialRebalanceDelayMs?: number;
  /** Like group.min.session.timeout.ms / group.max.session.timeout.ms (defaults 6000 / 1800000). */
  minSessionTimeoutMs?: number;
  maxSessionTimeoutMs?: number;
}

export const DEFAULT_INITIAL_REBALANCE_DELAY_MS = 300;

export class GroupCoordinator {
  private readonly byId = new Map<string, Group>();
  private readonly store: GroupOffsetStore;
  private readonly logger: Logger;
  private readonly partitionExists: (topic: string, partition: number) => boolean;
  private readonly initialDelayMs: number;
  private readonly minSessionMs: number;
  private readonly maxSessionMs: number;
  private closed = false;

  constructor(opts: GroupCoordinatorOptions) {
    this.store = opts.offsets;
    this.logger = opts.logger ?? silentLogger;
    this.partitionExists = opts.partitionExists ?? (() => true);
    this.initialDelayMs = opts.initialRebalanceDelayMs ?? DEFAULT_INITIAL_REBALANCE_DELAY_MS;
    this.minSessionMs = opts.minSessionTimeoutMs ?? 6000;
    this.maxSessionMs = opts.maxSessionTimeoutMs ?? 1_800_000;
  }

  // ---- JoinGroup -------------------------------------------------------------------------

  join(req: JoinRequest): Promise<JoinResponse> {
    const fail = (errorCode: number, memberId = req.memberId) => Promise.resolve(joinError(errorCode, memberId));
    if (this.closed) return fail(E.COORDINATOR_NOT_AVAILABLE);
    if (!req.groupId) return fail(E.INVALID_GROUP_ID);
    if (req.sessionTimeoutMs < this.minSessionMs || req.sessionTimeoutMs > this.maxSessionMs) return fail(E.INVALID_SESSION_TIMEOUT);
    let group = this.byId.get(req.groupId);
    if (!group) {
      if (req.memberId !== '') return fail(E.UNKNOWN_MEMBER_ID);
      group = new Group(req.groupId);
      this.byId.set(req.groupId, group);
    }
    if (!group.accepts(req.protocolType, req.protocols, req.memberId)) return fail(E.INCONSISTENT_GROUP_PROTOCOL);
    const g = group;
    return new Promise((resolve) => (req.memberId === '' ? this.joinNewMember(g, req, resolve) : this.joinKnownMember(g, req, resolve)));
  }

  private joinNewMember(group: Group, req: JoinRequest, resolve: (r: JoinResponse) => void): void {
    const memberId = `${req.clientId || 'member'}-${randomUUID()}`;
    if (req.groupInstanceId !== null) {
      // A static member that restarts replaces its previous incarnation, which is fenced.
      const previous = group.staticMembers.get(req.groupInstanceId);
      const old = previous === undefined ? undefined : group.members.get(previous);
      if (old) this.removeMember(group, old, E.FENCED_INSTANCE_ID);
      this.addMemberAndRebalance(group, req, memberId, resolve);
    } else if (req.requireKnownMemberId) {
      group.pending.set(memberId, this.timer(req.sessionTimeoutMs, () => this.expirePending(group, memberId)));
      resolve(joinError(E.MEMBER_ID_REQUIRED, memberId));
    } else {
      this.addMemberAndRebalance(group, req, memberId, resolve);
    }
  }

  private joinKnownMember(group: Group, req: JoinRequest, resolve: (r: JoinResponse) => void): void {
    const pendingTimer = group.pending.get(req.memberId);
    if (pendingTimer) {
      clearTimeout(pendingTimer);
      group.pending.delete(req.memberId);
      return this.addMemberAndRebalance(group, req, req.memberId, resolve);
    }
    if (isFenced(group, req.memberId, req.groupInstanceId)) return resolve(joinError(E.FENCED_INSTANCE_ID, req.memberId));
    const member = group.members.get(req.memberId);
    if (!member) return resolve(joinError(E.UNKNOWN_MEMBER_ID, req.memberId));
    switch (group.state) {
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(group, member, req, resolve);
      case 'CompletingRebalance':
        // The member lost our JoinGroup answer: give it again unless its offer changed.
        if (sameProtocols(member.protocols, req.protocols)) return resolve(this.joinResult(group, member));
        return this.updateMemberAndRebalance(group, member, req, resolve);
      case 'Stable':
        // A leader rejoins when its metadata changed (new partitions): that needs a new round.
        if (group.leader === member.memberId || !sameProtocols(member.protocols, req.protocols)) {
          return this.updateMemberAndRebalance(group, member, req, resolve);
        }
        return resolve(this.joinResult(group, member));
      default:
        return resolve(joinError(E.UNKNOWN_MEMBER_ID, req.memberId));
    }
  }

  private addMemberAndRebalance(group: Group, req: JoinRequest, memberId: string, resolve: (r: JoinResponse) => void): void {
    const member: Member = {
      memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: req.clientId,
      clientHost: req.clientHost,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs >= 0 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
      protocols: req.protocols,
      assignment: EMPTY,
      joinWaiter: resolve,
    };
    if (group.members.size === 0) group.protocolType = req.protocolType;
    group.members.set(memberId, member);
    if (req.groupInstanceId !== null) group.staticMembers.set(req.groupInstanceId, memberId);
    if (group.leader === null) group.leader = memberId;
    this.logger.info('member joined', { group: group.groupId, member: memberId, clientId: req.clientId, host: req.clientHost });
    if (group.state === 'PreparingRebalance') {
      if (group.initialDelay) group.initialDelay.newMemberAdded = true;
      this.maybeCompleteJoin(group);
    } else {
      this.prepareRebalance(group, `member ${memberId} joined`);
    }
  }

  private updateMemberAndRebalance(group: Group, member: Member, req: JoinRequest, resolve: (r: JoinResponse) => void): void {
    // A retried JoinGroup supersedes the held one; answer the old so its connection is not stuck.
    member.joinWaiter?.(joinError(E.REBALANCE_IN_PROGRESS, member.memberId));
    member.protocols = req.protocols;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs >= 0 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs;
    member.joinWaiter = resolve;
    this.stopSession(member);
    if (group.state === 'PreparingRebalance') this.maybeCompleteJoin(group);
    else this.prepareRebalance(group, `member ${member.memberId} rejoined`);
  }

  private prepareRebalance(group: Group, reason: string): void {
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

  private maybeCompleteJoin(group: Group): void {
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

  private joinResult(group: Group, member: Member): JoinResponse {
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

  private expirePending(group: Group, memberId: string): void {
    if (!group.pending.delete(memberId)) return;
    this.logger.info('pending member expired', { group: group.groupId, member: memberId });
    this.maybeCompleteJoin(group);
    this.maybeForget(group);
  }

  // ---- SyncGroup -------------------------------------------------------------------------

  sync(req: SyncRequest): Promise<SyncResponse> {
    const fail = (errorCode: number) => Promise.resolve(syncError(errorCode));
    if (this.closed) return fail(E.COORDINATOR_NOT_AVAILABLE);
    const group = this.byId.get(req.groupId);
    if (group && isFenced(group, req.memberId, req.groupInstanceId)) return fail(E.FENCED_INSTANCE_ID);
    const member = group?.members.get(req.memberId);
    if (!group || !member) return fail(E.UNKNOWN_MEMBER_ID);
    if (req.generationId !== group.generation) return fail(E.ILLEGAL_GENERATION);
    if (group.state === 'PreparingRebalance') return fail(E.REBALANCE_IN_PROGRESS);
    if (group.state !== 'CompletingRebalance' && group.state !== 'Stable') return fail(E.UNKNOWN_MEMBER_ID);
    return new Promise((resolve) => {
      group.pendingSync.delete(member.memberId);
      if (group.pendingSync.size === 0) clearTimeout(group.syncTimer);
      if (group.state === 'Stable') {
        this.startSession(group, member);
        return resolve(this.syncResult(group, member));
      }
      this.answerSync(member, syncError(E.REBALANCE_IN_PROGRESS));
      member.syncWaiter = resolve;
      this.stopSession(member);
      if (member.memberId === group.leader) {
        const given = new Map(req.assignments.map((a) => [a.memberId, a.assignment]));
        for (const m of group.members.values()) m.assignment = given.get(m.memberId) ?? EMPTY;
        this.transition(group, 'Stable', `leader ${member.memberId} sent assignments for generation ${group.generation}`);
        for (const m of group.members.values()) this.answerSync(m, this.syncResult(group, m), group);
      }
    });
  }

  private syncResult(group: Group, member: Member): SyncResponse {
    return { errorCode: E.NONE, protocolType: group.protocolType, protocolName: group.protocol, assignment: member.assignment };
  }

  private answerSync(member: Member, res: SyncResponse, group?: Group): void {
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

  heartbeat(req: HeartbeatRequest): number {
    if (this.closed) return E.COORDINATOR_NOT_AVAILABLE;
    const group = this.byId.get(req.groupId);
    if (group && isFenced(group, req.memberId, req.groupInstanceId)) return E.FENCED_INSTANCE_ID;
    const member = group?.members.get(req.memberId);
    if (!group || !member) return E.UNKNOWN_MEMBER_ID;
    if (req.generationId !== group.generation) return E.ILLEGAL_GENERATION;
    switch (group.state) {
      case 'PreparingRebalance':
        this.touch(group, member);
        return E.REBALANCE_IN_PROGRESS;
      case 'CompletingRebalance':
      case 'Stable':
        this.touch(group, member);
        return E.NONE;
      default:
        return E.UNKNOWN_MEMBER_ID;
    }
  }

  leave(groupId: string, identities: MemberIdentity[]): LeaveResponse {
    if (this.closed) return { errorCode: E.COORDINATOR_NOT_AVAILABLE, members: [] };
    const group = this.byId.get(groupId);
    const members = identities.map((who) => {
      const errorCode = group ? this.leaveOne(group, who) : E.UNKNOWN_MEMBER_ID;
      return { ...who, errorCode };
    });
    return { errorCode: E.NONE, members };
  }

  private leaveOne(group: Group, who: MemberIdentity): number {
    let memberId = who.memberId;
    if (who.groupInstanceId !== null) {
      const current = group.staticMembers.get(who.groupInstanceId);
      if (current === undefined) return E.UNKNOWN_MEMBER_ID;
      if (memberId !== '' && memberId !== current) return E.FENCED_INSTANCE_ID;
      memberId = current;
    }
    const pendingTimer = group.pending.get(memberId);
    if (pendingTimer) {
      clearTimeout(pendingTimer);
      group.pending.delete(memberId);
      this.maybeCompleteJoin(group);
      this.maybeForget(group);
      return E.NONE;
    }
    const member = group.members.get(memberId);
    if (!member) return E.UNKNOWN_MEMBER_ID;
    this.removeMember(group, member, E.UNKNOWN_MEMBER_ID, 'left the group');
    this.afterMemberRemoved(group, `member ${memberId} left`);
    return E.NONE;
  }

  // ---- Membership bookkeeping ------------------------------------------------------------

  private removeMember(group: Group, member: Member, answer: number, why?: string): void {
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

  private afterMemberRemoved(group: Group, reason: string): void {
    if (group.state === 'Stable' || group.state === 'CompletingRebalance') this.prepareRebalance(group, reason);
    else if (group.state === 'PreparingRebalance') this.maybeCompleteJoin(group);
  }

  private startSession(group: Group, member: Member): void {
    clearTimeout(member.sessionTimer);
    member.sessionTimer = this.timer(member.sessionTimeoutMs, () => {
      if (group.members.get(member.memberId) !== member) return;
      if (member.joinWaiter || member.syncWaiter) return;
      this.removeMember(group, member, E.UNKNOWN_MEMBER_ID, `session timed out after ${member.sessionTimeoutMs} ms`);
      this.afterMemberRemoved(group, `member ${member.memberId} session timed out`);
    });
  }

  private stopSession(member: Member): void {
    clearTimeout(member.sessionTimer);
    member.sessionTimer = undefined;
  }

  /** A heartbeat or commit keeps the session alive, except while a held request does that already. */
  private touch(group: Group, member: Member): void {
    if (!member.joinWaiter && !member.syncWaiter) this.startSession(group, member);
  }

  private transition(group: Group, to: GroupState, reason: string): void {
    if (group.state === to) return;
    this.logger.info(`group ${group.groupId}: ${group.state} -> ${to}`, { group: group.groupId, generation: group.generation, reason });
    group.state = to;
  }

  /** An empty group without committed offsets is dropped, as Kafka expires it. */
  private maybeForget(group: Group): void {
    if (group.state !== 'Empty' || !group.isIdle || this.byId.get(group.groupId) !== group) return;
    if (this.store.list(group.groupId).length > 0) return;
    this.transition(group, 'Dead', 'empty and without committed offsets');
    this.byId.delete(group.groupId);
  }

  private timer(ms: number, fn: () => void): NodeJS.Timeout {
    return setTimeout(() => {
      if (!this.closed) fn();
    }, Math.max(0, ms));
  }

  // ---- Offsets ---------------------------------------------------------------------------

  commitOffsets(req: OffsetCommitRequest): OffsetCommitResult {
    const group = this.byId.get(req.groupId);
    const error: number = this.closed ? E.COORDINATOR_NOT_AVAILABLE : !req.groupId ? E.INVALID_GROUP_ID : commitError(group, req);
    const member = group?.members.get(req.memberId);
    if (error === E.NONE && group && member) this.touch(group, member);
    return commitOffsets(this.store, error, req, this.partitionExists, Date.now());
  }

  /** `unknownTopicError`: report partitions that do not exist (OffsetFetch v0) instead of offset -1. */
  fetchOffsets(groupId: string, topics: Array<{ name: string; partitionIndexes: number[] }> | null, opts: { unknownTopicError?: boolean } = {}): OffsetFetchResult {
    if (this.closed) return { errorCode: E.COORDINATOR_NOT_AVAILABLE, topics: [] };
    return fetchOffsets(this.store, groupId, topics, this.partitionExists, opts.unknownTopicError ?? false);
  }

  // ---- Introspection and lifecycle -------------------------------------------------------

  /** Like Kafka's DescribeGroups: an unknown group is described as Dead with no members. */
  describe(groupId: string): GroupDescription {
    const group = this.byId.get(groupId);
    if (!group) {
      const state: GroupState = !this.closed && this.store.list(groupId).length > 0 ? 'Empty' : 'Dead';
      return { groupId, state, protocolType: null, protocol: null, generation: 0, leader: null, members: [] };
    }
    return {
      groupId,
      state: group.state,
      protocolType: group.protocolType,
      protocol: group.protocol,
      generation: group.generation,
      leader: group.leader,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        host: m.clientHost,
        sessionTimeoutMs: m.sessionTimeoutMs,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        metadata: group.metadataFor(m, group.protocol),
        assignment: m.assignment,
      })),
    };
  }

  /** Every group with members or committed offsets, like ListGroups. */
  groups(): GroupListing[] {
    const out = new Map<string, GroupListing>();
    for (const id of this.store.groups()) out.set(id, { groupId: id, state: 'Empty', protocolType: null });
    for (const g of this.byId.values()) out.set(g.groupId, { groupId: g.groupId, state: g.state, protocolType: g.protocolType });
    return [...out.values()].sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  }

  /** Like DeleteGroups: only an empty group can go, together with its committed offsets. */
  deleteGroup(groupId: string): number {
    const group = this.byId.get(groupId);
    if (group && !group.isIdle) return E.GROUP_NOT_EMPTY;
    if (!group && !this.store.groups().includes(groupId)) return E.GROUP_ID_NOT_FOUND;
    if (group) this.transition(group, 'Dead', 'deleted');
    this.byId.delete(groupId);
    this.store.deleteGroup(groupId);
    return E.NONE;
  }

  /** Stops every timer and answers held requests so that connections can close. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const group of this.byId.values()) {
      clearTimeout(group.joinTimer);
      clearTimeout(group.syncTimer);
      for (const t of group.pending.values()) clearTimeout(t);
      for (const m of group.members.values()) {
        this.stopSession(m);
        const joinWaiter = m.joinWaiter;
        m.joinWaiter = undefined;
        joinWaiter?.(joinError(E.COORDINATOR_NOT_AVAILABLE, m.memberId));
        this.answerSync(m, syncError(E.COORDINATOR_NOT_AVAILABLE));
      }
      group.state = 'Dead';
    }
    this.byId.clear();
  }
}

function joinError(errorCode: number, memberId: string): JoinResponse {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [] };
}

function syncError(errorCode: number): SyncResponse {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY };
}

/** A static instance id now belongs to another member id: this one was replaced by a restart. */
function isFenced(group: Group, memberId: string, groupInstanceId: string | null): boolean {
  if (groupInstanceId === null) return false;
  const current = group.staticMembers.get(groupInstanceId);
  return current !== undefined && current !== memberId;
}
