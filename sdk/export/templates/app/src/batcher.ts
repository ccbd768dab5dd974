/**
 * Merges the rows that concurrent partition handlers submit into one model call, so the model
 * always sees large batches (TensorFlow.js's per-call overhead dwarfs the per-row cost).
 * A flush happens when `maxRows` rows are waiting or `maxMs` after the first one arrived,
 * whichever comes first; one model call runs at a time and rows arriving meanwhile pile up
 * for the next one.
 */
export interface MatrixBatcherOptions {
  /** Columns per input row. */
  width: number;
  maxRows: number;
  maxMs: number;
  /** One model call: `rows` rows of `width` floats in, one result row per input row out. */
  run(input: Float32Array, rows: number): Promise<Float32Array>;
  /** Observes each model call (rows, seconds). */
  onCall?(rows: number, seconds: number): void;
}

interface Pending {
  input: Float32Array;
  at: number;
  rows: number;
  resolve(out: Float32Array): void;
  reject(err: unknown): void;
}

export class MatrixBatcher {
  private queue: Pending[] = [];
  private queuedRows = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(private readonly opts: MatrixBatcherOptions) {}

  /** Resolves to this submission's own slice of the result, in the order of its rows. */
  submit(input: Float32Array, rows: number): Promise<Float32Array> {
    if (rows === 0) return Promise.resolve(new Float32Array(0));
    if (input.length !== rows * this.opts.width) throw new Error(`expected ${rows} x ${this.opts.width} values, got ${input.length}`);
    return new Promise((resolve, reject) => {
      this.queue.push({ input, rows, at: Date.now(), resolve, reject });
      this.queuedRows += rows;
      this.schedule();
    });
  }

  get pendingRows(): number {
    return this.queuedRows;
  }

  private schedule(): void {
    if (this.running) return;
    if (this.queuedRows >= this.opts.maxRows || this.opts.maxMs === 0) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      void this.flush();
    } else if (!this.timer && this.queuedRows > 0) {
      // Measured from the oldest waiting row: rows that piled up during a model call have waited already.
      const wait = Math.max(0, this.queue[0].at + this.opts.maxMs - Date.now());
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, wait);
    }
  }

  private async flush(): Promise<void> {
    if (this.running || this.queue.length === 0) return;
    // Whole submissions only, so each caller's rows stay together; a single submission larger
    // than maxRows is still one call (callers chunk their input to bound it).
    const take: Pending[] = [];
    let rows = 0;
    while (this.queue.length && (take.length === 0 || rows + this.queue[0].rows <= this.opts.maxRows)) {
      const p = this.queue.shift()!;
      take.push(p);
      rows += p.rows;
    }
    this.queuedRows -= rows;
    this.running = true;
    try {
      const input = take.length === 1 ? take[0].input : concat(take, rows * this.opts.width);
      const t0 = process.hrtime.bigint();
      const out = await this.opts.run(input, rows);
      this.opts.onCall?.(rows, Number(process.hrtime.bigint() - t0) / 1e9);
      const outWidth = out.length / rows;
      let at = 0;
      for (const p of take) {
        p.resolve(out.subarray(at * outWidth, (at + p.rows) * outWidth));
        at += p.rows;
      }
    } catch (err) {
      for (const p of take) p.reject(err);
    } finally {
      this.running = false;
      this.schedule();
    }
  }
}

function concat(parts: Pending[], length: number): Float32Array {
  const out = new Float32Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p.input, at);
    at += p.input.length;
  }
  return out;
}
