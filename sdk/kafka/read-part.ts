/**
 * Reading offset ranges into one column set per partition, the same in a worker thread or the
 * calling thread, by two routes that give the same rows: raw record batches decoded in place
 * (the fast path) or kafkajs's decoded messages (the fallback for clusters or record sets the
 * raw path cannot serve). One set per partition keeps a frame's rows in partition, offset order
 * whatever order the responses arrive in.
 */
import { ColumnSet } from '../runtime/decode/columns';
import { RecordDecoder, type DecodeOptions } from '../runtime/decode/record-decoder';
import type { SchemaCache } from '../runtime/decode/schema/schemas';
import { AbortedTransactions, compressedBatches, readHeaders, scanRecordSet, walkRecordSet, type RecordVisitor } from '../frame/batches';
import { KafkalabError } from '../util/errors';
import { abortedFilter, DEFAULT_FETCH_BYTES, fetchRanges, type TopicFetcher } from './fetcher';
export { fetchRanges } from './fetcher';
import { ErrorCode, errorName } from '../protocol/errors';
import { inflateBatches, type PartitionWant, type RawFetcher, type RawPartitionFetch } from './fetch-raw';
import type { OffsetRange } from './position';

export interface PartJob {
  topic: string;
  ranges: OffsetRange[];
  decode: DecodeOptions & { headers?: boolean };
  /** Schemas of Confluent-framed records (fetched as ids appear); none: framed records fail with a reason. */
  schemas?: SchemaCache;
  fetchBytes?: number;
  limit: number;
  samples: number;
}

export interface PartStats {
  warnings: string[];
  records: number;
  failed: number;
  failures: Record<string, number>;
  samples: { partition: number; offset: number; reason: string }[];
  /** Records decoded by each schema id (Confluent-framed records). */
  schemas: ReadSchema[];
}

/** A schema the records of a read were written with. */
export interface ReadSchema {
  id: number;
  type: 'AVRO' | 'PROTOBUF' | 'JSON';
  /** Record / message full name, or JSON Schema title. */
  name?: string;
  records: number;
}

export interface PartOutput {
  /** Column sets by partition, in partition order. */
  sets: { partition: number; set: ColumnSet }[];
  stats: PartStats;
}

/** Empty answers in a row for a partition with records left before giving up on it. */
const STALLS = 5;

/** Per-partition decoders plus the counts a ReadReport needs. */
class Collector {
  readonly parts = new Map<number, { set: ColumnSet; decoder: RecordDecoder }>();
  readonly stats: PartStats = { warnings: [], records: 0, failed: 0, failures: {}, samples: [], schemas: [] };
  rows = 0;

  constructor(private readonly job: PartJob) {
    for (const r of [...job.ranges].sort((a, b) => a.partition - b.partition)) {
      if (r.to <= r.from) continue;
      const set = new ColumnSet(undefined, Math.max(16, Math.min(r.to - r.from, job.limit)));
      this.parts.set(r.partition, { set, decoder: new RecordDecoder(set, { ...job.decode, schemas: job.schemas }) });
    }
  }

  get full(): boolean {
    return this.rows >= this.job.limit;
  }

  /** Counts one decoded (or failed) record; false once the limit is reached. */
  counted(partition: number, offset: number, reason: string | undefined): boolean {
    this.stats.records++;
    if (reason === undefined) this.rows++;
    else {
      const s = this.stats;
      s.failed++;
      s.failures[reason] = (s.failures[reason] ?? 0) + 1;
      if (s.samples.length < this.job.samples) s.samples.push({ partition, offset, reason });
    }
    return this.rows < this.job.limit;
  }

  warn(w: string): void {
    if (!this.stats.warnings.includes(w)) this.stats.warnings.push(w);
  }

  output(): PartOutput {
    const sets = [...this.parts].map(([partition, p]) => ({ partition, set: p.set }));
    for (const { set } of sets) for (const w of set.warnings) this.warn(w);
    const counts = new Map<number, number>();
    for (const { decoder } of this.parts.values()) for (const [id, n] of decoder.schemaRecords) counts.set(id, (counts.get(id) ?? 0) + n);
    this.stats.schemas = [...counts].sort((a, b) => a[0] - b[0]).map(([id, records]) => {
      const e = this.job.schemas?.get(id);
      return { id, type: e?.type ?? 'AVRO', name: e?.name, records };
    });
    return { sets, stats: this.stats };
  }
}

/** Where a lane is in one partition's range, and how much it asks for per fetch. */
interface PartitionCursor {
  pos: number;
  end: number;
  maxBytes: number;
  stalls: number;
}

/**
 * The raw route: Fetch rounds per lane, batch headers scanned to plan a lane's next round, which
 * is in flight while this one is decoded. Two lanes (partitions split between them) keep a
 * second request queued at the broker, so a slow response does not leave the decoder idle.
 */
export async function readPartRaw(fetcher: RawFetcher, job: PartJob, lanes = LANES): Promise<PartOutput> {
  const out = new Collector(job);
  const fetchBytes = job.fetchBytes ?? DEFAULT_FETCH_BYTES;
  const busy = job.ranges.filter((r) => r.to > r.from).sort((a, b) => a.partition - b.partition);
  const groups = Array.from({ length: Math.min(lanes, busy.length) }, (_, i) => busy.filter((_r, j) => j % lanes === i));
  let failed = false;
  await Promise.all(
    groups.map(async (ranges) => {
      const state = new Map<number, PartitionCursor>(ranges.map((r) => [r.partition, { pos: r.from, end: r.to, maxBytes: fetchBytes, stalls: 0 }]));
      try {
        await lane(fetcher, job, out, state, () => failed);
      } catch (e) {
        failed = true;
        throw e;
      }
    }),
  );
  return out.output();
}

const LANES = 2;

async function lane(fetcher: RawFetcher, job: PartJob, out: Collector, state: Map<number, PartitionCursor>, stop: () => boolean): Promise<void> {
  const request = () =>
    state.size && !out.full && !stop() ? fetcher.fetch(new Map([...state].map(([p, s]): [number, PartitionWant] => [p, { offset: s.pos, maxBytes: s.maxBytes }]))) : null;
  const withHeaders = job.decode.headers === true;
  let pending = request();
  while (pending) {
    const results = await pending;
    const work: { fetch: RawPartitionFetch; from: number; end: number }[] = [];
    for (const f of results) {
      const s = state.get(f.partition);
      if (!s) continue;
      const from = s.pos;
      if (f.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
        outOfRange(f, s, out, job.topic);
      } else {
        const { next, truncated } = scanRecordSet(f.records, from);
        if (next > from) {
          s.pos = next;
          s.stalls = 0;
          work.push({ fetch: f, from, end: s.end });
        } else if (!stalled(f, s, truncated, out)) {
          s.stalls++;
        }
      }
      if (s.pos >= s.end || s.stalls >= STALLS) {
        if (s.stalls >= STALLS) out.warn(`partition ${f.partition}: no records returned from offset ${s.pos} after ${STALLS} attempts; read stopped there`);
        state.delete(f.partition);
      }
    }
    pending = request();
    for (const w of work) {
      const { decoder } = out.parts.get(w.fetch.partition)!;
      const partition = w.fetch.partition;
      let stopAt = -1;
      const visit: RecordVisitor = (buf, keyAt, keyLength, valueAt, valueLength, offset, timestamp, headersAt, headerCount) => {
        const headers = withHeaders && headerCount > 0 ? readHeaders(buf, headersAt, headerCount) : undefined;
        const reason = decoder.addFrom(buf, keyAt, keyLength, valueAt, valueLength, partition, offset, timestamp, headers);
        if (decoder.pending >= 0) {
          stopAt = offset;
          return false;
        }
        return out.counted(partition, offset, reason);
      };
      const compressed = compressedBatches(w.fetch.records, w.from, w.end);
      const inflated = compressed.length ? await inflateBatches(compressed, job.topic) : undefined;
      if (out.full || stop()) break;
      const aborted = w.fetch.abortedTransactions?.length ? new AbortedTransactions(w.fetch.abortedTransactions) : undefined;
      // A record whose schema id is new stops the walk: the schema is fetched, and the walk goes
      // on from that record (the same AbortedTransactions: it answers a batch again the same way).
      for (let at = w.from; ; ) {
        stopAt = -1;
        walkRecordSet(w.fetch.records, at, w.end, visit, { aborted, inflated });
        if (stopAt < 0) break;
        await job.schemas!.load([decoder.pending]);
        at = stopAt;
      }
      if (out.full) break;
    }
    if (out.full || stop()) {
      pending?.catch(() => undefined);
      pending = null;
    }
  }
}

/** Records deleted under the read (retention): carry on from the log start, or stop when nothing is left. */
function outOfRange(f: RawPartitionFetch, s: PartitionCursor, out: Collector, topic: string): void {
  if (f.logStartOffset > s.pos) {
    out.warn(`partition ${f.partition}: offsets ${s.pos}..${Math.min(f.logStartOffset, s.end) - 1} were deleted during the read (retention)`);
    s.pos = f.logStartOffset;
  } else if (f.highWatermark <= s.pos) {
    out.warn(`partition ${f.partition}: the log ends at offset ${f.highWatermark}, before the requested end ${s.end}`);
    s.pos = s.end;
  } else {
    throw new KafkalabError(`Fetching partition ${f.partition} of "${topic}" from offset ${s.pos} failed: ${errorName(f.errorCode)}`, { code: errorName(f.errorCode) });
  }
}

/** A round without a complete batch: grow the fetch size, or recognise the end. True when handled. */
function stalled(f: RawPartitionFetch, s: PartitionCursor, truncated: number, out: Collector): boolean {
  if (truncated > 0) {
    // A batch bigger than the fetch size (a broker may return part of it): ask for all of it.
    const grown = Math.min(0x7fffffff, Math.max(s.maxBytes * 2, truncated));
    if (grown === s.maxBytes) return false;
    s.maxBytes = grown;
    return true;
  }
  if (f.highWatermark <= s.pos) {
    out.warn(`partition ${f.partition}: the log ends at offset ${f.highWatermark}, before the requested end ${s.end}`);
    s.pos = s.end;
    return true;
  }
  if (f.lastStableOffset >= 0 && f.lastStableOffset <= s.pos) {
    out.warn(`partition ${f.partition}: stopped at offset ${s.pos}, the last stable offset (a transaction is still open)`);
    s.pos = s.end;
    return true;
  }
  return false;
}

/** The kafkajs route: the same rows from kafkajs's decoded messages. */
export async function readPartKafkajs(fetcher: TopicFetcher, job: PartJob): Promise<PartOutput> {
  const out = new Collector(job);
  const withHeaders = job.decode.headers === true;
  await fetchRanges(
    fetcher,
    job.ranges,
    async (partition, messages, start, end, aborted) => {
      await job.schemas?.prepare(messages);
      const { decoder } = out.parts.get(partition)!;
      const drop = aborted?.length ? abortedFilter(aborted) : null;
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i];
        const offset = Number(m.offset);
        if (drop ? drop(m) : m.isControlRecord) continue;
        if (offset < start || offset >= end) continue;
        if (!out.counted(partition, offset, decoder.add(m.key, m.value, partition, offset, Number(m.timestamp), withHeaders ? m.headers : undefined))) return false;
      }
    },
    job.fetchBytes,
  );
  return out.output();
}
