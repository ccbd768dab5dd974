/**
 * The group coordinator: Kafka's classic rebalance protocol as a state machine over plain
 * objects. Every group moves through
 *
 *   Empty → PreparingRebalance → CompletingRebalance → Stable → (PreparingRebalance …) → Empty,
 *
 * and Dead when it is deleted or the coordinator closes. This file validates each request the
 * way Kafka does and decides what it means for the group; `rebalance.ts` moves the group between
 * states and owns the timers. JoinGroup and SyncGroup answers are held (returned Promises) until
 * the rebalance reaches the point where Kafka would answer.
 */
import { randomUUID } from 'crypto';
import { Reader } from '../../protocol/reader';
import { silentLogger, type Logger } from '../../util/log';
import { EMPTY, Group, sameProtocols, type Member } from './group';
import { commitError, commitOffsets, fetchOffsets, type GroupOffsetStore } from './offsets';
import { joinError, Rebalancer, syncError } from './rebalance';
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
  type OffsetDeleteResult,
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
  private readonly minSessionMs: number;
  private readonly maxSessionMs: number;
  private readonly rb: Rebalancer;
  private closed = false;

  constructor(opts: GroupCoordinatorOptions) {
    this.store = opts.offsets;
    this.logger = opts.logger ?? silentLogger;
    this.partitionExists = opts.partitionExists ?? (() => true);
    this.rb = new Rebalancer(this.byId, this.store, this.logger, opts.initialRebalanceDelayMs ?? DEFAULT_INITIAL_REBALANCE_DELAY_MS);
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
      const previous = group.staticMembers.get(req.groupInstanceId);
      const old = previous === undefined ? undefined : group.members.get(previous);
      if (old) this.replaceStaticMember(group, old, req, memberId, resolve);
      else this.addMemberAndRebalance(group, req, memberId, resolve);
    } else if (req.requireKnownMemberId) {
      group.pending.set(memberId, this.rb.timer(req.sessionTimeoutMs, () => this.expirePending(group, memberId)));
      resolve(joinError(E.MEMBER_ID_REQUIRED, memberId));
    } else {
      this.addMemberAndRebalance(group, req, memberId, resolve);
    }
  }

  /**
   * A static member that restarts takes its predecessor's place (which is fenced from then on),
   * keeping its assignment. Like Kafka, an unchanged member rejoining a Stable group gets the
   * current generation back without a rebalance: that is what static membership is for.
   */
  private replaceStaticMember(group: Group, old: Member, req: JoinRequest, memberId: string, resolve: (r: JoinResponse) => void): void {
    const unchanged = sameProtocols(old.protocols, req.protocols);
    const member: Member = { ...this.newMember(req, memberId), assignment: old.assignment };
    this.rb.stopSession(old);
    const oldJoin = old.joinWaiter;
    old.joinWaiter = undefined;
    oldJoin?.(joinError(E.FENCED_INSTANCE_ID, old.memberId));
    this.rb.answerSync(old, syncError(E.FENCED_INSTANCE_ID));
    group.members.delete(old.memberId);
    group.members.set(memberId, member);
    group.staticMembers.set(req.groupInstanceId!, memberId);
    if (group.pendingSync.delete(old.memberId)) group.pendingSync.add(memberId);
    if (group.leader === old.memberId) group.leader = memberId;
    this.logger.info('static member replaced', { group: group.groupId, instance: req.groupInstanceId, old: old.memberId, member: memberId });
    if (group.state === 'Stable' && unchanged) {
      this.rb.startSession(group, member);
      return resolve(this.rb.joinResult(group, member));
    }
    member.joinWaiter = resolve;
    if (group.state === 'PreparingRebalance') this.rb.maybeCompleteJoin(group);
    else this.rb.prepareRebalance(group, `static member ${req.groupInstanceId} rejoined`);
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
        if (sameProtocols(member.protocols, req.protocols)) return resolve(this.rb.joinResult(group, member));
        return this.updateMemberAndRebalance(group, member, req, resolve);
      case 'Stable':
        // A leader rejoins when its metadata changed (new partitions): that needs a new round.
        if (group.leader === member.memberId || !sameProtocols(member.protocols, req.protocols)) {
          return this.updateMemberAndRebalance(group, member, req, resolve);
        }
        return resolve(this.rb.joinResult(group, member));
      default:
        return resolve(joinError(E.UNKNOWN_MEMBER_ID, req.memberId));
    }
  }

  private newMember(req: JoinRequest, memberId: string): Member {
    return {
      memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: req.clientId,
      clientHost: req.clientHost,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs >= 0 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
      protocols: req.protocols,
      assignment: EMPTY,
    };
  }

  private addMemberAndRebalance(group: Group, req: JoinRequest, memberId: string, resolve: (r: JoinResponse) => void): void {
    const member: Member = { ...this.newMember(req, memberId), joinWaiter: resolve };
    if (group.members.size === 0) group.protocolType = req.protocolType;
    group.members.set(memberId, member);
    if (req.groupInstanceId !== null) group.staticMembers.set(req.groupInstanceId, memberId);
    if (group.leader === null) group.leader = memberId;
    this.logger.info('member joined', { group: group.groupId, member: memberId, clientId: req.clientId, host: req.clientHost });
    if (group.state === 'PreparingRebalance') {
      if (group.initialDelay) group.initialDelay.newMemberAdded = true;
      this.rb.maybeCompleteJoin(group);
    } else {
      this.rb.prepareRebalance(group, `member ${memberId} joined`);
    }
  }

  private updateMemberAndRebalance(group: Group, member: Member, req: JoinRequest, resolve: (r: JoinResponse) => void): void {
    // A retried JoinGroup supersedes the held one; answer the old so its connection is not stuck.
    member.joinWaiter?.(joinError(E.REBALANCE_IN_PROGRESS, member.memberId));
    member.protocols = req.protocols;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs >= 0 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs;
    member.joinWaiter = resolve;
    this.rb.stopSession(member);
    if (group.state === 'PreparingRebalance') this.rb.maybeCompleteJoin(group);
    else this.rb.prepareRebalance(group, `member ${member.memberId} rejoined`);
  }

  private expirePending(group: Group, memberId: string): void {
    if (!group.pending.delete(memberId)) return;
    this.logger.info('pending member expired', { group: group.groupId, member: memberId });
    this.rb.maybeCompleteJoin(group);
    this.rb.maybeForget(group);
  }

  // ---- SyncGroup -------------------------------------------------------------------------

  sync(req: SyncRequest): Promise<SyncResponse> {
    const fail = (errorCode: number) => Promise.resolve(syncError(errorCode));
    if (this.closed) return fail(E.COORDINATOR_NOT_AVAILABLE);
    if (!req.groupId) return fail(E.INVALID_GROUP_ID);
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
        this.rb.startSession(group, member);
        return resolve(this.rb.syncResult(group, member));
      }
      this.rb.answerSync(member, syncError(E.REBALANCE_IN_PROGRESS));
      member.syncWaiter = resolve;
      this.rb.stopSession(member);
      if (member.memberId === group.leader) {
        const given = new Map(req.assignments.map((a) => [a.memberId, a.assignment]));
        for (const m of group.members.values()) m.assignment = given.get(m.memberId) ?? EMPTY;
        this.rb.transition(group, 'Stable', `leader ${member.memberId} sent assignments for generation ${group.generation}`);
        for (const m of group.members.values()) this.rb.answerSync(m, this.rb.syncResult(group, m), group);
      }
    });
  }

  heartbeat(req: HeartbeatRequest): number {
    if (this.closed) return E.COORDINATOR_NOT_AVAILABLE;
    if (!req.groupId) return E.INVALID_GROUP_ID;
    const group = this.byId.get(req.groupId);
    if (group && isFenced(group, req.memberId, req.groupInstanceId)) return E.FENCED_INSTANCE_ID;
    const member = group?.members.get(req.memberId);
    if (!group || !member) return E.UNKNOWN_MEMBER_ID;
    if (req.generationId !== group.generation) return E.ILLEGAL_GENERATION;
    switch (group.state) {
      case 'PreparingRebalance':
        this.rb.touch(group, member);
        return E.REBALANCE_IN_PROGRESS;
      case 'CompletingRebalance':
      case 'Stable':
        this.rb.touch(group, member);
        return E.NONE;
      default:
        return E.UNKNOWN_MEMBER_ID;
    }
  }

  leave(groupId: string, identities: MemberIdentity[]): LeaveResponse {
    if (this.closed) return { errorCode: E.COORDINATOR_NOT_AVAILABLE, members: [] };
    if (!groupId) return { errorCode: E.INVALID_GROUP_ID, members: identities.map((who) => ({ ...who, errorCode: E.INVALID_GROUP_ID })) };
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
      this.rb.maybeCompleteJoin(group);
      this.rb.maybeForget(group);
      return E.NONE;
    }
    const member = group.members.get(memberId);
    if (!member) return E.UNKNOWN_MEMBER_ID;
    this.rb.removeMember(group, member, E.UNKNOWN_MEMBER_ID, 'left the group');
    this.rb.afterMemberRemoved(group, `member ${memberId} left`);
    return E.NONE;
  }

  // ---- Offsets ---------------------------------------------------------------------------

  commitOffsets(req: OffsetCommitRequest): OffsetCommitResult {
    const group = this.byId.get(req.groupId);
    const error: number = this.closed ? E.COORDINATOR_NOT_AVAILABLE : !req.groupId ? E.INVALID_GROUP_ID : commitError(group, req);
    const member = group?.members.get(req.memberId);
    if (error === E.NONE && group && member) this.rb.touch(group, member);
    return commitOffsets(this.store, error, req, this.partitionExists, Date.now());
  }

  /** TxnOffsetCommit's group check (v3+ carry generation and member, KIP-447; older ones -1): 0 accepts. */
  txnCommitError(req: Pick<OffsetCommitRequest, 'groupId' | 'generationId' | 'memberId' | 'groupInstanceId'>): number {
    if (this.closed) return E.COORDINATOR_NOT_AVAILABLE;
    if (!req.groupId) return E.INVALID_GROUP_ID;
    if (req.generationId < 0) return E.NONE;
    return commitError(this.byId.get(req.groupId), req as OffsetCommitRequest);
  }

  /** `unknownTopicError`: report partitions that do not exist (OffsetFetch v0) instead of offset -1. */
  fetchOffsets(groupId: string, topics: Array<{ name: string; partitionIndexes: number[] }> | null, opts: { unknownTopicError?: boolean } = {}): OffsetFetchResult {
    const refused = this.closed ? E.COORDINATOR_NOT_AVAILABLE : !groupId ? E.INVALID_GROUP_ID : E.NONE;
    if (refused !== E.NONE) {
      // v0-1 have no top-level error code, so the partitions carry it too.
      const partitions = (t: { partitionIndexes: number[] }) =>
        t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: refused }));
      return { errorCode: refused, topics: (topics ?? []).map((t) => ({ name: t.name, partitions: partitions(t) })) };
    }
    return fetchOffsets(this.store, groupId, topics, this.partitionExists, opts.unknownTopicError ?? false);
  }

  /**
   * OffsetDelete (KIP-496): forgets committed offsets of partitions the group does not consume.
   * An active consumer group keeps those of topics its members subscribe to (86 per partition);
   * a group with members of another protocol type refuses (68); an unknown group gets 69.
   */
  deleteOffsets(groupId: string, topics: Array<{ name: string; partitions: number[] }>): OffsetDeleteResult {
    const group = this.byId.get(groupId);
    const noPartitions = (errorCode: number): OffsetDeleteResult => ({ errorCode, topics: [] });
    if (this.closed) return noPartitions(E.COORDINATOR_NOT_AVAILABLE);
    if (!groupId) return noPartitions(E.INVALID_GROUP_ID);
    if (!group && !this.store.groups().includes(groupId)) return noPartitions(E.GROUP_ID_NOT_FOUND);
    const active = group !== undefined && !group.isIdle;
    if (active && group.protocolType !== 'consumer') return noPartitions(E.NON_EMPTY_GROUP);
    const subscribed = active ? subscribedTopics(group) : new Set<string>();
    const doomed: Array<{ topic: string; partition: number }> = [];
    const result = topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((partition) => {
        if (subscribed.has(t.name)) return { partitionIndex: partition, errorCode: E.GROUP_SUBSCRIBED_TO_TOPIC };
        doomed.push({ topic: t.name, partition });
        return { partitionIndex: partition, errorCode: E.NONE };
      }),
    }));
    this.store.deletePartitions(groupId, doomed);
    return { errorCode: E.NONE, topics: result };
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
    if (group && !group.isIdle) return E.NON_EMPTY_GROUP;
    if (!group && !this.store.groups().includes(groupId)) return E.GROUP_ID_NOT_FOUND;
    if (group) this.rb.transition(group, 'Dead', 'deleted');
    this.byId.delete(groupId);
    this.store.deleteGroup(groupId);
    return E.NONE;
  }

  /** Stops every timer and answers held requests so that connections can close. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.rb.closed = true;
    for (const group of this.byId.values()) {
      clearTimeout(group.joinTimer);
      clearTimeout(group.syncTimer);
      for (const t of group.pending.values()) clearTimeout(t);
      for (const m of group.members.values()) {
        this.rb.stopSession(m);
        const joinWaiter = m.joinWaiter;
        m.joinWaiter = undefined;
        joinWaiter?.(joinError(E.COORDINATOR_NOT_AVAILABLE, m.memberId));
        this.rb.answerSync(m, syncError(E.COORDINATOR_NOT_AVAILABLE));
      }
      group.state = 'Dead';
    }
    this.byId.clear();
  }
}

/** A static instance id now belongs to another member id: this one was replaced by a restart. */
function isFenced(group: Group, memberId: string, groupInstanceId: string | null): boolean {
  if (groupInstanceId === null) return false;
  const current = group.staticMembers.get(groupInstanceId);
  return current !== undefined && current !== memberId;
}

/** Topics named in the members' consumer-protocol subscriptions (version, [topic], user data...). */
function subscribedTopics(group: Group): Set<string> {
  const out = new Set<string>();
  for (const m of group.members.values()) {
    try {
      const r = new Reader(group.metadataFor(m, group.protocol));
      r.int16();
      for (const t of r.array((r) => r.string())) out.add(t);
    } catch {
      // Unreadable subscription: nothing known to protect.
    }
  }
  return out;
}
