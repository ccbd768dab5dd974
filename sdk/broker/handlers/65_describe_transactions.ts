/**
 * DescribeTransactions (65), v0.
 * Behavior:
 * - For each transactional id: its coordinator state under Kafka's names (Empty, Ongoing,
 *   PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort), its transaction timeout, when
 *   the open transaction began (-1 when none is open), its producer id and epoch, and the
 *   partitions the open transaction registered, by topic.
 * - An id the coordinator does not know (never used, or expired) gets 105
 *   TRANSACTIONAL_ID_NOT_FOUND; one the principal may not DESCRIBE gets 53
 *   TRANSACTIONAL_ID_AUTHORIZATION_FAILED.
 * Version notes:
 * - v0 is flexible (Kafka 3.0+ admin clients, `kafka-transactions.sh describe`).
 */
import { registerApi } from '../registry';
import { ErrorCode } from '../../protocol/errors';
import { AclOperation, AclResourceType } from '../../protocol/messages/acl-types';
import { DescribeTransactionsRequest, DescribeTransactionsResponse } from '../../protocol/messages/describe-transactions';
import { transactionsOf } from '../txn/coordinator';

registerApi({
  request: DescribeTransactionsRequest,
  response: DescribeTransactionsResponse,
  minVersion: 0,
  maxVersion: 0,
  handle: (req, ctx) => {
    const coordinator = transactionsOf(ctx.broker);
    return {
      throttleTimeMs: 0,
      transactionStates: req.transactionalIds.map((id) => {
        const none = { transactionalId: id, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1, producerId: -1, producerEpoch: -1, topics: [] };
        if (!ctx.authorize(AclOperation.DESCRIBE, AclResourceType.TRANSACTIONAL_ID, id)) return { ...none, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
        const t = coordinator.describe(id);
        if (!t) return { ...none, errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND };
        const topics = new Map<string, number[]>();
        for (const [topic, partition] of t.partitions) {
          const list = topics.get(topic);
          if (list) list.push(partition);
          else topics.set(topic, [partition]);
        }
        return {
          errorCode: ErrorCode.NONE,
          transactionalId: id,
          transactionState: t.state,
          transactionTimeoutMs: t.timeoutMs,
          transactionStartTimeMs: t.startedAt > 0 ? t.startedAt : -1,
          producerId: t.producerId,
          producerEpoch: t.epoch,
          topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
        };
      }),
    };
  },
});
