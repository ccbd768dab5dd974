/**
 * InitProducerId (22), v0-5.
 * Behavior:
 * - Hands out a fresh producer id (epoch 0) for idempotent producers; a transactional id gets
 *   its producer's next epoch; the transaction APIs themselves are out of scope (SKIPPED.md),
 *   so a transactional producer fails at its first AddPartitionsToTxn.
 */
import { registerApi } from '../registry';
import { InitProducerIdRequest, InitProducerIdResponse } from '../../protocol/messages/init-producer-id';

registerApi({
  request: InitProducerIdRequest,
  response: InitProducerIdResponse,
  minVersion: 0,
  maxVersion: 5,
  handle: (req, ctx) => {
    const { producerId, epoch } = ctx.broker.producers.initProducerId(req.transactionalId);
    return { throttleTimeMs: 0, errorCode: 0, producerId, producerEpoch: epoch };
  },
});
