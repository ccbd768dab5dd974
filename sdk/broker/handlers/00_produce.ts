/**
 * Produce (0), v0-12 advertised, v3-12 served.
 * Behavior:
 * - Each partition's record set must be exactly one v2 batch with a valid length and CRC-32C
 *   (2 CORRUPT_MESSAGE otherwise; 87 INVALID_RECORD for several batches or none). It is stored
 *   as received, compressed or not; storage rewrites only BaseOffset and PartitionLeaderEpoch.
 * - Idempotent producers (producer id >= 0): a retried batch (same sequences as one of the last
 *   five, also across a restart: the partition's tail is scanned once) is answered with its
 *   original offset and not appended again; a sequence gap gets 45
 *   OUT_OF_ORDER_SEQUENCE_NUMBER, an old epoch 47 INVALID_PRODUCER_EPOCH.
 * - acks=0 sends no response; when such a produce fails the connection is closed, as Kafka does,
 *   so the producer notices. acks must be -1, 0 or 1 (21 INVALID_REQUIRED_ACKS).
 * - Needs WRITE on the topic (29 otherwise). Unknown topics are not created here (clients ask Metadata first, which may create them).
 * - Transactional batches (attribute bit 4) must come from the transactional id's current
 *   producer epoch (47 INVALID_PRODUCER_EPOCH for a fenced one, 49 for an unknown producer id)
 *   into a partition its open transaction registered (48 INVALID_TXN_STATE otherwise); the
 *   transaction log records the partition's first offset before the append
 *   (sdk/broker/txn/coordinator.ts). Needs WRITE on the transactional id (53).
 * - zstd batches need v7+ (76 UNSUPPORTED_COMPRESSION_TYPE below, as Kafka answers).
 * Version notes:
 * - v0-2 are advertised only because librdkafka 2.0.2 compresses with gzip, snappy and lz4 only
 *   when the Produce range includes v0 (otherwise it logs "Broker does not support compression
 *   type" and sends uncompressed batches); clients pick v3+ for record batches. A real v0-2
 *   request (old message format) gets 35 UNSUPPORTED_VERSION on every partition.
 * - log_append_time is the broker's time on LogAppendTime topics, -1 on CreateTime ones;
 *   v8 error messages are filled.
 * - v9+ flexible; v10+ leader hints (current leader, node endpoints) are never needed: this node
 *   leads every partition, so NOT_LEADER_OR_FOLLOWER does not happen.
 */
import { registerApi, NO_RESPONSE } from '../registry';
import { kafkaCodeOf } from '../topics';
import { validateBatches } from '../../protocol/record-batch';
import { ErrorCode } from '../../protocol/errors';
import { AclOperation, AclResourceType } from '../../protocol/messages/acl-types';
import { leaderEpoch, leadershipError } from '../cluster';
import { transactionsOf } from '../txn/coordinator';
import { CONTROL_FLAG, TRANSACTIONAL_FLAG } from '../log/batch';
import { ProduceRequest, ProduceResponse, type ProducePartitionResponse } from '../../protocol/messages/produce';

const COMPRESSION_MASK = 0x07;
const ZSTD = 4;
/** The first Produce version whose clients may send zstd (KIP-110). */
const ZSTD_MIN_VERSION = 7;

registerApi({
  request: ProduceRequest,
  response: ProduceResponse,
  minVersion: 0,
  maxVersion: 12,
  handle: (req, ctx) => {
    const { logs, producers, appends } = ctx.broker;
    const version = ctx.header.apiVersion;
    const ackable = req.acks === -1 || req.acks === 0 || req.acks === 1;
    const responses = req.topicData.map((t) => {
      const allowed = ctx.authorize(AclOperation.WRITE, AclResourceType.TOPIC, t.name);
      return {
        name: t.name,
        partitionResponses: t.partitionData.map((p): ProducePartitionResponse => {
          const answer = (errorCode: number, errorMessage: string | null = null, baseOffset = -1, logStartOffset = -1, logAppendTimeMs = -1): ProducePartitionResponse => ({
            index: p.index,
            errorCode,
            baseOffset,
            logAppendTimeMs,
            logStartOffset,
            recordErrors: [],
            errorMessage,
          });
          if (version < 3) return answer(ErrorCode.UNSUPPORTED_VERSION, 'Produce v0-2 (message format v0/v1) is not supported; use v3+');
          if (!allowed) return answer(ErrorCode.TOPIC_AUTHORIZATION_FAILED, `not authorized to write to ${t.name}`);
          if (!ackable) return answer(ErrorCode.INVALID_REQUIRED_ACKS, `acks must be -1, 0 or 1, not ${req.acks}`);
          if (req.transactionalId !== null && !ctx.authorize(AclOperation.WRITE, AclResourceType.TRANSACTIONAL_ID, req.transactionalId)) {
            return answer(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, `not authorized to use transactional id ${req.transactionalId}`);
          }
          const log = logs.partition(t.name, p.index);
          if (!log) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic-partition ${t.name}-${p.index}`);
          const leadership = leadershipError(ctx.broker, t.name, p.index);
          if (leadership) return answer(leadership, `this node does not lead ${t.name}-${p.index}`);
          if (!p.records) return answer(ErrorCode.INVALID_RECORD, 'null record set');
          const batches = validateBatches(p.records);
          if (!Array.isArray(batches)) {
            ctx.logger.warn('rejected produce batch', { topic: t.name, partition: p.index, why: batches.message, client: ctx.connection.clientId });
            return answer(batches.code, batches.message, -1, log.logStartOffset);
          }
          if (batches.length !== 1) return answer(ErrorCode.INVALID_RECORD, `expected exactly one record batch per partition, got ${batches.length}`);
          const b = batches[0];
          if ((b.attributes & COMPRESSION_MASK) === ZSTD && version < ZSTD_MIN_VERSION) {
            return answer(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `zstd batches need Produce v${ZSTD_MIN_VERSION}+ (this request is v${version})`, -1, log.logStartOffset);
          }
          if (b.attributes & CONTROL_FLAG) return answer(ErrorCode.INVALID_RECORD, 'control batches are written by the transaction coordinator, not produced', -1, log.logStartOffset);
          if (b.producerId >= 0) producers.loadTail(t.name, p.index, log);
          const seq = producers.check(t.name, p.index, b.producerId, b.producerEpoch, b.baseSequence, b.recordCount);
          if (seq.kind === 'duplicate') return answer(ErrorCode.NONE, null, seq.baseOffset, log.logStartOffset);
          if (seq.kind === 'error') return answer(seq.code, `sequence ${b.baseSequence} rejected for producer ${b.producerId}`, -1, log.logStartOffset);
          if (b.attributes & TRANSACTIONAL_FLAG) {
            const txn = transactionsOf(ctx.broker).beforeAppend(req.transactionalId, b.producerId, b.producerEpoch, t.name, p.index, log.nextOffset);
            if (txn.code !== ErrorCode.NONE) return answer(txn.code, txn.message ?? null, -1, log.logStartOffset);
          }
          try {
            const { baseOffset, logAppendTime } = log.append(p.records, leaderEpoch(ctx.broker, t.name, p.index));
            producers.appended(t.name, p.index, b.producerId, b.producerEpoch, b.baseSequence, b.recordCount, baseOffset);
            appends.notify(t.name, p.index);
            return answer(ErrorCode.NONE, null, baseOffset, log.logStartOffset, logAppendTime);
          } catch (err) {
            const code = kafkaCodeOf(err);
            if (code === undefined) throw err;
            return answer(code, (err as Error).message, -1, log.logStartOffset);
          }
        }),
      };
    });
    if (req.acks === 0) {
      // Kafka's signal to a fire-and-forget producer that something failed: drop the connection.
      const failed = responses.flatMap((t) =>
        t.partitionResponses.filter((p) => p.errorCode !== 0).map((p) => `${t.name}-${p.index}: ${p.errorMessage ?? p.errorCode}`),
      );
      if (failed.length) ctx.connection.close(`acks=0 produce failed (${failed.join(', ')})`);
      return NO_RESPONSE;
    }
    return { responses, throttleTimeMs: 0 };
  },
});
