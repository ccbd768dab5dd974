/**
 * Offset commit and fetch: validation against the group's membership, persistence through the
 * broker's OffsetStore. Kept apart from the rebalance state machine because it is plain request
 * in, result out, with no timers.
 */
import type { Group } from './group';
import { GroupErrorCode as E, type OffsetCommitRequest, type OffsetCommitResult, type OffsetFetchResult } from './types';

/** What the coordinator needs from storage; the broker's OffsetStore satisfies it. */
export interface CommittedOffset {
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
  commitTimestamp: number;
}
export interface GroupOffsetStore {
  commit(group: string, entries: Array<{ topic: string; partition: number } & CommittedOffset>): void;
  fetch(group: string, topic: string, partition: number): CommittedOffset | undefined;
  list(group: string): Array<{ topic: string; partition: number } & CommittedOffset>;
  groups(): string[];
  deleteGroup(group: string): void;
  deletePartitions(group: string, partitions: Array<{ topic: string; partition: number }>): void;
}

/** Kafka's offset.metadata.max.bytes default. */
export const MAX_METADATA_BYTES = 4096;

/**
 * Kafka's rules: a group it does not know (or an empty one) takes commits from standalone
 * consumers (generation < 0); otherwise the committer must be a current member of the current
 * generation, and nobody may commit while assignments are being handed out.
 */
export function commitError(group: Group | undefined, req: OffsetCommitRequest): number {
  if (!group) return req.generationId < 0 ? E.NONE : E.ILLEGAL_GENERATION;
  if (group.state === 'Dead') return E.COORDINATOR_NOT_AVAILABLE;
  if (req.generationId < 0 && group.state === 'Empty') return E.NONE;
  if (group.state === 'CompletingRebalance') return E.REBALANCE_IN_PROGRESS;
  if (req.groupInstanceId !== null && group.staticMembers.has(req.groupInstanceId) && group.staticMembers.get(req.groupInstanceId) !== req.memberId) {
    return E.FENCED_INSTANCE_ID;
  }
  if (!group.members.has(req.memberId)) return E.UNKNOWN_MEMBER_ID;
  if (req.generationId !== group.generation) return E.ILLEGAL_GENERATION;
  return E.NONE;
}

export function commitOffsets(
  store: GroupOffsetStore,
  groupError: number,
  req: OffsetCommitRequest,
  partitionExists: (topic: string, partition: number) => boolean,
  now: number,
): OffsetCommitResult {
  const entries: Array<{ topic: string; partition: number } & CommittedOffset> = [];
  const topics = req.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => {
      let errorCode: number = groupError;
      if (!partitionExists(t.name, p.partitionIndex)) errorCode = E.UNKNOWN_TOPIC_OR_PARTITION;
      else if (errorCode === E.NONE && p.committedMetadata !== null && Buffer.byteLength(p.committedMetadata) > MAX_METADATA_BYTES) {
        errorCode = E.OFFSET_METADATA_TOO_LARGE;
      }
      if (errorCode === E.NONE) {
        entries.push({
          topic: t.name,
          partition: p.partitionIndex,
          offset: p.committedOffset,
          leaderEpoch: p.committedLeaderEpoch,
          metadata: p.committedMetadata,
          commitTimestamp: now,
        });
      }
      return { partitionIndex: p.partitionIndex, errorCode };
    }),
  }));
  if (entries.length > 0) store.commit(req.groupId, entries);
  return { topics };
}

/**
 * `topics` null (v2+) means every partition the group has committed. Partitions without a
 * commit answer offset -1 and no error; `unknownTopicError` (v0, whose offsets lived in
 * ZooKeeper) reports partitions that do not exist as UNKNOWN_TOPIC_OR_PARTITION instead.
 */
export function fetchOffsets(
  store: GroupOffsetStore,
  groupId: string,
  topics: Array<{ name: string; partitionIndexes: number[] }> | null,
  partitionExists: (topic: string, partition: number) => boolean,
  unknownTopicError: boolean,
): OffsetFetchResult {
  if (topics === null) {
    const byTopic = new Map<string, OffsetFetchResult['topics'][number]>();
    const all = store.list(groupId).sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
    for (const c of all) {
      let t = byTopic.get(c.topic);
      if (!t) byTopic.set(c.topic, (t = { name: c.topic, partitions: [] }));
      t.partitions.push({ partitionIndex: c.partition, committedOffset: c.offset, committedLeaderEpoch: c.leaderEpoch, metadata: c.metadata ?? '', errorCode: E.NONE });
    }
    return { errorCode: E.NONE, topics: [...byTopic.values()] };
  }
  return {
    errorCode: E.NONE,
    topics: topics.map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((p) => {
        const c = store.fetch(groupId, t.name, p);
        if (c) return { partitionIndex: p, committedOffset: c.offset, committedLeaderEpoch: c.leaderEpoch, metadata: c.metadata ?? '', errorCode: E.NONE };
        const errorCode = unknownTopicError && !partitionExists(t.name, p) ? E.UNKNOWN_TOPIC_OR_PARTITION : E.NONE;
        return { partitionIndex: p, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode };
      }),
    })),
  };
}
