/**
 * The broker's log cleaner thread, as an event-loop citizen: every `intervalMs` it runs one
 * compaction pass (cleaner.ts) after another over the compacted partitions whose dirty ratio
 * reached min.cleanable.dirty.ratio (or whose dirty records waited past max.compaction.lag.ms).
 * One pass at a time over the whole broker; a pass yields between chunks, so clients are served.
 */
import type { Logger } from '../../util/log';
import type { PartitionLog } from './partition-log';

export interface CleanerLoopOptions {
  /** Kafka's log.cleaner.backoff.ms. Default 15 s; 0 = only cleanNow(). */
  intervalMs?: number;
  /** Kafka's log.cleaner.dedupe.buffer.size. Default 32 MiB. */
  bufferBytes?: number;
  logger: Logger;
}

export class CleanerLoop {
  private readonly timer: NodeJS.Timeout | null;
  private readonly bufferBytes: number;
  private running: Promise<unknown> | null = null;
  private halted = false;

  constructor(private readonly compactedLogs: (topic?: string) => PartitionLog[], private readonly opts: CleanerLoopOptions) {
    this.bufferBytes = opts.bufferBytes ?? 32 * 1024 * 1024;
    const interval = opts.intervalMs ?? 15_000;
    this.timer = interval > 0 ? setInterval(() => void this.cleanDirtiest(), interval) : null;
    this.timer?.unref();
  }

  /** One round over the partitions that are due; errors are logged and retried next round. */
  async cleanDirtiest(now: number = Date.now()): Promise<number> {
    if (this.running || this.halted) return 0;
    return this.exclusive(async () => {
      let cleaned = 0;
      for (const log of this.compactedLogs()) {
        if (this.halted) break;
        try {
          if ((await log.clean({ now, bufferBytes: this.bufferBytes })).cleaned) cleaned++;
        } catch (err) {
          this.opts.logger.error('compaction failed; will retry', { topic: log.topic, partition: log.partition, error: (err as Error).message });
        }
      }
      return cleaned;
    });
  }

  /** Cleans every compacted partition (of `topic`) with dirty closed segments, whatever its ratio. */
  async cleanNow(topic?: string, now: number = Date.now()): Promise<number> {
    while (this.running) await this.running.catch(() => undefined);
    return this.exclusive(async () => {
      let cleaned = 0;
      for (const log of this.compactedLogs(topic)) {
        if ((await log.clean({ now, force: true, bufferBytes: this.bufferBytes })).cleaned) cleaned++;
      }
      return cleaned;
    });
  }

  private async exclusive(fn: () => Promise<number>): Promise<number> {
    const run = fn();
    this.running = run;
    try {
      return await run;
    } finally {
      this.running = null;
    }
  }

  /** No new rounds (a pass in progress notices its log closing and abandons). */
  halt(): void {
    this.halted = true;
    if (this.timer) clearInterval(this.timer);
  }

  /** Halts and waits for the pass in progress to end. */
  async stop(): Promise<void> {
    this.halt();
    while (this.running) await this.running.catch(() => undefined);
  }
}
