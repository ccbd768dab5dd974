/**
 * Reading offset ranges into one column set per partition by two routes that give the same rows:
 * raw record batches decoded in place (the fast path; large reads hand some partitions' record
 * sets to decode threads, decode-pool.ts) or kafkajs's decoded messages (the fallback for
 * clusters or record sets the raw path cannot serve). One set per partition keeps a frame's rows
 * in partition, offset order whatever order the responses arrive in.
 */
import { ColumnSet } from '../runtime/decode/columns';
import { RecordDecoder, type DecodeOptions } from '../runtime/decode/record-decoder';
import type { SchemaCache } from '../runtime/decode/schema/schemas';
import { AbortedTransactions, compressedBatches, LegacyRecordFormatError, readHeaders, scanRecordSet, walkRecordSet, type RecordVisitor } from '../frame/batches';
import { KafkalabError } from '../util/errors';
import { abortedFilter, DEFAULT_FETCH_BYTES, fetchRanges, openFetcher, type TopicFetcher } from './fetcher';
export { fetchRanges } from './fetcher';
import { ErrorCode, errorName } from '../protocol/errors';
import { inflateBatches, RawFetcher, RawFetchUnsupported, type PartitionWant, type RawPartitionFetch } from './fetch-raw';
import type { OffsetRange } from './position';
import type { Kafka } from 'kafkajs';
import type { Logger } from '../util/log';
import type { RegistryAuth } from '../registry/client';
import { isInternalsError, openCluster } from './adapter';
import { decodeThreads, type DecodeSession, type SessionJob } from './decode-pool';

export interface PartJob {
  topic: string;
  ranges: OffsetRange[];
  decode: DecodeOptions & { headers?: boolean };
  /** Schemas of Confluent-framed records (fetched as ids appear); none: framed records fail with a reason. */
  schemas?: SchemaCache;
  fetchBytes?: number;
  limit: number;
  samples: number;
  /** Groups of `ranges` whose records are decoded by decode threads (raw route only; reads without a limit). */
  offload?: OffsetRange[][];
  /** The Schema Registry decode threads fetch schemas from (a SchemaCache cannot cross threads). */
  registry?: { url: string; auth?: RegistryAuth };
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

/** 'auto': raw, falling back to kafkajs; the others force one route (tests compare them). */
export type ReadEngine = 'auto' | 'raw' | 'kafkajs';

/** Reads a part with the given client, by the raw route when it can. */
export async function runPart(kafka: Kafka, job: PartJob, engine: ReadEngine, logger?: Logger): Promise<PartOutput> {
  let publicApi = false;
  if (engine !== 'kafkajs') {
    const cluster = await openCluster(kafka);
    if (!cluster) {
      if (engine === 'raw') throw new RawFetchUnsupported("kafkajs's internals are unusable here");
      publicApi = true;
    } else {
      const raw = new RawFetcher(cluster, job.topic);
      try {
        await raw.connect();
        return await readPartRaw(raw, job);
      } catch (e) {
        const declined = e instanceof RawFetchUnsupported || e instanceof LegacyRecordFormatError || isInternalsError(e);
        if (engine === 'raw' || !declined) throw e;
        publicApi = isInternalsError(e);
        logger?.debug('reading through kafkajs instead', { topic: job.topic, reason: (e as Error).message });
      } finally {
        await raw.disconnect();
      }
    }
  }
  const fetcher = await openFetcher(kafka, job.topic, { publicApi });
  try {
    await fetcher.connect();
    return await readPartKafkajs(fetcher, job);
  } finally {
    await fetcher.disconnect();
  }
}

/** Empty answers in a row for a partition with records left before giving up on it. */
const STALLS = 5;

/** Per-partition decoders plus the counts a ReadReport needs (one per thread that decodes). */
export class Collector {
  readonly parts = new Map<number, { set: ColumnSet; decoder: RecordDecoder }>();
  readonly stats: PartStats = { warnings: [], records: 0, failed: 0, failures: {}, samples: [], schemas: [] };
  rows = 0;

  constructor(
    private readonly job: PartJob,
    ranges: OffsetRange[] = job.ranges,
  ) {
    for (const r of [...ranges].sort((a, b) => a.partition - b.partition)) {
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
 * The partitions of `job.offload` are fetched here too but decoded by decode threads
 * (decode-pool.ts), while this thread decodes the others.
 */
export async function readPartRaw(fetcher: RawFetcher, job: PartJob, lanes = LANES): Promise<PartOutput> {
  const offload = job.offload ?? [];
  const elsewhere = new Set(offload.flat().map((r) => r.partition));
  const out = new Collector(job, job.ranges.filter((r) => !elsewhere.has(r.partition)));
  const sessions = openSessions(offload, { topic: job.topic, decode: job.decode, fetchBytes: job.fetchBytes, limit: job.limit, samples: job.samples, registry: job.registry });
  const fetchBytes = job.fetchBytes ?? DEFAULT_FETCH_BYTES;
  const busy = job.ranges.filter((r) => r.to > r.from).sort((a, b) => a.partition - b.partition);
  const groups = Array.from({ length: Math.min(lanes, busy.length) }, (_, i) => busy.filter((_r, j) => j % lanes === i));
  let failed = false;
  try {
    await Promise.all(
      groups.map(async (ranges) => {
        const state = new Map<number, PartitionCursor>(ranges.map((r) => [r.partition, { pos: r.from, end: r.to, maxBytes: fetchBytes, stalls: 0 }]));
        try {
          await lane(fetcher, job, out, sessions, state, () => failed);
        } catch (e) {
          failed = true;
          throw e;
        }
      }),
    );
    const others = await Promise.all([...new Set(sessions.values())].map((s) => s.finish()));
    return mergeOutputs([out.output(), ...others]);
  } catch (e) {
    for (const s of new Set(sessions.values())) s.drop();
    throw e;
  }
}

const LANES = 2;

/** One decode session per offloaded group of ranges, by partition. */
function openSessions(offload: OffsetRange[][], job: Omit<SessionJob, 'ranges'>): Map<number, DecodeSession> {
  const byPartition = new Map<number, DecodeSession>();
  const threads = decodeThreads(offload.length);
  offload.forEach((ranges, i) => {
    const session = threads[i].session({ ...job, ranges });
    for (const r of ranges) byPartition.set(r.partition, session);
  });
  return byPartition;
}

async function lane(fetcher: RawFetcher, job: PartJob, out: Collector, sessions: Map<number, DecodeSession>, state: Map<number, PartitionCursor>, stop: () => boolean): Promise<void> {
  const request = () =>
    state.size && !out.full && !stop() ? fetcher.fetch(new Map([...state].map(([p, s]): [number, PartitionWant] => [p, { offset: s.pos, maxBytes: s.maxBytes }]))) : null;
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
    // Record sets for decode threads first, so that they decode while this thread does its own.
    const elsewhere = work.filter((w) => sessions.has(w.fetch.partition));
    const decoded = elsewhere.map((w) => sessions.get(w.fetch.partition)!.decode(w.fetch.partition, w.fetch.records, w.from, w.end, w.fetch.abortedTransactions));
    decoded.forEach((d) => d.catch(() => undefined));
    for (const w of work) {
      if (sessions.has(w.fetch.partition)) continue;
      if (!(await decodeFetch(out, job, w.fetch.partition, w.fetch.records, w.from, w.end, w.fetch.abortedTransactions, stop))) break;
    }
    await Promise.all(decoded);
    if (out.full || stop()) {
      pending?.catch(() => undefined);
      pending = null;
    }
  }
}

/**
 * Decodes the records in [from, end) of one partition's fetched record set into the collector's
 * column set for that partition; false once the collector is full or `stop` says so.
 */
export async function decodeFetch(
  out: Collector,
  job: PartJob,
  partition: number,
  records: Buffer,
  from: number,
  end: number,
  abortedTransactions: RawPartitionFetch['abortedTransactions'],
  stop: () => boolean,
): Promise<boolean> {
  const { decoder } = out.parts.get(partition)!;
  const withHeaders = job.decode.headers === true;
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
  const compressed = compressedBatches(records, from, end);
  const inflated = compressed.length ? await inflateBatches(compressed, job.topic) : undefined;
  if (out.full || stop()) return false;
  const aborted = abortedTransactions?.length ? new AbortedTransactions(abortedTransactions) : undefined;
  // A record whose schema id is new stops the walk: the schema is fetched, and the walk goes
  // on from that record (the same AbortedTransactions: it answers a batch again the same way).
  for (let at = from; ; ) {
    stopAt = -1;
    walkRecordSet(records, at, end, visit, { aborted, inflated });
    if (stopAt < 0) break;
    await job.schemas!.load([decoder.pending]);
    at = stopAt;
  }
  return !out.full;
}

/** One output from the outputs of the threads that decoded parts of a read. */
function mergeOutputs(outputs: PartOutput[]): PartOutput {
  if (outputs.length === 1) return outputs[0];
  const stats: PartStats = { warnings: [], records: 0, failed: 0, failures: {}, samples: [], schemas: [] };
  const schemas = new Map<number, ReadSchema>();
  for (const o of outputs) {
    for (const w of o.stats.warnings) if (!stats.warnings.includes(w)) stats.warnings.push(w);
    stats.records += o.stats.records;
    stats.failed += o.stats.failed;
    for (const [k, v] of Object.entries(o.stats.failures)) stats.failures[k] = (stats.failures[k] ?? 0) + v;
    stats.samples.push(...o.stats.samples);
    for (const s of o.stats.schemas) {
      const known = schemas.get(s.id);
      if (known) known.records += s.records;
      else schemas.set(s.id, { ...s });
    }
  }
  stats.schemas = [...schemas.values()].sort((a, b) => a.id - b.id);
  return { sets: outputs.flatMap((o) => o.sets).sort((a, b) => a.partition - b.partition), stats };
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
