/**
 * Parallel reads: kafkajs's record decoding and our JSON decoding are CPU-bound and
 * single-threaded, so a large read splits its partitions over worker threads. Each worker
 * opens its own kafkajs client, fetches its partitions into typed columns and transfers the
 * column buffers back (no copy); the main thread builds one frame from all parts.
 */
import { Worker, isMainThread, parentPort, workerData } from 'worker_threads';
import { Kafka, logLevel } from 'kafkajs';
import { Column, ColumnSet, type ColumnData } from '../frame/columns';
import { RecordDecoder, type DecodeOptions } from '../frame/decode';
import type { ClientConfig } from './connect';
import { createCluster, Fetcher } from './fetcher';
import { fetchRanges } from './read';
import type { OffsetRange } from './position';

export interface WorkerJob {
  client: ClientConfig;
  topic: string;
  ranges: OffsetRange[];
  decode: DecodeOptions & { headers?: boolean };
  fetchBytes?: number;
  limit: number;
  samples: number;
}

export interface PartResult {
  rows: number;
  columns: ColumnData[];
  warnings: string[];
  records: number;
  failed: number;
  failures: Record<string, number>;
  samples: { partition: number; offset: number; reason: string }[];
}

/** Reads ranges into a column set: the same loop in a worker or in the calling thread. */
export async function readPart(fetcher: Fetcher, job: Omit<WorkerJob, 'client' | 'topic'>): Promise<{ set: ColumnSet; result: Omit<PartResult, 'columns' | 'rows'> }> {
  const total = job.ranges.reduce((s, r) => s + (r.to - r.from), 0);
  const set = new ColumnSet(undefined, Math.max(16, Math.min(total, job.limit)));
  const decoder = new RecordDecoder(set, job.decode);
  const result = { warnings: set.warnings, records: 0, failed: 0, failures: {} as Record<string, number>, samples: [] as PartResult['samples'] };
  const withHeaders = job.decode.headers === true;
  await fetchRanges(
    fetcher,
    job.ranges,
    (partition, messages, start, end) => {
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i];
        const offset = Number(m.offset);
        if (offset < start || offset >= end || m.isControlRecord) continue;
        result.records++;
        const reason = decoder.add(m.key, m.value, partition, offset, Number(m.timestamp), withHeaders ? m.headers : undefined);
        if (reason !== undefined) {
          result.failed++;
          result.failures[reason] = (result.failures[reason] ?? 0) + 1;
          if (result.samples.length < job.samples) result.samples.push({ partition, offset, reason });
        }
        if (set.rows >= job.limit) return false;
      }
    },
    job.fetchBytes,
  );
  set.truncate(job.limit);
  return { set, result };
}

/** Runs one job in a worker thread; resolves to a column set rebuilt from the transferred buffers. */
export function readInWorker(job: WorkerJob): Promise<{ set: ColumnSet; result: PartResult }> {
  const ts = __filename.endsWith('.ts');
  const worker = new Worker(__filename, {
    workerData: job,
    // Under tsx (tests), the worker needs the same TypeScript loader as its parent.
    execArgv: ts ? ['--require', require.resolve('tsx/cjs')] : [],
  });
  return new Promise((resolve, reject) => {
    let settled = false;
    worker.once('message', (msg: { ok: true; result: PartResult } | { ok: false; error: string; code?: string }) => {
      settled = true;
      if (!msg.ok) return reject(Object.assign(new Error(msg.error), { code: msg.code }));
      const set = ColumnSet.fromColumns(msg.result.columns.map(Column.import), msg.result.rows, msg.result.warnings);
      resolve({ set, result: msg.result });
    });
    worker.once('error', (e) => {
      settled = true;
      reject(e);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`read worker exited with code ${code}`));
    });
  });
}

/** Whether the client settings can cross a thread boundary (functions in ssl/sasl cannot). */
export function cloneable(v: unknown): boolean {
  try {
    structuredClone(v);
    return true;
  } catch {
    return false;
  }
}

async function workerMain(job: WorkerJob): Promise<void> {
  const kafka = new Kafka({ ...job.client, logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 100 } });
  const fetcher = new Fetcher(createCluster(kafka), job.topic);
  try {
    await fetcher.connect();
    const { set, result } = await readPart(fetcher, job);
    const columns = set.columns.map((c) => c.export());
    const transfer: ArrayBuffer[] = [];
    for (const c of columns) {
      if (c.num) transfer.push(c.num.buffer as ArrayBuffer);
      if (c.nulls) transfer.push(c.nulls.buffer as ArrayBuffer);
    }
    const out: PartResult = { ...result, rows: set.rows, columns };
    parentPort!.postMessage({ ok: true, result: out }, transfer);
  } finally {
    await fetcher.disconnect();
  }
}

if (!isMainThread && workerData && (workerData as WorkerJob).ranges) {
  workerMain(workerData as WorkerJob).catch((e: Error & { code?: string }) => parentPort!.postMessage({ ok: false, error: e?.message ?? String(e), code: e?.code }));
}
