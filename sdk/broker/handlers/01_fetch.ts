/**
 * Fetch (1), v4-17.
 * Behavior:
 * - Returns whole stored batches from the one containing the fetch offset (clients skip the
 *   records before it). max_bytes and partition_max_bytes are soft limits: the first partition
 *   with data always gets at least one whole batch, so a big batch can never stall a consumer.
 * - Long-poll: with fewer than min_bytes available the request is held until a produce to one
 *   of its partitions brings enough, max_wait_ms passes, the client goes away or the broker stops.
 * - Needs READ on the topic (29 otherwise). Out-of-range offsets: 1 OFFSET_OUT_OF_RANGE (answered at once, no waiting).
 * - last_stable_offset: the first offset of the oldest open transaction in the partition (the
 *   high watermark when none is open). isolation_level 1 (read_committed) reads only below it
 *   (whole batches; an offset between it and the high watermark is answered with no records,
 *   not an error) and gets the aborted transactions overlapping the returned range, from the
 *   transaction coordinator (sdk/broker/txn/coordinator.ts); read_uncommitted gets null there.
 * - preferred_read_replica = -1; an empty record set is zero-length bytes, never null.
 * Version notes:
 * - v0-3 (message formats v0/v1) are not served, as in Kafka 4.0.
 * - Below v10 a partition whose data holds a zstd batch gets 76 UNSUPPORTED_COMPRESSION_TYPE
 *   and no records (such clients cannot decode zstd), as Kafka answers.
 * - Fetch sessions (v7+): every answer carries session id 0 (no incremental sessions), which
 *   clients accept by sending full fetches; a request naming a session we never created gets
 *   70 FETCH_SESSION_ID_NOT_FOUND.
 * - v13+ name topics by id; an unknown id gets 100 UNKNOWN_TOPIC_ID. v12+ tagged leader hints
 *   and v15+ replica state are follower matters and stay unset.
 */
import { registerApi, type RequestContext } from '../registry';
import { leadershipError } from '../cluster';
import { findTopicById, kafkaCodeOf } from '../topics';
import { batchSizeAt, readInt64, OFF_ATTRIBUTES } from '../log/batch';
import { transactionsOf } from '../txn/coordinator';
import { ErrorCode } from '../../protocol/errors';
import { AclOperation, AclResourceType } from '../../protocol/messages/acl-types';
import { FetchRequest, FetchResponse, type FetchPartitionResponse } from '../../protocol/messages/fetch';

const EMPTY = Buffer.alloc(0);
const COMPRESSION_MASK = 0x07;
const ZSTD = 4;
/** The first Fetch version whose clients can read zstd batches (KIP-110). */
const ZSTD_MIN_VERSION = 10;
const TOPIC_IDS_FROM_VERSION = 13;
const READ_COMMITTED = 1;

/** Whether any whole batch in a record set is zstd-compressed (batch headers only). */
function holdsZstd(records: Buffer): boolean {
  for (let at = 0; at + OFF_ATTRIBUTES + 2 <= records.length; ) {
    if ((records.readInt16BE(at + OFF_ATTRIBUTES) & COMPRESSION_MASK) === ZSTD) return true;
    const size = batchSizeAt(records, at);
    if (size <= 0) break;
    at += size;
  }
  return false;
}

/** The whole batches of `records` that start below `end` (the last stable offset). */
function below(records: Buffer, end: number): Buffer {
  let at = 0;
  while (at + OFF_ATTRIBUTES <= records.length && readInt64(records, at) < end) {
    const size = batchSizeAt(records, at);
    if (size <= 0) break;
    at += size;
  }
  return at >= records.length ? records : records.subarray(0, at);
}

function collect(req: FetchRequest, ctx: RequestContext): { res: FetchResponse; bytes: number; errors: number } {
  const { logs } = ctx.broker;
  const txns = transactionsOf(ctx.broker);
  const readCommitted = req.isolationLevel === READ_COMMITTED;
  const version = ctx.header.apiVersion;
  const byId = version >= TOPIC_IDS_FROM_VERSION;
  let budget = req.maxBytes > 0 ? req.maxBytes : 0x7fffffff;
  let bytes = 0;
  let errors = 0;
  const responses = req.topics.map((t) => {
    const name = byId ? findTopicById(ctx.broker, t.topicId)?.name : t.topic;
    const allowed = name === undefined || ctx.authorize(AclOperation.READ, AclResourceType.TOPIC, name);
    return {
      topic: t.topic,
      topicId: t.topicId,
      partitions: t.partitions.map((p): FetchPartitionResponse => {
        const out: FetchPartitionResponse = {
          partitionIndex: p.partition,
          errorCode: 0,
          highWatermark: -1,
          lastStableOffset: -1,
          logStartOffset: -1,
          abortedTransactions: null,
          preferredReadReplica: -1,
          records: EMPTY,
        };
        if (!allowed) {
          out.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
          errors++;
          return out;
        }
        const log = name === undefined ? undefined : logs.partition(name, p.partition);
        if (!log) {
          out.errorCode = name === undefined && byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          errors++;
          return out;
        }
        const leadership = leadershipError(ctx.broker, name!, p.partition);
        if (leadership) {
          out.errorCode = leadership;
          errors++;
          return out;
        }
        out.highWatermark = log.nextOffset;
        out.lastStableOffset = txns.lastStableOffset(name!, p.partition, log.nextOffset);
        out.logStartOffset = log.logStartOffset;
        const end = readCommitted ? out.lastStableOffset : log.nextOffset;
        if (readCommitted) out.abortedTransactions = [];
        if (p.fetchOffset < log.logStartOffset || p.fetchOffset > log.nextOffset) {
          out.errorCode = ErrorCode.OFFSET_OUT_OF_RANGE;
          errors++;
          return out;
        }
        if (p.fetchOffset >= end || (budget <= 0 && bytes > 0)) return out;
        const limit = Math.max(1, Math.min(p.partitionMaxBytes, budget));
        try {
          const read = log.read(p.fetchOffset, limit);
          const data = end < log.nextOffset ? below(read, end) : read;
          if (readCommitted && data.length) out.abortedTransactions = txns.abortedBetween(name!, p.partition, p.fetchOffset, end - 1);
          if (version < ZSTD_MIN_VERSION && holdsZstd(data)) {
            out.errorCode = ErrorCode.UNSUPPORTED_COMPRESSION_TYPE;
            errors++;
            return out;
          }
          out.records = data;
          bytes += data.length;
          budget -= data.length;
        } catch (err) {
          const code = kafkaCodeOf(err);
          if (code === undefined) throw err;
          out.errorCode = code;
          errors++;
        }
        return out;
      }),
    };
  });
  return { res: { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses, nodeEndpoints: [] }, bytes, errors };
}

async function handleFetch(req: FetchRequest, ctx: RequestContext): Promise<FetchResponse> {
  if (req.sessionId !== 0) {
    return { throttleTimeMs: 0, errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [], nodeEndpoints: [] };
  }
  const deadline = Date.now() + Math.max(0, req.maxWaitMs);
  const byId = ctx.header.apiVersion >= TOPIC_IDS_FROM_VERSION;
  const watched: Array<[string, number]> = req.topics.flatMap((t) => {
    const name = byId ? findTopicById(ctx.broker, t.topicId)?.name : t.topic;
    return name === undefined ? [] : t.partitions.map((p): [string, number] => [name, p.partition]);
  });
  // Appended bytes only add to what a fetch can return, so between real reads the log sizes tell
  // whether min_bytes may be reached; a consumer waiting for 1 MB is not re-read on every produce.
  const watchedSize = () => watched.reduce((n, [t, p]) => n + (ctx.broker.logs.partition(t, p)?.size ?? 0), 0);
  for (;;) {
    const { res, bytes, errors } = collect(req, ctx);
    if (bytes >= req.minBytes || errors > 0 || deadline - Date.now() <= 0 || watched.length === 0) return res;
    const sizeAtRead = watchedSize();
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0 || ctx.connection.closed || ctx.broker.stopping) return collect(req, ctx).res;
      const wait = ctx.broker.appends.wait(watched, left);
      const unsubscribe = ctx.connection.onClose(() => wait.cancel());
      const why = await wait.done;
      unsubscribe();
      if (why === 'cancel') return collect(req, ctx).res;
      if (why === 'append' && bytes + watchedSize() - sizeAtRead >= req.minBytes) break;
    }
  }
}

registerApi({
  request: FetchRequest,
  response: FetchResponse,
  minVersion: 4,
  maxVersion: 17,
  handle: (req, ctx) => {
    // Answer immediately without a Promise when possible: the common case under load.
    if (req.sessionId === 0) {
      const first = collect(req, ctx);
      if (first.bytes >= req.minBytes || first.errors > 0 || req.maxWaitMs <= 0) return first.res;
    }
    return handleFetch(req, ctx);
  },
});
