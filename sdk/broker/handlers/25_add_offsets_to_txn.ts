/**
 * AddOffsetsToTxn (25), v0-4.
 * Behavior:
 * - Registers a consumer group in the producer's open transaction (opening it), so that a
 *   TxnOffsetCommit for that group may follow; its offsets become visible when the transaction
 *   commits. Needs WRITE on the transactional id (53) and READ on the group (30).
 * - A wrong producer id gets 49, an older epoch 90 PRODUCER_FENCED (v0-1: 47).
 */
import { registerApi } from '../registry';
import { ErrorCode } from '../../protocol/errors';
import { AclOperation, AclResourceType } from '../../protocol/messages/acl-types';
import { AddOffsetsToTxnRequest, AddOffsetsToTxnResponse } from '../../protocol/messages/add-offsets-to-txn';
import { transactionsOf } from '../txn/coordinator';

registerApi({
  request: AddOffsetsToTxnRequest,
  response: AddOffsetsToTxnResponse,
  minVersion: 0,
  maxVersion: 4,
  handle: (req, ctx) => {
    let errorCode: number;
    if (!ctx.authorize(AclOperation.WRITE, AclResourceType.TRANSACTIONAL_ID, req.transactionalId)) errorCode = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    else if (!ctx.authorize(AclOperation.READ, AclResourceType.GROUP, req.groupId)) errorCode = ErrorCode.GROUP_AUTHORIZATION_FAILED;
    else errorCode = transactionsOf(ctx.broker).addOffsets(req.transactionalId, req.producerId, req.producerEpoch, req.groupId, ctx.header.apiVersion);
    return { throttleTimeMs: 0, errorCode };
  },
});
