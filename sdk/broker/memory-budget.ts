/**
 * Bounded memory for requests, whatever clients send. Kafka's `queued.max.request.bytes` as a
 * broker-wide budget: every request frame reserves its declared size before its body is read
 * and keeps it until its response is done; when the budget is spent, connections stop reading
 * (TCP backpressure holds the rest in the client and the kernel, not in this process) and resume
 * in arrival order as memory frees. Besides:
 * - frames over `LARGE_FRAME` bytes may use the budget only up to `cap - headroom`, so a few
 *   huge (or hostile, never-finished) frames cannot starve ordinary clients' small requests;
 * - one connection holds at most `connectionMaxRequestBytes` (one frame always fits);
 * - a frame must arrive whole within `frameTimeoutMs` of its reservation, else its connection is
 *   closed (a client that sends 95 MB of a frame and stops frees its memory after that time);
 * - a large frame is read into one buffer of its size (no chunk list, no final copy).
 * Memory bound: requests hold at most `queuedMaxRequestBytes`, plus one socket chunk (64 KiB)
 * per connection waiting for budget.
 */
import { contributeBrokerConfigs } from './broker-configs';

export interface MemoryLimits {
  /** Broker-wide bytes of requests being read or waiting for their response. */
  queuedMaxRequestBytes: number;
  /** What one connection may hold of that; a single frame is always allowed. */
  connectionMaxRequestBytes: number;
  /** A frame whose reading started must be complete within this long. */
  frameTimeoutMs: number;
}

/** Frames above this size are "large": they leave the budget's headroom to smaller requests. */
export const LARGE_FRAME = 1024 * 1024;
const MIN_FRAME = 8; // api key + version + correlation id

export function defaultMemoryLimits(maxFrameBytes: number): MemoryLimits {
  return { queuedMaxRequestBytes: 2 * maxFrameBytes, connectionMaxRequestBytes: maxFrameBytes, frameTimeoutMs: 60_000 };
}

/** Checks limits against the frame limit; returns a message saying what to change, or null. */
export function memoryLimitsProblem(limits: MemoryLimits, maxFrameBytes: number): string | null {
  if (!(limits.queuedMaxRequestBytes >= maxFrameBytes + LARGE_FRAME)) {
    return `queuedMaxRequestBytes (${limits.queuedMaxRequestBytes}) must be at least maxFrameBytes + 1 MiB (${maxFrameBytes + LARGE_FRAME}) so that the largest request fits`;
  }
  if (!(limits.connectionMaxRequestBytes >= MIN_FRAME)) return `connectionMaxRequestBytes must be positive, got ${limits.connectionMaxRequestBytes}`;
  if (!(limits.frameTimeoutMs > 0)) return `frameTimeoutMs must be positive, got ${limits.frameTimeoutMs}`;
  return null;
}

/** The broker-wide account. Waiting readers are resumed in the order they began to wait. */
export class MemoryBudget {
  private used = 0;
  private readonly waiting = new Set<FrameReader>();
  private readonly largeCap: number;
  private wakeScheduled = false;
  /** Peak of `used`, for tests and diagnostics. */
  peak = 0;

  constructor(readonly limits: MemoryLimits) {
    const headroom = Math.min(32 * 1024 * 1024, Math.floor(limits.queuedMaxRequestBytes / 8));
    this.largeCap = limits.queuedMaxRequestBytes - headroom;
  }

  get usedBytes(): number {
    return this.used;
  }

  get waitingReaders(): number {
    return this.waiting.size;
  }

  tryReserve(bytes: number): boolean {
    const cap = bytes > LARGE_FRAME ? this.largeCap : this.limits.queuedMaxRequestBytes;
    // A frame larger than the large-frame share still gets in when nothing else holds memory.
    if (this.used + bytes > cap && !(this.used === 0 && bytes <= this.limits.queuedMaxRequestBytes)) return false;
    this.used += bytes;
    if (this.used > this.peak) this.peak = this.used;
    return true;
  }

  release(bytes: number): void {
    this.used -= bytes;
    if (this.waiting.size === 0 || this.wakeScheduled) return;
    // Off this stack (the releaser may be closing or completing a request), once per turn.
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      // In waiting order; a reader that still does not fit keeps its place.
      for (const r of [...this.waiting]) r.retry();
    });
  }

  wait(reader: FrameReader): void {
    this.waiting.add(reader);
  }

  forget(reader: FrameReader): void {
    this.waiting.delete(reader);
  }
}

export interface FrameReaderHooks {
  /** A whole frame (size prefix removed); `bytes` stays reserved until `done(bytes)`. */
  frame(frame: Buffer, bytes: number): void;
  /** Whether the socket should be read: false while waiting for budget. */
  flow(reading: boolean): void;
  /** The connection must close (bad size, frame timeout). */
  fail(reason: string): void;
  /** True while frames are bare tokens (SASL after a v0 handshake), which may be tiny. */
  rawFrames?(): boolean;
}

/**
 * One connection's frame assembly under the budget: socket chunks in, whole frames out. The
 * connection blocks it (`setBlocked`) while it applies its own backpressure; no frame is handed
 * over then, and the frame timeout does not run.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Size of the current frame including its 4-byte prefix, -1 until the prefix is read. */
  private need = -1;
  private granted = false;
  /** The current large frame's own buffer, filled as data arrives. */
  private big: Buffer | null = null;
  private bigFill = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Bytes this connection holds in the budget: the frame being read and unanswered requests. */
  private held = 0;
  private blocked = false;
  private closed = false;

  constructor(
    private readonly budget: MemoryBudget,
    private readonly maxFrameBytes: number,
    private readonly hooks: FrameReaderHooks,
  ) {}

  push(data: Buffer): void {
    if (this.closed) return;
    if (this.big) {
      const n = Math.min(data.length, this.need - this.bigFill);
      data.copy(this.big, this.bigFill, 0, n);
      this.bigFill += n;
      if (n < data.length) this.keep(data.subarray(n));
    } else this.keep(data);
    this.drain();
  }

  private keep(data: Buffer): void {
    this.chunks.push(data);
    this.buffered += data.length;
  }

  /** Hands over every complete frame that the budget and the connection allow. */
  drain(): void {
    while (!this.closed && !this.blocked) {
      if (this.need < 0) {
        if (this.buffered < 4) return;
        const size = this.peekSize();
        if (size < (this.hooks.rawFrames?.() ? 0 : MIN_FRAME)) return this.hooks.fail(`frame of ${size} bytes is too small`);
        if (size > this.maxFrameBytes) return this.hooks.fail(`frame of ${size} bytes exceeds the maximum of ${this.maxFrameBytes} (maxFrameBytes)`);
        this.need = size + 4;
      }
      if (!this.granted && !this.reserve()) return;
      let frame: Buffer;
      if (this.big) {
        if (this.bigFill < this.need) return;
        frame = this.big;
      } else {
        if (this.buffered < this.need) return;
        frame = this.take(this.need);
      }
      const bytes = this.need;
      this.clearTimer();
      this.need = -1;
      this.granted = false;
      this.big = null;
      this.bigFill = 0;
      this.hooks.frame(frame.subarray(4), bytes);
    }
  }

  /** Reserves the current frame's size, or waits for budget with the socket paused. */
  private reserve(): boolean {
    if (this.held > 0 && this.held + this.need > this.budget.limits.connectionMaxRequestBytes) {
      this.hooks.flow(false); // this connection's own requests free their share through done()
      return false;
    }
    if (!this.budget.tryReserve(this.need)) {
      this.budget.wait(this);
      this.hooks.flow(false);
      return false;
    }
    this.budget.forget(this);
    this.granted = true;
    this.held += this.need;
    this.hooks.flow(true);
    this.startTimer();
    if (this.need > LARGE_FRAME && this.buffered < this.need) {
      this.big = Buffer.allocUnsafe(this.need);
      this.bigFill = this.buffered;
      this.take(this.buffered).copy(this.big, 0);
    }
    return true;
  }

  /** Called by the budget when memory was freed. */
  retry(): void {
    if (!this.closed) this.drain();
  }

  /** A request's response is done: its reservation goes back to the budget. */
  done(bytes: number): void {
    if (this.closed) return;
    this.held -= bytes;
    this.budget.release(bytes);
    // Waiting for this connection's own share: retry, off the completing request's stack.
    if (this.need >= 0 && !this.granted) setImmediate(() => this.retry());
  }

  /** The connection applies (or lifts) its own backpressure. */
  setBlocked(blocked: boolean): void {
    if (this.blocked === blocked) return;
    this.blocked = blocked;
    if (blocked) this.clearTimer();
    else {
      if (this.granted) this.startTimer();
      this.drain();
    }
  }

  /** Frees everything this connection holds. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clearTimer();
    this.budget.forget(this);
    this.chunks = [];
    this.big = null;
    if (this.held > 0) this.budget.release(this.held);
    this.held = 0;
  }

  private startTimer(): void {
    this.clearTimer();
    const ms = this.budget.limits.frameTimeoutMs;
    const size = this.need;
    this.timer = setTimeout(() => {
      const got = this.big ? this.bigFill : Math.min(this.buffered, size);
      this.hooks.fail(`frame of ${size} bytes not complete after ${ms} ms (${got} received; frameTimeoutMs)`);
    }, ms);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private peekSize(): number {
    // Rare: the size prefix straddles chunks; merge what is buffered once.
    if (this.chunks[0].length < 4) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0].readInt32BE(0);
  }

  /** The next n buffered bytes as one buffer (a view when they sit in one chunk). */
  private take(n: number): Buffer {
    this.buffered -= n;
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[0];
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0];
      const m = Math.min(c.length, n - at);
      c.copy(out, at, 0, m);
      at += m;
      if (m === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(m);
    }
    return out;
  }
}

contributeBrokerConfigs((state) => {
  const limits = state.config.memory;
  const defaults = defaultMemoryLimits(state.config.maxFrameBytes);
  return [
    { name: 'queued.max.request.bytes', value: String(limits.queuedMaxRequestBytes), builtIn: String(defaults.queuedMaxRequestBytes), type: 'long', doc: 'Broker-wide bytes of requests being read or waiting for their response (startBroker memory.queuedMaxRequestBytes); reading pauses when reached.' },
    { name: 'kafkalab.connection.max.request.bytes', value: String(limits.connectionMaxRequestBytes), builtIn: String(defaults.connectionMaxRequestBytes), type: 'long', doc: 'What one connection may hold of queued.max.request.bytes (startBroker memory.connectionMaxRequestBytes).' },
    { name: 'kafkalab.frame.timeout.ms', value: String(limits.frameTimeoutMs), builtIn: String(defaults.frameTimeoutMs), type: 'long', doc: 'A request frame must arrive whole within this long, else its connection closes (startBroker memory.frameTimeoutMs).' },
  ];
});
