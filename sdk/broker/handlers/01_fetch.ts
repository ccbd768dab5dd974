/**
 * Fetch (1), v4-11.
 * Behavior:
 * - Returns whole stored batches from the one containing the fetch offset (clients skip the
 *   records before it). max_bytes and partition_max_bytes are soft limits: the first partition
 *   with data always gets at least one whole batch, so a big batch can never stall a consumer.
 * - Long-poll: with fewer than min_bytes available the request is held until a produce to one
 *   of its partitions brings enough, max_wait_ms passes, the client goes away or the broker stops.
 * - Out-of-range offsets: 1 OFFSET_OUT_OF_RANGE (answered at once, no waiting).
 * - last_stable_offset = high watermark (no transactions); preferred_read_replica = -1;
 *   an empty record set is zero-length bytes, never null.
 * Version notes:
 * - Fetch sessions (v7+): every answer carries session id 0 (no incremental sessions), which
 *   clients accept by sending full fetches; a request naming a session we never created gets
 *   70 FETCH_SESSION_ID_NOT_FOUND.
 */
import { registerApi, type RequestContext } from '../registry';
import { kafkaCodeOf } from '../topics';
import { ErrorCode } from '../../protocol/errors';
import {
  decodeFetchRequest,
  encodeFetchResponse,
  type FetchPartitionResponse,
  type FetchRequest,
  type FetchResponse,
} from '../../protocol/messages/fetch';

const FETCH_SESSION_ID_NOT_FOUND = 70;
const EMPTY = Buffer.alloc(0);

function collect(req: FetchRequest, ctx: RequestContext): { res: FetchResponse; bytes: number; errors: number } {
  const { logs } = ctx.broker;
  let budget = req.maxBytes > 0 ? req.maxBytes : 0x7fffffff;
  let bytes = 0;
  let errors = 0;
  const responses = req.topics.map((t) => ({
    topic: t.topic,
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
      const log = logs.partition(t.topic, p.partition);
      if (!log) {
        out.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        errors++;
        return out;
      }
      out.highWatermark = out.lastStableOffset = log.nextOffset;
      out.logStartOffset = log.logStartOffset;
      if (p.fetchOffset < log.logStartOffset || p.fetchOffset > log.nextOffset) {
        out.errorCode = ErrorCode.OFFSET_OUT_OF_RANGE;
        errors++;
        return out;
      }
      if (p.fetchOffset === log.nextOffset || (budget <= 0 && bytes > 0)) return out;
      const limit = Math.max(1, Math.min(p.partitionMaxBytes, budget));
      try {
        const data = log.read(p.fetchOffset, limit);
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
  }));
  return { res: { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses }, bytes, errors };
}

async function handleFetch(req: FetchRequest, ctx: RequestContext): Promise<FetchResponse> {
  if (req.sessionId !== 0) {
    return { throttleTimeMs: 0, errorCode: FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] };
  }
  const deadline = Date.now() + Math.max(0, req.maxWaitMs);
  const watched: Array<[string, number]> = req.topics.flatMap((t) => t.partitions.map((p): [string, number] => [t.topic, p.partition]));
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

registerApi<FetchRequest, FetchResponse>({
  key: 1,
  name: 'Fetch',
  minVersion: 4,
  maxVersion: 11,
  flexibleVersion: 12,
  decodeRequest: decodeFetchRequest,
  handle: (req, ctx) => {
    // Answer immediately without a Promise when possible: the common case under load.
    if (req.sessionId === 0) {
      const first = collect(req, ctx);
      if (first.bytes >= req.minBytes || first.errors > 0 || req.maxWaitMs <= 0) return first.res;
    }
    return handleFetch(req, ctx);
  },
  encodeResponse: encodeFetchResponse,
});
