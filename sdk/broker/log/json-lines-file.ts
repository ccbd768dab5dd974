/**
 * An append-only file of JSON lines, the shape of the broker's small durable stores (committed
 * group offsets, the transaction log): replayed on open, appended one line per change, each
 * line written to the OS before append() returns (it survives a kill of the process), fsynced
 * by flush(), close() and a timer, and rewritten atomically when the owner compacts it. A torn
 * last line from a crash is dropped on open; unreadable lines are skipped with a warning.
 */
import * as fs from 'fs';
import { silentLogger, type Logger } from '../../util/log';
import { LogError, LogErrorCode } from './config';
import { writeFileAtomic } from './durable-file';

export class JsonLinesFile<L> {
  private fd = -1;
  private dirty = false;
  private readonly timer: NodeJS.Timeout | null;
  /** Lines in the file (replayed, appended, or rewritten). */
  lines = 0;

  /** `what` names the file in log lines ("group offsets file"); fsync every `flushIntervalMs` (0 = only flush/close). */
  constructor(readonly file: string, private readonly what: string, private readonly logger: Logger = silentLogger, flushIntervalMs = 1000) {
    this.timer = flushIntervalMs > 0 ? setInterval(() => this.flushQuietly(), flushIntervalMs) : null;
    this.timer?.unref();
  }

  /** Applies every readable line in order, then opens the file for appending. */
  open(apply: (line: L) => void): void {
    let text = '';
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch {
      // first start
    }
    const end = text.lastIndexOf('\n') + 1;
    if (end < text.length) {
      this.logger.warn(`dropping a torn last line of the ${this.what}`, { bytes: Buffer.byteLength(text.slice(end)) });
      fs.truncateSync(this.file, Buffer.byteLength(text.slice(0, end)));
    }
    let bad = 0;
    for (const raw of text.slice(0, end).split('\n')) {
      if (!raw) continue;
      try {
        apply(JSON.parse(raw) as L);
        this.lines++;
      } catch {
        bad++;
      }
    }
    if (bad) this.logger.warn(`skipped unreadable lines in the ${this.what}`, { lines: bad });
    this.fd = fs.openSync(this.file, 'a');
  }

  append(line: L): void {
    if (this.fd < 0) throw new LogError(LogErrorCode.KAFKA_STORAGE_ERROR, `The ${this.what} ${this.file} is closed`);
    const bytes = Buffer.from(JSON.stringify(line) + '\n');
    let done = 0;
    while (done < bytes.length) done += fs.writeSync(this.fd, bytes, done);
    this.lines++;
    this.dirty = true;
  }

  /** Replaces the file with `lines`, atomically (the old file stays until the rename). */
  rewrite(lines: L[]): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    writeFileAtomic(this.file, lines.map((l) => JSON.stringify(l) + '\n').join(''));
    this.logger.debug(`compacted the ${this.what}`, { before: this.lines, after: lines.length });
    this.lines = lines.length;
    this.dirty = false;
    this.fd = fs.openSync(this.file, 'a');
  }

  flush(): void {
    if (!this.dirty || this.fd < 0) return;
    fs.fsyncSync(this.fd);
    this.dirty = false;
  }

  private flushQuietly(): void {
    try {
      this.flush();
    } catch (err) {
      this.logger.error(`periodic fsync of the ${this.what} failed`, { error: (err as Error).message });
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.fd < 0) return;
    this.flush();
    fs.closeSync(this.fd);
    this.fd = -1;
  }
}
