/**
 * What closed segments share under one LogManager, so that a broker with thousands of old
 * segments stays bounded: read descriptors (least recently used closed first) and resident
 * indexes (least recently used unloaded first; they reload from their files on next use).
 * Active segments keep their own descriptor and indexes and are not counted here.
 */
import * as fs from 'fs';

export class SegmentCache {
  private readonly fds = new Map<string, number>();
  private readonly indexes = new Map<object, () => void>();

  readonly maxOpenFiles: number;
  readonly maxResidentIndexes: number;

  constructor(maxOpenFiles = 128, maxResidentIndexes = 256) {
    // At least one of each: the segment being read must keep its own descriptor and indexes.
    this.maxOpenFiles = Math.max(1, maxOpenFiles);
    this.maxResidentIndexes = Math.max(1, maxResidentIndexes);
  }

  /** A read descriptor for `path`, opening it (and maybe closing the stalest) when needed. */
  fd(path: string): number {
    const fd = this.fds.get(path);
    if (fd !== undefined) {
      // Re-insert to mark as most recently used (Map keeps insertion order).
      this.fds.delete(path);
      this.fds.set(path, fd);
      return fd;
    }
    while (this.fds.size >= this.maxOpenFiles) {
      const [oldest, oldFd] = this.fds.entries().next().value as [string, number];
      this.fds.delete(oldest);
      fs.closeSync(oldFd);
    }
    const opened = fs.openSync(path, 'r');
    this.fds.set(path, opened);
    return opened;
  }

  /** Closes the descriptor of `path` if one is open (before deleting or rewriting the file). */
  release(path: string): void {
    const fd = this.fds.get(path);
    if (fd === undefined) return;
    this.fds.delete(path);
    fs.closeSync(fd);
  }

  /** Marks `owner`'s indexes as just used; unloads the least recently used beyond the limit. */
  touchIndexes(owner: object, unload: () => void): void {
    this.indexes.delete(owner);
    this.indexes.set(owner, unload);
    while (this.indexes.size > this.maxResidentIndexes) {
      const [stalest, unloadStalest] = this.indexes.entries().next().value as [object, () => void];
      this.indexes.delete(stalest);
      unloadStalest();
    }
  }

  forgetIndexes(owner: object): void {
    this.indexes.delete(owner);
  }

  get openFiles(): number {
    return this.fds.size;
  }

  get residentIndexes(): number {
    return this.indexes.size;
  }

  closeAll(): void {
    for (const fd of this.fds.values()) fs.closeSync(fd);
    this.fds.clear();
    this.indexes.clear();
  }
}
