/**
 * One consumer group's membership data: members, the pending member ids handed out with
 * MEMBER_ID_REQUIRED, static-instance ids, and the protocol vote. No timers and no policy here;
 * the coordinator drives transitions.
 */
import type { GroupState, JoinResponse, ProtocolOffer, SyncResponse } from './types';

export interface Member {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocols: ProtocolOffer[];
  assignment: Buffer;
  /** Set while the member's JoinGroup response is held. */
  joinWaiter?: (res: JoinResponse) => void;
  /** Set while the member's SyncGroup response is held. */
  syncWaiter?: (res: SyncResponse) => void;
  sessionTimer?: NodeJS.Timeout;
}

export const EMPTY = Buffer.alloc(0);

export class Group {
  state: GroupState = 'Empty';
  generation = 0;
  protocolType: string | null = null;
  protocol: string | null = null;
  leader: string | null = null;
  /** Insertion order matters: the first member to join leads, and votes break ties in order. */
  readonly members = new Map<string, Member>();
  /** Ids given out with MEMBER_ID_REQUIRED, expiring after the session timeout if not used. */
  readonly pending = new Map<string, NodeJS.Timeout>();
  readonly staticMembers = new Map<string, string>();
  /** Members of the current generation that have not sent SyncGroup yet. */
  readonly pendingSync = new Set<string>();
  joinTimer?: NodeJS.Timeout;
  syncTimer?: NodeJS.Timeout;
  /** While the first rebalance of an empty group waits for more members to arrive. */
  initialDelay?: { delayMs: number; remainingMs: number; newMemberAdded: boolean };

  constructor(readonly groupId: string) {}

  /** The protocols every member (except `excluding`, which is about to be replaced) supports. */
  candidateProtocols(excluding?: string): Set<string> | null {
    let candidates: Set<string> | null = null;
    for (const m of this.members.values()) {
      if (m.memberId === excluding) continue;
      const names = new Set(m.protocols.map((p) => p.name));
      if (candidates !== null) for (const n of names) if (!candidates.has(n)) names.delete(n);
      candidates = names;
    }
    return candidates;
  }

  /** Whether a member offering these protocols can join without breaking the group's agreement. */
  accepts(protocolType: string, protocols: ProtocolOffer[], memberId?: string): boolean {
    if (!protocolType || protocols.length === 0) return false;
    const candidates = this.candidateProtocols(memberId);
    if (candidates === null) return true;
    return protocolType === this.protocolType && protocols.some((p) => candidates.has(p.name));
  }

  /**
   * Kafka's rule: among the protocols all members support, each member votes for the first one
   * in its own preference order and the most votes win; ties go to the earliest vote.
   */
  selectProtocol(): string {
    const candidates = this.candidateProtocols() ?? new Set<string>();
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const choice = m.protocols.find((p) => candidates.has(p.name))?.name;
      if (choice !== undefined) votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    let best = '';
    let bestVotes = 0;
    for (const [name, n] of votes) if (n > bestVotes) [best, bestVotes] = [name, n];
    return best;
  }

  metadataFor(member: Member, protocol: string | null): Buffer {
    return member.protocols.find((p) => p.name === protocol)?.metadata ?? EMPTY;
  }

  get rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  hasAllMembersJoined(): boolean {
    if (this.pending.size > 0) return false;
    for (const m of this.members.values()) if (!m.joinWaiter) return false;
    return true;
  }

  get isIdle(): boolean {
    return this.members.size === 0 && this.pending.size === 0;
  }
}

export function sameProtocols(a: ProtocolOffer[], b: ProtocolOffer[]): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i].name && p.metadata.equals(b[i].metadata));
}
