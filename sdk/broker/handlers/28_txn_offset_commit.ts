/**
 * TxnOffsetCommit (28), v0-4.
 * Behavior:
 * - Holds the offsets in the producer's open transaction (the group must have been added with
 *   AddOffsetsToTxn: 48 INVALID_TXN_STATE otherwise); they are committed to the group when the
 *   transaction commits and dropped when it aborts. Until then OffsetFetch with require_stable
 *   answers 88 UNSTABLE_OFFSET_COMMIT for those partitions.
 * - v3+ name the member and generation (KIP-447): they are checked as OffsetCommit checks them
 *   (22, 25, 27, 82); generation -1 (older versions) is not checked.
 * - Needs WRITE on the transactional id (53) and READ on the group (30). Unknown partitions get
 *   3; a wrong producer id 49; an older epoch 90 PRODUCER_FENCED (v0-1: 47).
 */
import { registerApi } from '../registry';
import { ErrorCode } from '../../protocol/errors';
import { AclOperation, AclResourceType } from '../../protocol/messages/acl-types';
import { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from '../../protocol/messages/txn-offset-commit';
import { groupsOf } from '../groups/service';
import { transactionsOf } from '../txn/coordinator';

registerApi({
  request: TxnOffsetCommitRequest,
  response: TxnOffsetCommitResponse,
  minVersion: 0,
  maxVersion: 4,
  handle: (req, ctx) => {
    const exists = (topic: string, p: number) => ctx.broker.logs.partition(topic, p) !== undefined;
    let code: number;
    if (!ctx.authorize(AclOperation.WRITE, AclResourceType.TRANSACTIONAL_ID, req.transactionalId)) code = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    else if (!ctx.authorize(AclOperation.READ, AclResourceType.GROUP, req.groupId)) code = ErrorCode.GROUP_AUTHORIZATION_FAILED;
    else code = groupsOf(ctx).txnCommitError(req);
    if (code === ErrorCode.NONE) {
      const entries = req.topics.flatMap((t) =>
        t.partitions.filter((p) => exists(t.name, p.partitionIndex)).map((p) => [t.name, p.partitionIndex, p.committedOffset, p.committedLeaderEpoch, p.committedMetadata] as [string, number, number, number, string | null]),
      );
      code = transactionsOf(ctx.broker).commitOffsets(req.transactionalId, req.producerId, req.producerEpoch, req.groupId, entries, ctx.header.apiVersion);
    }
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code === ErrorCode.NONE && !exists(t.name, p.partitionIndex) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : code })),
      })),
    };
  },
});
