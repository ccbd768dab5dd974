/**
 * InitProducerId (22), v0-5.
 * Behavior:
 * - Without a transactional id: a fresh producer id, epoch 0 (idempotent producers).
 * - With one: the transaction coordinator (sdk/broker/txn/coordinator.ts) gives that id's
 *   producer its next epoch, aborting a transaction the older epoch left open, so a zombie
 *   with the older epoch is fenced. The timeout must be 1..transaction.max.timeout.ms (50
 *   INVALID_TRANSACTION_TIMEOUT). Needs WRITE on the transactional id (53 otherwise).
 * Version notes:
 * - v3+ may name the current producer id and epoch (KIP-360, a producer bumping its own epoch);
 *   a mismatch gets 90 PRODUCER_FENCED (v4+) or 47 INVALID_PRODUCER_EPOCH (v3).
 */
import { registerApi } from '../registry';
import { ErrorCode } from '../../protocol/errors';
import { AclOperation, AclResourceType } from '../../protocol/messages/acl-types';
import { InitProducerIdRequest, InitProducerIdResponse } from '../../protocol/messages/init-producer-id';
import { transactionsOf } from '../txn/coordinator';

registerApi({
  request: InitProducerIdRequest,
  response: InitProducerIdResponse,
  minVersion: 0,
  maxVersion: 5,
  handle: (req, ctx) => {
    if (req.transactionalId === null) {
      const { producerId, epoch } = ctx.broker.producers.newProducerId();
      return { throttleTimeMs: 0, errorCode: 0, producerId, producerEpoch: epoch };
    }
    if (!ctx.authorize(AclOperation.WRITE, AclResourceType.TRANSACTIONAL_ID, req.transactionalId)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1, producerEpoch: -1 };
    }
    const res = transactionsOf(ctx.broker).initProducerId(req.transactionalId, req.transactionTimeoutMs, req.producerId, req.producerEpoch, ctx.header.apiVersion);
    return { throttleTimeMs: 0, ...res };
  },
});
