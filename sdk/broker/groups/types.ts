/**
 * The coordinator's inputs and outputs: plain objects shaped like the Kafka messages (minus
 * bytes framing), so handlers stay thin and the state machine can be tested without sockets.
 */

import { ErrorCode } from '../../protocol/errors';

/** Kafka error codes the group APIs answer with: the one table's (sdk/protocol/errors.ts). */
export const GroupErrorCode = ErrorCode;
export type GroupErrorCode = ErrorCode;

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface ProtocolOffer {
  name: string;
  metadata: Buffer;
}

export interface JoinRequest {
  groupId: string;
  sessionTimeoutMs: number;
  /** -1 (JoinGroup v0) means "same as the session timeout". */
  rebalanceTimeoutMs: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  protocols: ProtocolOffer[];
  clientId: string;
  clientHost: string;
  /** JoinGroup v4+: a new member first gets MEMBER_ID_REQUIRED with its id, then rejoins with it. */
  requireKnownMemberId: boolean;
}

export interface JoinResponse {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  memberId: string;
  /** Only the leader gets the members, with their metadata for the chosen protocol. */
  members: Array<{ memberId: string; groupInstanceId: string | null; metadata: Buffer }>;
}

export interface SyncRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** Only the leader sends assignments; followers send an empty list. */
  assignments: Array<{ memberId: string; assignment: Buffer }>;
}

export interface SyncResponse {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface MemberIdentity {
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeaveResponse {
  errorCode: number;
  members: Array<MemberIdentity & { errorCode: number }>;
}

export interface OffsetCommitRequest {
  groupId: string;
  /** -1 with an empty member id: a standalone consumer (assign()), not a group member. */
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  topics: Array<{
    name: string;
    partitions: Array<{ partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; committedMetadata: string | null }>;
  }>;
}

export interface OffsetCommitResult {
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }>;
}

export interface OffsetFetchResult {
  errorCode: number;
  topics: Array<{
    name: string;
    partitions: Array<{ partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; metadata: string | null; errorCode: number }>;
  }>;
}

export interface OffsetDeleteResult {
  errorCode: number;
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }>;
}

export interface MemberDescription {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  host: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  /** Metadata of the chosen protocol (for consumers: the subscription). */
  metadata: Buffer;
  /** What the leader assigned this member in the current generation (empty until synced). */
  assignment: Buffer;
}

export interface GroupDescription {
  groupId: string;
  state: GroupState;
  protocolType: string | null;
  protocol: string | null;
  generation: number;
  leader: string | null;
  members: MemberDescription[];
}

export interface GroupListing {
  groupId: string;
  state: GroupState;
  protocolType: string | null;
}
