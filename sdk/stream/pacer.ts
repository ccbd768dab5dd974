/**
 * Replay pacing, independent of Kafka: each record is due at start + (timestamp - first) / speed.
 * (The replay itself, over a topic, is sdk/kafka/replay.ts.)
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
