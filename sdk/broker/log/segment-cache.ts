/**
 * Read descriptors of closed segments, least recently used closed first, so that a broker with
 * thousands of old segments keeps a bounded number of files open.
 */
import * as fs from 'fs';

export class FdCache {
  private readonly open = new Map<string, number>();

  constructor(readonly limit = 128) {}

  get(path: string): number {
    const fd = this.open.get(path);
    if (fd !== undefined) {
      // Re-insert to mark as most recently used (Map keeps insertion order).
      this.open.delete(path);
      this.open.set(path, fd);
      return fd;
    }
    while (this.open.size >= this.limit) {
      const [oldest, oldFd] = this.open.entries().next().value as [string, number];
      this.open.delete(oldest);
      fs.closeSync(oldFd);
    }
    const opened = fs.openSync(path, 'r');
    this.open.set(path, opened);
    return opened;
  }

  /** Closes the descriptor of `path` if one is open (before deleting or rewriting the file). */
  release(path: string): void {
    const fd = this.open.get(path);
    if (fd === undefined) return;
    this.open.delete(path);
    fs.closeSync(fd);
  }

  get size(): number {
    return this.open.size;
  }

  closeAll(): void {
    for (const fd of this.open.values()) fs.closeSync(fd);
    this.open.clear();
  }
}
