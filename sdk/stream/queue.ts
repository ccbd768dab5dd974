/**
 * Micro-batching: records pushed by a source come out as batches cut by size or by time,
 * whichever comes first. The producer side awaits `push` so that a slow consumer slows the
 * source down instead of growing memory (backpressure).
 */
export interface BatchOptions {
  /** Most rows per batch (default 1000). */
  size?: number;
  /** Longest a batch waits for more rows once it has one (default 500 ms). */
  ms?: number;
}

/**
 * Source progress, carried in-band with the rows so that it applies at the right point of the
 * record sequence (event-time windows hold their watermark back for partitions still to come).
 */
export interface Progress {
  /** Every partition the source now reads (a replacement: partitions left out were revoked). */
  partitions?: number[];
  /** Partitions that will produce nothing more (their last rows were pushed before this mark). */
  ended?: number[];
  /**
   * Read positions: per partition, the offset after the last record read before this mark
   * (records that produced no row included). The engine commits them once acknowledged.
   */
  offsets?: Map<number, number>;
  /** Per partition, the event time through which an earlier reader emitted its windows (see window.ts). */
  emitted?: Map<number, number>;
}

/** A batch as a queue hands it out: rows, plus the progress marks pushed among them. */
export type Batch<T> = T[] & { progress?: Progress[] };

export class BatchQueue<T> implements AsyncIterator<T[]> {
  private buf: T[] = [];
  /** Progress marks, each at the buffer index it was pushed after. */
  private marks: { at: number; progress: Progress }[] = [];
  private ended = false;
  private failure: unknown;
  private waiter: (() => void) | null = null;
  private spaceWaiters: (() => void)[] = [];
  private firstAt = 0;
  private closing: Promise<void> | undefined;
  private markReady!: () => void;
  /** Settles once the source resolved its start positions (see Stream.ready). */
  readonly ready = new Promise<void>((r) => (this.markReady = r));
  readonly size: number;
  readonly ms: number;
  /** How many rows may wait before `push` blocks. */
  readonly highWater: number;

  constructor(opts: BatchOptions = {}, private readonly onClose?: () => Promise<void> | void) {
    this.size = Math.max(1, opts.size ?? 1000);
    this.ms = Math.max(0, opts.ms ?? 500);
    this.highWater = this.size * 4;
  }

  /** Resolves when there is room again. */
  async push(items: T[]): Promise<void> {
    if (this.ended || items.length === 0) return;
    if (this.buf.length === 0) this.firstAt = Date.now();
    for (const it of items) this.buf.push(it);
    this.wake();
    while (this.buf.length >= this.highWater && !this.ended) {
      await new Promise<void>((r) => this.spaceWaiters.push(r));
    }
  }

  /** The source knows where it reads from: records produced from now on will be read. */
  positioned(): void {
    this.markReady();
  }

  /** Records source progress after the rows pushed so far. */
  mark(progress: Progress): void {
    if (this.ended) return;
    this.marks.push({ at: this.buf.length, progress });
    this.wake();
  }

  end(): void {
    this.ended = true;
    this.markReady();
    this.wake();
    this.releaseSpace();
  }

  fail(err: unknown): void {
    this.failure ??= err;
    this.end();
  }

  /**
   * Drops what waits in the queue for partitions this reader lost (a rebalance revoked them):
   * their rows and their read positions, which must not be committed by this reader now.
   */
  discard(drop: (item: T) => boolean, partitions: number[]): void {
    const keep: T[] = [];
    let m = 0;
    for (let i = 0; i <= this.buf.length; i++) {
      for (; m < this.marks.length && this.marks[m].at <= i; m++) this.marks[m].at = keep.length;
      if (i < this.buf.length && !drop(this.buf[i])) keep.push(this.buf[i]);
    }
    this.buf = keep;
    for (const mark of this.marks) {
      const offsets = mark.progress.offsets;
      if (!offsets || !partitions.some((p) => offsets.has(p))) continue;
      const left = new Map([...offsets].filter(([p]) => !partitions.includes(p)));
      mark.progress = { ...mark.progress, offsets: left };
    }
    if (this.buf.length < this.highWater) this.releaseSpace();
  }

  get closed(): boolean {
    return this.ended;
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  private releaseSpace(): void {
    const ws = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const w of ws) w();
  }

  async next(): Promise<IteratorResult<T[]>> {
    for (;;) {
      if (this.failure !== undefined && this.buf.length === 0) {
        const f = this.failure;
        this.failure = undefined;
        throw f;
      }
      const due = this.firstAt + this.ms - Date.now();
      if (this.buf.length >= this.size || (this.buf.length > 0 && (this.ended || due <= 0))) {
        const n = this.buf.length <= this.size ? this.buf.length : this.cut();
        const batch: Batch<T> = n === this.buf.length ? this.buf : this.buf.slice(0, n);
        this.buf = n === this.buf.length ? [] : this.buf.slice(n);
        if (this.buf.length) this.firstAt = Date.now();
        this.attachMarks(batch);
        this.releaseSpace();
        return { value: batch, done: false };
      }
      if (this.buf.length === 0 && this.marks.length) {
        const batch: Batch<T> = [];
        this.attachMarks(batch);
        return { value: batch, done: false };
      }
      if (this.ended) return { value: undefined, done: true };
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        if (this.buf.length > 0) {
          const t = setTimeout(() => this.wake(), Math.max(0, due));
          const prev = this.waiter;
          this.waiter = () => {
            clearTimeout(t);
            prev();
          };
        }
      });
    }
  }

  /**
   * Where a full batch ends: after the last progress mark within `size` rows, when there is one,
   * so that a batch's every row has its read position known (a source marks its position after
   * each chunk it pushes). Cut anywhere else, the rows after the last mark would learn their
   * positions only with the next batch: an exactly-once job, which commits a transaction only
   * with the positions of every output in it, then kept one transaction open for a whole
   * backlog (and past the transaction timeout on a long one). No mark in range: `size` rows.
   */
  private cut(): number {
    let at = 0;
    for (const m of this.marks) {
      if (m.at > this.size) break;
      if (m.at > at) at = m.at;
    }
    return at || this.size;
  }

  private attachMarks(batch: Batch<T>): void {
    if (!this.marks.length) return;
    const n = batch.length;
    const mine = this.marks.filter((m) => m.at <= n);
    if (mine.length) batch.progress = mine.map((m) => m.progress);
    this.marks = this.marks.filter((m) => m.at > n).map((m) => ({ at: m.at - n, progress: m.progress }));
  }

  async return(): Promise<IteratorResult<T[]>> {
    this.end();
    this.buf = [];
    this.marks = [];
    // Idempotent: a run's end, stop() and the connection's close may all ask to release the source.
    this.closing ??= Promise.resolve().then(() => this.onClose?.());
    await this.closing;
    return { value: undefined, done: true };
  }
}
