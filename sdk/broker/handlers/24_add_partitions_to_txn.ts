/**
 * AddPartitionsToTxn (24), v0-3.
 * Behavior:
 * - Registers partitions in the producer's open transaction (opening it), through the
 *   transaction coordinator (sdk/broker/txn/coordinator.ts); the transaction log has them
 *   before the answer. Needs WRITE on the transactional id (53 otherwise) and on each topic (29).
 * - Unknown partitions get 3 UNKNOWN_TOPIC_OR_PARTITION and the others of the request 55
 *   OPERATION_NOT_ATTEMPTED (nothing is added), as in Kafka. A wrong producer id gets 49
 *   INVALID_PRODUCER_ID_MAPPING, an older epoch 90 PRODUCER_FENCED (v0-1: 47).
 * Version notes:
 * - v4+ (several transactions per request, sent by brokers verifying partitions for KIP-890)
 *   are not served; clients use v0-3.
 */
import { registerApi } from '../registry';
import { ErrorCode } from '../../protocol/errors';
import { AclOperation, AclResourceType } from '../../protocol/messages/acl-types';
import { AddPartitionsToTxnRequest, AddPartitionsToTxnResponse } from '../../protocol/messages/add-partitions-to-txn';
import { transactionsOf } from '../txn/coordinator';

registerApi({
  request: AddPartitionsToTxnRequest,
  response: AddPartitionsToTxnResponse,
  minVersion: 0,
  maxVersion: 3,
  handle: (req, ctx) => {
    const topics = req.v3AndBelowTopics;
    const everywhere = (code: number) => topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: code })) }));
    const answer = (resultsByTopicV3AndBelow: ReturnType<typeof everywhere>) => ({ throttleTimeMs: 0, errorCode: 0, resultsByTransaction: [], resultsByTopicV3AndBelow });
    if (!ctx.authorize(AclOperation.WRITE, AclResourceType.TRANSACTIONAL_ID, req.v3AndBelowTransactionalId)) return answer(everywhere(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED));
    const denied = topics.filter((t) => !ctx.authorize(AclOperation.WRITE, AclResourceType.TOPIC, t.name));
    if (denied.length) {
      return answer(topics.map((t) => ({
        name: t.name,
        resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: denied.includes(t) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.OPERATION_NOT_ATTEMPTED })),
      })));
    }
    const { v3AndBelowTransactionalId: id, v3AndBelowProducerId: pid, v3AndBelowProducerEpoch: epoch } = req;
    return answer(transactionsOf(ctx.broker).addPartitions(id, pid, epoch, topics, ctx.header.apiVersion));
  },
});
