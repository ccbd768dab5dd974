/**
 * One send at a time per ZeroMQ socket, and a backlog that cannot grow without bound.
 *
 * zeromq 6 throws EBUSY ("Socket is busy writing") when `send` is called while an earlier send
 * on the same socket has not finished; after a few hundred quick sends it defers one, so a
 * kernel that sends without awaiting (tslab does) dies under heavy output. A SendQueue awaits
 * each send before starting the next and never throws: a failed send is reported, not fatal.
 *
 * Output that arrives faster than it can be sent is folded while it waits:
 * - `pushLatest(key, …)`: the newest message for a key replaces the waiting one in place, and a
 *   key is sent at most once per `minIntervalMs` (display updates: only the latest state of an
 *   output area matters, and front ends throttle or drop floods);
 * - `pushCombined(key, state, combine, build)`: like pushLatest, but a waiting message is merged
 *   with the new one (`combine(older, newer)`) instead of replaced: live-chart deltas, where
 *   each update carries only new points, so dropping one would lose them;
 * - `pushText(key, …)`: text appended to the waiting message at the tail of the queue when it
 *   has the same key (stdout lines become one stream message, in order with everything else).
 * A plain `push` (a status, a reply, a new display) makes every held message due at once, so
 * a cell's final updates always go out before the kernel says it is idle.
 */
export type Frames = unknown[];

interface Entry {
  build: () => Frames;
  key?: string;
  /** pushText entries: the text so far and how to make a message of it. */
  text?: string;
  withText?: (text: string) => Frames;
  /** pushCombined entries: the state so far (the waiting message is built from it). */
  state?: unknown;
  combine?: (older: unknown, newer: unknown) => unknown;
  /** pushLatest entries wait until then (ms since epoch). */
  due: number;
}

/** A stream message that reached this size starts a new one (keeps each message reasonable). */
const MAX_MERGED_TEXT = 1 << 20;

export class SendQueue {
  private entries: Entry[] = [];
  private byKey = new Map<string, Entry>();
  private lastSent = new Map<string, number>();
  private draining = false;
  private wake: (() => void) | undefined;
  /** Sends actually made and messages folded into others, for tests and diagnostics. */
  readonly stats = { sent: 0, folded: 0, failed: 0 };

  constructor(
    private readonly sendNow: (frames: Frames) => Promise<unknown> | unknown,
    private readonly onError: (err: unknown) => void,
    private readonly minIntervalMs = 100,
  ) {}

  /** Queued messages not yet handed to the socket. */
  get length(): number {
    return this.entries.length;
  }

  push(frames: Frames): void {
    for (const e of this.entries) e.due = 0;
    this.add({ build: () => frames, due: 0 });
  }

  pushLatest(key: string, build: () => Frames): void {
    const waiting = this.byKey.get(key);
    if (waiting) {
      waiting.build = build;
      this.stats.folded++;
      return;
    }
    const last = this.lastSent.get(key);
    this.add({ build, key, due: last === undefined ? 0 : last + this.minIntervalMs });
  }

  pushCombined<S>(key: string, state: S, combine: (older: S, newer: S) => S, build: (state: S) => Frames): void {
    const waiting = this.byKey.get(key);
    if (waiting && waiting.combine) {
      waiting.state = waiting.combine(waiting.state, state);
      this.stats.folded++;
      return;
    }
    if (waiting) {
      // A plain latest-state message under the same key: the new one replaces it.
      waiting.build = () => build(state);
      this.stats.folded++;
      return;
    }
    const last = this.lastSent.get(key);
    const entry: Entry = { key, state, combine: combine as Entry['combine'], due: last === undefined ? 0 : last + this.minIntervalMs, build: () => build(entry.state as S) };
    this.add(entry);
  }

  pushText(key: string, text: string, withText: (text: string) => Frames): void {
    const tail = this.entries[this.entries.length - 1];
    if (tail && tail.key === key && tail.text !== undefined && tail.text.length < MAX_MERGED_TEXT) {
      tail.text += text;
      this.stats.folded++;
      return;
    }
    const entry: Entry = { key, text, withText, due: 0, build: () => withText(entry.text!) };
    this.entries.push(entry);
    this.kick();
  }

  private add(entry: Entry): void {
    this.entries.push(entry);
    if (entry.key !== undefined && entry.text === undefined) this.byKey.set(entry.key, entry);
    this.kick();
  }

  private kick(): void {
    if (this.wake) {
      const w = this.wake;
      this.wake = undefined;
      w();
    }
    if (!this.draining) void this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.entries.length) {
        const head = this.entries[0];
        const wait = head.due - Date.now();
        if (wait > 0) {
          // Held for the rate limit; a newer push may make it due sooner (see push).
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, wait);
            this.wake = () => (clearTimeout(t), resolve());
          });
          this.wake = undefined;
          continue;
        }
        this.entries.shift();
        if (head.key !== undefined && this.byKey.get(head.key) === head) this.byKey.delete(head.key);
        try {
          await this.sendNow(head.build());
          this.stats.sent++;
        } catch (err) {
          this.stats.failed++;
          this.onError(err);
        }
        if (head.key !== undefined && head.text === undefined) this.noteSent(head.key);
      }
    } finally {
      this.draining = false;
    }
  }

  private noteSent(key: string): void {
    const now = Date.now();
    this.lastSent.set(key, now);
    if (this.lastSent.size > 1000) {
      for (const [k, t] of this.lastSent) if (now - t > this.minIntervalMs) this.lastSent.delete(k);
    }
  }
}
