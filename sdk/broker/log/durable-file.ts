/**
 * Small-file durability helpers: a replace that leaves either the old or the new content on
 * disk whatever happens (write a temp file, fsync it, rename over, fsync the directory), and a
 * per-process plus per-machine lock on a data directory.
 */
import * as fs from 'fs';
import * as path from 'path';
import { LogError, LogErrorCode } from './config';

export function writeFileAtomic(file: string, data: string | Buffer): void {
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  fsyncDir(path.dirname(file));
}

export function fsyncFile(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = fs.openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fs.fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on directories; the rename itself is still atomic.
  } finally {
    fs.closeSync(fd);
  }
}

const lockedHere = new Set<string>();

/** Who holds a directory lock that was refused: another open instance here, or another live process. */
export interface LockHolder {
  pid: number;
  sameProcess: boolean;
}

/**
 * Takes `<dir>/<name>` for this process: refuses a directory another live process (or another
 * open instance in this one) holds. A lock left by a killed process is taken over. `refuse`
 * builds the error for a held lock (a storage error naming `what` unless the caller says otherwise).
 */
export function lockDir(
  dir: string,
  what: string,
  name = '.lock',
  refuse: (resolvedDir: string, holder: LockHolder) => Error = (resolvedDir, holder) => storageLockError(what, resolvedDir, holder),
): () => void {
  const resolved = path.resolve(dir);
  const lockFile = path.join(resolved, name);
  if (lockedHere.has(lockFile)) throw refuse(resolved, { pid: process.pid, sameProcess: true });
  let holder = NaN;
  try {
    holder = Number(fs.readFileSync(lockFile, 'utf8').trim());
  } catch {
    /* no lock yet */
  }
  if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
    throw refuse(resolved, { pid: holder, sameProcess: false });
  }
  fs.writeFileSync(lockFile, String(process.pid));
  lockedHere.add(lockFile);
  return () => {
    lockedHere.delete(lockFile);
    try {
      if (fs.readFileSync(lockFile, 'utf8').trim() === String(process.pid)) fs.rmSync(lockFile, { force: true });
    } catch {
      /* already gone */
    }
  };
}

function storageLockError(what: string, resolvedDir: string, holder: LockHolder): LogError {
  return new LogError(
    LogErrorCode.KAFKA_STORAGE_ERROR,
    holder.sameProcess
      ? `${what} ${resolvedDir} is already open in this process; close the other instance first`
      : `${what} ${resolvedDir} is in use by process ${holder.pid}; stop that broker or choose another data directory`,
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
