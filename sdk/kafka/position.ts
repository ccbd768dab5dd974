/**
 * Positions in a topic ('earliest', 'latest', an offset, a time, a per-partition map) and their
 * resolution into offset ranges. Parsing and resolution are pure; the broker is asked for
 * watermarks and for the offsets of timestamps (ListOffsets), never scanned.
 */
import { KafkalabError } from '../util/errors';
import { parseDuration } from '../util/duration';

export type Position = 'earliest' | 'latest' | 'now' | number | bigint | Date | string | { [partition: number]: number | string };

export type PositionSpec =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'offset'; offset: number }
  | { kind: 'time'; ts: number }
  | { kind: 'map'; offsets: Map<number, number> };

const ISO = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+)?(Z|[+-]\d{2}:?\d{2})?$/;
const RELATIVE = /^-\s*(\d+(?:\.\d+)?\s*(ms|s|m|h|d|w))$/;

const HINT = "use 'earliest', 'latest', an offset, a Date, an ISO-8601 time, a relative time such as '-15m', or { [partition]: offset }";

/** `now` is the reference for relative times ('-15m' means 15 minutes before now). */
export function parsePosition(p: Position, now = Date.now(), what = 'position'): PositionSpec {
  if (p === 'earliest') return { kind: 'earliest' };
  if (p === 'latest') return { kind: 'latest' };
  if (p === 'now') return { kind: 'time', ts: now };
  if (typeof p === 'bigint') p = Number(p);
  if (typeof p === 'number') {
    if (!Number.isSafeInteger(p) || p < 0) throw bad(what, String(p));
    return { kind: 'offset', offset: p };
  }
  if (p instanceof Date) {
    if (Number.isNaN(p.getTime())) throw bad(what, 'Invalid Date');
    return { kind: 'time', ts: p.getTime() };
  }
  if (typeof p === 'string') {
    const s = p.trim();
    if (/^\d+$/.test(s)) return parsePosition(Number(s), now, what);
    const rel = RELATIVE.exec(s);
    if (rel) return { kind: 'time', ts: now - parseDuration(rel[1].replace(/\s+/g, ''), what) };
    if (ISO.test(s)) {
      const ts = Date.parse(s);
      if (!Number.isNaN(ts)) return { kind: 'time', ts };
    }
    throw bad(what, JSON.stringify(p));
  }
  if (p !== null && typeof p === 'object') {
    const offsets = new Map<number, number>();
    for (const [k, v] of Object.entries(p)) {
      const partition = Number(k);
      const offset = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
      if (!Number.isInteger(partition) || partition < 0 || typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
        throw bad(what, JSON.stringify(p));
      }
      offsets.set(partition, offset);
    }
    if (!offsets.size) throw bad(what, '{}');
    return { kind: 'map', offsets };
  }
  throw bad(what, String(p));
}

function bad(what: string, shown: string): KafkalabError {
  return new KafkalabError(`Invalid ${what} ${shown}`, { code: 'BAD_POSITION', hint: HINT });
}

export interface PartitionBounds {
  partition: number;
  /** log start offset */
  low: number;
  /** high watermark: the offset the next record will get */
  high: number;
}

/** Offsets of the first record at or after each timestamp, per partition (-1 or high when none). */
export type TimeOffsets = Map<number, Map<number, number>>;

/** The timestamps a pair of positions needs looked up. */
export function timestampsOf(...specs: PositionSpec[]): number[] {
  const out = new Set<number>();
  for (const s of specs) if (s.kind === 'time') out.add(s.ts);
  return [...out];
}

/** The partitions a read covers: explicit ones, else those of a `from` map, else all. */
export function partitionsToRead(all: number[], from: PositionSpec, explicit?: number[]): number[] {
  if (explicit) {
    for (const p of explicit) {
      if (!all.includes(p)) {
        throw new KafkalabError(`Partition ${p} does not exist`, { code: 'UNKNOWN_PARTITION', hint: `the topic has partitions ${all.join(', ')}` });
      }
    }
    return [...explicit].sort((a, b) => a - b);
  }
  if (from.kind === 'map') return partitionsToRead(all, { kind: 'earliest' }, [...from.offsets.keys()]);
  return [...all].sort((a, b) => a - b);
}

/** One position of one partition as an offset within [low, high]. */
export function resolveOffset(spec: PositionSpec, b: PartitionBounds, times: TimeOffsets, side: 'from' | 'to'): number {
  const clamp = (o: number) => Math.min(Math.max(o, b.low), b.high);
  switch (spec.kind) {
    case 'earliest':
      return b.low;
    case 'latest':
      return b.high;
    case 'offset':
      return clamp(spec.offset);
    case 'map': {
      const o = spec.offsets.get(b.partition);
      if (o === undefined) return side === 'from' ? b.low : b.high;
      return clamp(o);
    }
    case 'time': {
      const o = times.get(spec.ts)?.get(b.partition);
      // No record at or after that time: the position is the end of the partition.
      if (o === undefined || o < 0) return b.high;
      return clamp(o);
    }
  }
}

export interface OffsetRange {
  partition: number;
  /** first offset to read */
  from: number;
  /** offset to stop before (exclusive) */
  to: number;
}

/** [from, to) per partition; an empty range when `to` is not after `from`. */
export function resolveRanges(
  from: PositionSpec,
  to: PositionSpec,
  bounds: PartitionBounds[],
  times: TimeOffsets,
): OffsetRange[] {
  return bounds.map((b) => {
    const start = resolveOffset(from, b, times, 'from');
    const end = resolveOffset(to, b, times, 'to');
    return { partition: b.partition, from: start, to: Math.max(start, end) };
  });
}
