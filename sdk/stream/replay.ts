/**
 * Replay pacing, independent of Kafka: records from several partitions come out in timestamp
 * order (each partition's own order kept), each at start + (timestamp - first) / speed.
 */
import { KafkalabError } from '../util/errors';

export function checkSpeed(speed: number | undefined): number {
  const s = speed ?? 1;
  if (!(s > 0)) throw new KafkalabError(`Invalid replay speed ${speed}`, { code: 'BAD_OPTION', hint: 'use a positive number (1 = real time, 60 = a minute per second) or Infinity' });
  return s;
}

export class Pacer {
  private first: number | undefined;
  private startedAt = 0;
  constructor(readonly speed: number) {}

  /** Milliseconds to wait before the record with this timestamp is due (0 when it is). */
  delay(ts: number, now = Date.now()): number {
    if (this.speed === Infinity) return 0;
    if (this.first === undefined) {
      this.first = ts;
      this.startedAt = now;
      return 0;
    }
    const due = this.startedAt + Math.max(0, ts - this.first) / this.speed;
    return Math.max(0, due - now);
  }
}

/**
 * K-way merge by timestamp of per-partition sequences. Only a partition's head is compared, so
 * records of one partition keep their offset order even when their timestamps go backwards.
 */
export function mergeByTime<T extends { timestamp: number }>(parts: T[][]): T[] {
  const idx = parts.map(() => 0);
  const out: T[] = [];
  const total = parts.reduce((s, p) => s + p.length, 0);
  while (out.length < total) {
    let best = -1;
    for (let i = 0; i < parts.length; i++) {
      if (idx[i] < parts[i].length && (best < 0 || parts[i][idx[i]].timestamp < parts[best][idx[best]].timestamp)) best = i;
    }
    out.push(parts[best][idx[best]++]);
  }
  return out;
}

