/**
 * Where a read's partitions are fetched and decoded: in the calling thread, or split over
 * worker threads that each open their own kafkajs client and transfer their column buffers back
 * (no copy). Either way, the raw route first and kafkajs's regular fetch when the cluster or the
 * record format rules the raw route out.
 */
import { Worker, isMainThread, parentPort, workerData } from 'worker_threads';
import { Kafka, logLevel } from 'kafkajs';
import { Column, ColumnSet, type ColumnData } from '../runtime/decode/columns';
import { LegacyRecordFormatError } from '../frame/batches';
import type { Logger } from '../util/log';
import type { ClientConfig } from './client';
import { isInternalsError, openCluster } from './adapter';
import { openFetcher } from './fetcher';
import { RawFetcher, RawFetchUnsupported } from './fetch-raw';
import { readPartKafkajs, readPartRaw, type PartJob, type PartOutput, type PartStats } from './read-part';
import { SchemaCache } from '../runtime/decode/schema/schemas';
import { SchemaRegistryClient, type RegistryAuth } from '../registry/client';

/** 'auto': raw, falling back to kafkajs; the others force one route (tests compare them). */
export type ReadEngine = 'auto' | 'raw' | 'kafkajs';

export interface WorkerJob extends PartJob {
  client: ClientConfig;
  engine: ReadEngine;
  /** The Schema Registry the thread fetches schemas from (the job's SchemaCache cannot cross threads). */
  registry?: { url: string; auth?: RegistryAuth };
}

interface TransferredPart {
  stats: PartStats;
  sets: { partition: number; rows: number; warnings: string[]; columns: ColumnData[] }[];
}

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

/** Runs one job in a worker thread; resolves to column sets rebuilt from the transferred buffers. */
export function readInWorker(job: WorkerJob): Promise<PartOutput> {
  const ts = __filename.endsWith('.ts');
  const worker = new Worker(__filename, {
    workerData: job,
    // Under tsx (tests), the worker needs the same TypeScript loader as its parent.
    execArgv: ts ? ['--require', require.resolve('tsx/cjs')] : [],
  });
  return new Promise((resolve, reject) => {
    let settled = false;
    worker.once('message', (msg: { ok: true; part: TransferredPart } | { ok: false; error: string; code?: string }) => {
      settled = true;
      if (!msg.ok) return reject(Object.assign(new Error(msg.error), { code: msg.code }));
      const sets = msg.part.sets.map((s) => ({ partition: s.partition, set: ColumnSet.fromColumns(s.columns.map(Column.import), s.rows, s.warnings) }));
      resolve({ sets, stats: msg.part.stats });
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
  const schemas = new SchemaCache(job.registry ? new SchemaRegistryClient(job.registry) : undefined);
  const { sets, stats } = await runPart(kafka, { ...job, schemas }, job.engine);
  const transfer: ArrayBuffer[] = [];
  const part: TransferredPart = {
    stats,
    sets: sets.map(({ partition, set }) => {
      const columns = set.columns.map((c) => c.export());
      for (const c of columns) {
        if (c.num) transfer.push(c.num.buffer as ArrayBuffer);
        if (c.nulls) transfer.push(c.nulls.buffer as ArrayBuffer);
      }
      return { partition, rows: set.rows, warnings: set.warnings, columns };
    }),
  };
  parentPort!.postMessage({ ok: true, part }, transfer);
}

if (!isMainThread && workerData && (workerData as WorkerJob).ranges) {
  workerMain(workerData as WorkerJob).catch((e: Error & { code?: string }) => parentPort!.postMessage({ ok: false, error: e?.message ?? String(e), code: e?.code }));
}
