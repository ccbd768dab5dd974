/**
 * Sequential walk over the batches of a segment file, in large chunked reads. Used to recover
 * the active segment (with CRC checks) and to rebuild missing or inconsistent indexes.
 */
import * as fs from 'fs';
import { batchSizeAt, checkBatch, LOG_OVERHEAD } from './batch';

const CHUNK = 1 << 20;

/**
 * `visit` sees each complete, well-formed batch in `buf` at `at` with its file position and
 * returns a reason string to stop there (e.g. offsets going backwards), or undefined to go on.
 */
export type BatchVisitor = (buf: Buffer, at: number, position: number) => string | undefined;

export interface ScanResult {
  /** File position just after the last good batch. */
  validEnd: number;
  /** Why the scan stopped before `end`, if it did. */
  error?: string;
}

export function readFully(fd: number, buf: Buffer, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

export function scanBatches(
  fd: number,
  start: number,
  end: number,
  verifyCrc: boolean,
  visit: BatchVisitor,
  chunkBytes = CHUNK,
): ScanResult {
  let chunk = Buffer.allocUnsafe(Math.min(chunkBytes, Math.max(end - start, LOG_OVERHEAD)));
  let pos = start;
  while (pos < end) {
    const n = readFully(fd, chunk, Math.min(chunk.length, end - pos), pos);
    if (n < Math.min(chunk.length, end - pos)) return { validEnd: pos, error: 'file shorter than expected' };
    let at = 0;
    for (;;) {
      const size = batchSizeAt(chunk, at, n);
      if (size < 0) break; // header continues in the next chunk
      if (at + size > n) {
        if (pos + at + size > end) return { validEnd: pos + at, error: 'truncated batch' };
        if (at === 0) chunk = Buffer.allocUnsafe(size); // one batch larger than the chunk
        break;
      }
      const problem = checkBatch(chunk, at, at + size, verifyCrc) ?? visit(chunk, at, pos + at);
      if (problem) return { validEnd: pos + at, error: problem };
      at += size;
    }
    if (at === 0 && end - pos < LOG_OVERHEAD) return { validEnd: pos, error: 'truncated header' };
    pos += at;
  }
  return { validEnd: pos };
}
