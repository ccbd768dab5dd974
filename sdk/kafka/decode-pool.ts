/**
 * Decode threads for large reads. The calling thread fetches every partition (one client, one
 * connection per broker) and hands the record sets of some partitions to these threads, which
 * decode them into their own column sets while it decodes the others; the columns come back
 * as transferred buffers (no copy) when the read ends.
 *
 * The threads are started on first use and kept for the life of the process (unreferenced: they
 * never keep it alive), so a warm read finds their JIT warm and pays no start-up; they hold no
 * client, so nothing about the connection (TLS, SASL callbacks) has to cross a thread boundary.
 */
import * as path from 'path';
import { Worker } from 'worker_threads';
import { Column, ColumnSet, type ColumnData } from '../runtime/decode/columns';
import { LegacyRecordFormatError } from '../frame/batches';
import { KafkalabError } from '../util/errors';
import type { PartJob, PartOutput, PartStats } from './read-part';

/** What a decode thread needs of a read: its ranges and options, without the calling thread's SchemaCache. */
export type SessionJob = Omit<PartJob, 'schemas' | 'offload'>;

/** Columns as they cross threads: numbers as transferable buffers, strings as codes into a dictionary. */
export interface PackedColumn extends Omit<ColumnData, 'str'> {
  codes?: Int32Array;
  dict?: (string | null)[];
}

export interface PackedPart {
  stats: PartStats;
  sets: { partition: number; rows: number; warnings: string[]; columns: PackedColumn[] }[];
}

/** A decode thread's reply to one message. */
export type Reply = { seq: number; ok: true; part?: PackedPart; bytes?: Uint8Array } | { seq: number; ok: false; error: string; code?: string; retriable?: boolean; magic?: number };

/** A message to a decode thread (without its sequence number). */
type Message =
  | { type: 'start'; id: number; job: SessionJob }
  | { type: 'chunk'; id: number; partition: number; bytes: Uint8Array; from: number; end: number; aborted: { producerId: number; firstOffset: number }[] | null }
  | { type: 'finish'; id: number }
  | { type: 'drop'; id: number };

export type Request = Message & { seq: number };

/** A column set's columns for postMessage, and the buffers to transfer with them. */
export function packColumns(set: ColumnSet, transfer: ArrayBuffer[]): PackedColumn[] {
  return set.columns.map((c) => {
    const { str, ...d } = c.export();
    if (d.num) transfer.push(d.num.buffer as ArrayBuffer);
    if (d.nulls) transfer.push(d.nulls.buffer as ArrayBuffer);
    if (!str) return d;
    // Keys and categorical fields repeat: one string per distinct value crosses, not one per row.
    const ids = new Map<string | null, number>();
    const dict: (string | null)[] = [];
    const codes = new Int32Array(str.length);
    for (let i = 0; i < str.length; i++) {
      const v = str[i];
      let id = ids.get(v);
      if (id === undefined) {
        ids.set(v, (id = dict.length));
        dict.push(v);
      }
      codes[i] = id;
    }
    transfer.push(codes.buffer as ArrayBuffer);
    return { ...d, codes, dict };
  });
}

export function unpackColumns(columns: PackedColumn[]): Column[] {
  return columns.map(({ codes, dict, ...d }) => {
    if (!codes || !dict) return Column.import(d);
    const str: (string | null)[] = new Array(codes.length);
    for (let i = 0; i < codes.length; i++) str[i] = dict[codes[i]];
    return Column.import({ ...d, str });
  });
}

let sessions = 0;

/**
 * Record-set copies travel to a decode thread and back (transferred both ways), and are reused:
 * fresh memory for every response would cost a page fault per 4 KiB, which on some machines
 * costs more than the copy.
 */
const spare: ArrayBuffer[] = [];
const SPARE = 4;
const UNIT = 1 << 20;

function spareBuffer(size: number): ArrayBuffer {
  const i = spare.findIndex((b) => b.byteLength >= size);
  if (i >= 0) return spare.splice(i, 1)[0];
  return new ArrayBuffer(Math.ceil(size / UNIT) * UNIT);
}

function keepBuffer(b: ArrayBuffer): void {
  if (spare.length < SPARE) spare.push(b);
  else {
    // Keep the largest: the next record set is as large as the last ones.
    const i = spare.reduce((min, x, j) => (x.byteLength < spare[min].byteLength ? j : min), 0);
    if (spare[i].byteLength < b.byteLength) spare[i] = b;
  }
}

/** One decode thread: messages in order, replies matched by sequence number. */
class DecodeThread {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve(r: Reply): void; reject(e: Error): void }>();
  private seq = 0;
  private open = 0;
  failed: Error | undefined;

  constructor() {
    const ts = __filename.endsWith('.ts');
    // Under tsx (tests), the thread needs the same TypeScript loader as its parent.
    this.worker = new Worker(path.join(__dirname, `decode-worker${ts ? '.ts' : '.js'}`), { execArgv: ts ? ['--require', require.resolve('tsx/cjs')] : [] });
    this.worker.unref();
    this.worker.on('message', (r: Reply) => {
      const w = this.waiting.get(r.seq);
      this.waiting.delete(r.seq);
      w?.resolve(r);
    });
    this.worker.on('error', (e) => this.fail(e));
    this.worker.on('exit', (code) => this.fail(new Error(`decode thread exited with code ${code}`)));
  }

  private fail(e: Error): void {
    this.failed ??= e;
    const i = threads.indexOf(this);
    if (i >= 0) threads.splice(i, 1);
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
  }

  call(msg: Message, transfer: ArrayBuffer[] = []): Promise<Reply> {
    if (this.failed) return Promise.reject(this.failed);
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject });
      this.worker.postMessage({ ...msg, seq }, transfer);
    });
  }

  session(job: SessionJob): DecodeSession {
    if (this.open++ === 0) this.worker.ref();
    return new DecodeSession(this, ++sessions, job, () => {
      if (--this.open === 0) this.worker.unref();
    });
  }
}

/** A decode thread's errors as the calling thread's: the raw route's fallback rules see the same classes. */
function rethrow(r: Reply): void {
  if (r.ok) return;
  if (r.code === 'LEGACY_RECORD_FORMAT') throw new LegacyRecordFormatError(r.magic ?? -1);
  throw new KafkalabError(r.error, { code: r.code ?? 'DECODE_THREAD', retriable: r.retriable });
}

/** One read's partitions on one decode thread. */
export class DecodeSession {
  private readonly started: Promise<Reply>;
  private closed = false;

  constructor(
    private readonly thread: DecodeThread,
    private readonly id: number,
    job: SessionJob,
    private readonly release: () => void,
  ) {
    this.started = thread.call({ type: 'start', id, job });
    this.started.catch(() => undefined);
  }

  /** Decodes records [from, end) of a fetched record set (copied: the response buffer stays with kafkajs). */
  async decode(partition: number, records: Buffer, from: number, end: number, aborted: { producerId: number; firstOffset: number }[] | null): Promise<void> {
    const bytes = new Uint8Array(spareBuffer(records.length), 0, records.length);
    bytes.set(records);
    rethrow(await this.started);
    const r = await this.thread.call({ type: 'chunk', id: this.id, partition, bytes, from, end, aborted }, [bytes.buffer as ArrayBuffer]);
    if (r.ok && r.bytes) keepBuffer(r.bytes.buffer as ArrayBuffer);
    rethrow(r);
  }

  /** The column sets and counts of this session's partitions. */
  async finish(): Promise<PartOutput> {
    try {
      rethrow(await this.started);
      const r = await this.thread.call({ type: 'finish', id: this.id });
      rethrow(r);
      const part = (r as { part: PackedPart }).part;
      return { stats: part.stats, sets: part.sets.map((s) => ({ partition: s.partition, set: ColumnSet.fromColumns(unpackColumns(s.columns), s.rows, s.warnings) })) };
    } finally {
      this.close();
    }
  }

  /** Forgets the session (a read that failed). */
  drop(): void {
    if (this.closed) return;
    this.thread.call({ type: 'drop', id: this.id }).catch(() => undefined);
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.release();
  }
}

const threads: DecodeThread[] = [];

/** `n` decode threads, started as needed and kept for later reads. */
export function decodeThreads(n: number): DecodeThread[] {
  while (threads.length < n) threads.push(new DecodeThread());
  return threads.slice(0, n);
}
