/**
 * InitProducerId (22), v0-1.
 * Behavior:
 * - Hands out a fresh producer id (epoch 0) for idempotent producers; a transactional id gets
 *   its producer's next epoch; the transaction APIs themselves are out of scope (SKIPPED.md),
 *   so a transactional producer fails at its first AddPartitionsToTxn.
 */
import { registerHandler } from '../registry';
import {
  decodeInitProducerIdRequest,
  encodeInitProducerIdResponse,
  type InitProducerIdRequest,
  type InitProducerIdResponse,
} from '../../protocol/messages/init-producer-id';

registerHandler<InitProducerIdRequest, InitProducerIdResponse>({
  key: 22,
  name: 'InitProducerId',
  minVersion: 0,
  maxVersion: 1,
  flexibleVersion: 2,
  decodeRequest: decodeInitProducerIdRequest,
  handle: (req, ctx) => {
    const { producerId, epoch } = ctx.broker.producers.initProducerId(req.transactionalId);
    return { throttleTimeMs: 0, errorCode: 0, producerId, producerEpoch: epoch };
  },
  encodeResponse: encodeInitProducerIdResponse,
});
