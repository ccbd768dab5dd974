/**
 * Fetch requests sent through kafkajs's network layer (its cluster, brokers and connections:
 * TLS, SASL, framing, correlation ids, metadata and leader discovery) but answered by our own
 * response codec, which keeps each partition's record set as raw bytes for `walkRecordSet`
 * instead of kafkajs's decoding into a JS object and two Buffers per record.
 *
 * Versions 4-11 (record batches, aborted-transaction lists, no tagged fields): every Kafka since
 * 0.11 answers them. An older broker, or an old-format record set, makes the caller fall back
 * to kafkajs's regular fetch.
 */
import { CompressionCodecs } from 'kafkajs';
import * as zlib from 'zlib';
import { promisify } from 'util';
import { FetchRequest, FetchResponse, type FetchPartitionResponse } from '../protocol/messages/fetch';
import { ErrorCode, errorName, LEADER_MOVED } from '../protocol/errors';
import { Reader } from '../protocol/reader';
import { Writer } from '../protocol/writer';
import type { CompressedBatch } from '../frame/batches';
import { KafkalabError } from '../util/errors';
import { backoff, sleep } from '../util/retry';
import { isInternalsError } from './adapter';
import { missingCodecError, TopicClusterClient } from './fetcher';

const FETCH_KEY = 1;
const MIN_VERSION = 4;
const MAX_VERSION = 11;
const READ_COMMITTED = 1;

const ATTEMPTS = 6;

export interface RawPartitionFetch {
  partition: number;
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  abortedTransactions: { producerId: number; firstOffset: number }[] | null;
  /** The record set as received: a view into the response, never copied. */
  records: Buffer;
}

/** The cluster cannot serve record batches (Fetch below v4): read through kafkajs instead. */
export class RawFetchUnsupported extends KafkalabError {
  constructor(why: string) {
    super(`raw fetch unavailable: ${why}`, { code: 'RAW_FETCH_UNSUPPORTED' });
  }
}

export interface PartitionWant {
  offset: number;
  maxBytes: number;
}

export class RawFetcher extends TopicClusterClient {
  /**
   * One Fetch round over the given partitions (one request per leader, all in flight at once).
   * Leader moves and dropped connections refresh the metadata and retry those partitions; other
   * partition errors are returned for the caller to judge (OFFSET_OUT_OF_RANGE) or thrown.
   */
  async fetch(wants: Map<number, PartitionWant>, opts: { maxWaitMs?: number; minBytes?: number } = {}): Promise<RawPartitionFetch[]> {
    const out: RawPartitionFetch[] = [];
    let todo = [...wants.keys()];
    for (let attempt = 1; todo.length; attempt++) {
      const leaders = await this.cluster.leaders(this.topic, todo);
      const retry: number[] = [];
      let lastProblem = '';
      await Promise.all(
        [...leaders].map(async ([nodeId, parts]) => {
          try {
            const res = await this.send(nodeId, parts, wants, opts);
            for (const p of res) {
              if (LEADER_MOVED.has(p.errorCode)) {
                retry.push(p.partition);
                lastProblem = errorName(p.errorCode);
              } else if (p.errorCode !== 0 && p.errorCode !== ErrorCode.OFFSET_OUT_OF_RANGE) {
                throw new KafkalabError(`Fetching partition ${p.partition} of "${this.topic}" failed: ${errorName(p.errorCode)}`, { code: errorName(p.errorCode) });
              } else out.push(p);
            }
          } catch (e) {
            if (e instanceof KafkalabError || isInternalsError(e) || !isTransient(e)) throw e;
            retry.push(...parts);
            lastProblem = (e as Error)?.message ?? String(e);
          }
        }),
      );
      todo = retry;
      if (!todo.length) break;
      if (attempt >= ATTEMPTS) {
        throw new KafkalabError(`Fetching partitions ${todo.join(', ')} of "${this.topic}" still failed after ${attempt} attempts (${lastProblem})`, {
          code: 'FETCH_FAILED',
          retriable: true,
          hint: 'check that the cluster is healthy and the partitions have leaders, then read again',
        });
      }
      await sleep(backoff(attempt - 1, { initialMs: 50, maxMs: 1000 }));
      await this.cluster.refreshMetadata().catch(() => undefined);
    }
    return out;
  }

  private async send(nodeId: number, parts: number[], wants: Map<number, PartitionWant>, opts: { maxWaitMs?: number; minBytes?: number }): Promise<RawPartitionFetch[]> {
    const range = await this.cluster.apiVersions(nodeId, FETCH_KEY);
    const version = Math.min(MAX_VERSION, range?.max ?? -1);
    if (version < MIN_VERSION || (range?.min ?? 0) > version) {
      throw new RawFetchUnsupported(`broker ${nodeId} supports Fetch v${range?.min}-${range?.max}`);
    }
    const partitions = parts.map((p) => {
      const want = wants.get(p) as PartitionWant;
      return { partition: p, currentLeaderEpoch: -1, fetchOffset: want.offset, logStartOffset: -1, partitionMaxBytes: want.maxBytes };
    });
    const maxWaitMs = opts.maxWaitMs ?? 0;
    const w = new Writer(64 + 28 * parts.length + this.topic.length);
    FetchRequest.encode(
      w,
      {
        replicaId: -1,
        maxWaitMs,
        minBytes: opts.minBytes ?? 1,
        maxBytes: Math.min(0x7fffffff, partitions.reduce((s, p) => s + p.partitionMaxBytes, 0)),
        isolationLevel: READ_COMMITTED,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic: this.topic, partitions }],
        forgottenTopicsData: [],
        rackId: '',
      },
      version,
    );
    const res = await this.cluster.request(nodeId, {
      apiKey: FETCH_KEY,
      apiVersion: version,
      apiName: 'Fetch',
      body: w.toBuffer(),
      decode: (payload) => {
        const r = FetchResponse.decode(new Reader(payload), version);
        // KIP-219: from v8 the client, not the broker, waits out a throttle.
        return { ...r, clientSideThrottleTime: version >= 8 ? r.throttleTimeMs : 0 };
      },
      timeoutMs: maxWaitMs + 100,
    });
    if (res.errorCode !== 0) {
      throw new KafkalabError(`Fetch from broker ${nodeId} failed: ${errorName(res.errorCode)}`, { code: errorName(res.errorCode) });
    }
    const out: RawPartitionFetch[] = [];
    for (const t of res.responses) {
      if (t.topic !== this.topic) continue;
      for (const p of t.partitions) out.push(toPartition(p));
    }
    return out;
  }

}

function toPartition(p: FetchPartitionResponse): RawPartitionFetch {
  return {
    partition: p.partitionIndex,
    errorCode: p.errorCode,
    highWatermark: p.highWatermark,
    lastStableOffset: p.lastStableOffset,
    logStartOffset: p.logStartOffset,
    abortedTransactions: p.abortedTransactions,
    records: p.records ?? Buffer.alloc(0),
  };
}

function isTransient(e: unknown): boolean {
  const err = e as { retriable?: boolean; name?: string };
  return err?.retriable === true || /Connection|Timeout/.test(err?.name ?? '');
}

const unzip = promisify(zlib.unzip);
const CODEC_NAMES: Record<number, 'Snappy' | 'LZ4' | 'ZSTD'> = { 2: 'Snappy', 3: 'LZ4', 4: 'ZSTD' };

/**
 * Decompresses batches, keyed by their position in the record set: gzip with zlib (on libuv's
 * thread pool, so it overlaps with decoding), the others with the codec registered in kafkajs's
 * CompressionCodecs, else the error saying which package to install.
 */
export async function inflateBatches(batches: CompressedBatch[], topic: string): Promise<Map<number, Buffer>> {
  const out = new Map<number, Buffer>();
  await Promise.all(
    batches.map(async (b) => {
      if (b.codec === 1) {
        out.set(b.at, await unzip(b.payload));
        return;
      }
      const name = CODEC_NAMES[b.codec];
      if (!name) throw new KafkalabError(`Records in "${topic}" use unknown compression codec ${b.codec}`, { code: 'COMPRESSION_CODEC' });
      let codec: { decompress(b: Buffer): Promise<Buffer> } | undefined;
      try {
        codec = (CompressionCodecs as Record<number, (() => { decompress(b: Buffer): Promise<Buffer> }) | undefined>)[b.codec]?.();
      } catch (e) {
        throw missingCodecError(topic, name, e);
      }
      if (!codec) throw missingCodecError(topic, name, undefined);
      out.set(b.at, await codec.decompress(b.payload));
    }),
  );
  return out;
}
