/**
 * EndTxn (26), v0-4.
 * Behavior:
 * - Commits or aborts the producer's open transaction: a COMMIT/ABORT control batch goes to
 *   every partition it registered, and on commit its TxnOffsetCommit offsets are committed to
 *   the group, all before the answer (sdk/broker/txn/coordinator.ts). A retry of an EndTxn that
 *   completed is answered 0; ending a transaction that is not open gets 48 INVALID_TXN_STATE.
 * - Needs WRITE on the transactional id (53). A wrong producer id gets 49, an older epoch
 *   (fenced by a newer InitProducerId or by the transaction timeout) 90 PRODUCER_FENCED (v0-1: 47).
 * Version notes:
 * - v5 (transactions v2, KIP-890: a new epoch per transaction) is not served.
 */
import { registerApi } from '../registry';
import { ErrorCode } from '../../protocol/errors';
import { AclOperation, AclResourceType } from '../../protocol/messages/acl-types';
import { EndTxnRequest, EndTxnResponse } from '../../protocol/messages/end-txn';
import { transactionsOf } from '../txn/coordinator';

registerApi({
  request: EndTxnRequest,
  response: EndTxnResponse,
  minVersion: 0,
  maxVersion: 4,
  handle: (req, ctx) => {
    const errorCode = ctx.authorize(AclOperation.WRITE, AclResourceType.TRANSACTIONAL_ID, req.transactionalId)
      ? transactionsOf(ctx.broker).endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed, ctx.header.apiVersion)
      : ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    return { throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 };
  },
});
