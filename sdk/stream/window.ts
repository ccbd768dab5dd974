/**
 * Event-time windows: tumbling (slide = size) or hopping (slide < size), optionally per key.
 * As in Kafka Streams and Flink, event time advances per source partition (rows carry
 * `_partition`): the watermark is the smallest of the partitions' largest event times, minus the
 * allowed lateness, so a partition read behind the others does not make its records late.
 * Partitions the source announced count before their first record; a partition that ended, or
 * sent nothing for `idle`, stops holding the watermark back. A window is emitted, once and
 * final, when the watermark passes its end. Records for windows already emitted are late: they
 * are counted and dropped. A finite source flushes the windows still open at its end.
 *
 * Across runs (a group's restart or rebalance): the run commits offsets only below the oldest
 * record an open window holds, so the next reader re-reads what open windows need and rebuilds
 * them. It also commits how far its windows were emitted and acknowledged (`emitted`, per
 * partition, in the commit's metadata): re-read records of windows ending at or before that
 * are skipped, so an emitted window is never emitted again from part of its records. Windows of
 * a partition this reader lost are dropped: its new owner rebuilds them.
 */
import { KafkalabError } from '../util/errors';
import { parseDuration } from '../util/duration';
import type { Lineage, Operator, Row, SinceBy } from './operators';
import type { Progress } from './queue';

export interface WindowOptions {
  size: string | number;
  /** Hop between window starts; default = size (tumbling). */
  slide?: string | number;
  /** Key field: one window series per distinct value. */
  by?: string;
  /** Event-time field (epoch ms, Date or ISO string); default `_timestamp`. */
  time?: string;
  /** How far behind the watermark a record may arrive and still count (default 0). */
  lateness?: string | number;
  /**
   * A partition that sent no record for this long (processing time) stops holding the
   * watermark back until it sends again (Flink's idleness). Default 10s.
   */
  idle?: string | number;
}

export const AGG_FUNCTIONS = ['count', 'sum', 'mean', 'min', 'max', 'std', 'first', 'last'] as const;
export type AggFunction = (typeof AGG_FUNCTIONS)[number];
export type AggSpec = Record<string, AggFunction | AggFunction[]>;

export interface WindowStats {
  /** Records dropped because every window they belong to had been emitted. */
  late: number;
  /** Records without a usable event time. */
  untimed: number;
  watermark: number;
}

class Acc {
  n = 0;
  sum = 0;
  mean = 0;
  m2 = 0;
  min = Infinity;
  max = -Infinity;
  first: unknown = undefined;
  last: unknown = undefined;
  add(v: unknown): void {
    if (v === null || v === undefined) return;
    if (this.first === undefined) this.first = v;
    this.last = v;
    const x = typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : Number(v);
    this.n++;
    if (Number.isNaN(x)) return;
    this.sum += x;
    const d = x - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (x - this.mean);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
  }
  value(fn: AggFunction): unknown {
    switch (fn) {
      case 'count':
        return this.n;
      case 'sum':
        return this.sum;
      case 'mean':
        return this.n ? this.mean : null;
      case 'min':
        return this.n ? this.min : null;
      case 'max':
        return this.n ? this.max : null;
      case 'std':
        return this.n > 1 ? Math.sqrt(this.m2 / (this.n - 1)) : null;
      case 'first':
        return this.first ?? null;
      case 'last':
        return this.last ?? null;
    }
  }
}

interface Bucket {
  start: number;
  key: unknown;
  count: number;
  accs: Acc[];
  /** The oldest input batch behind this window's rows: its offsets stay uncommitted until the window is emitted. */
  since: number;
  /** The source partition of its rows, while they come from one (keyed windows over keyed records). */
  partition: unknown;
  mixed: boolean;
}

export function eventTime(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string') return /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  return NaN;
}

const PARTITION_FIELD = '_partition';

/** Per-partition event time; the watermark is the minimum over partitions that still count. */
class Watermarks {
  private readonly max = new Map<unknown, number>();
  private readonly lastSeen = new Map<unknown, number>();
  private readonly announced = new Set<unknown>();
  private readonly ended = new Set<unknown>();
  /** Rows without `_partition` (a map() dropped it): announcements cannot be matched then. */
  private partitioned = false;
  value = -Infinity;

  constructor(private readonly idleMs: number) {}

  announce(partitions: number[], now: number): void {
    const next = new Set<unknown>(partitions);
    for (const p of this.announced) if (!next.has(p)) this.ended.add(p); // revoked
    for (const p of next) {
      this.ended.delete(p);
      this.announced.add(p);
      if (!this.lastSeen.has(p)) this.lastSeen.set(p, now);
    }
  }

  end(partitions: number[]): void {
    for (const p of partitions) this.ended.add(p);
  }

  /** Returns true when the partition's event time advanced. */
  observe(partition: unknown, t: number, now: number): boolean {
    if (partition !== undefined) this.partitioned = true;
    this.lastSeen.set(partition, now);
    this.ended.delete(partition);
    if (t > (this.max.get(partition) ?? -Infinity)) {
      this.max.set(partition, t);
      return true;
    }
    return false;
  }

  update(now: number): number {
    let min = Infinity;
    let newest = -Infinity;
    const consider = (p: unknown) => {
      const m = this.max.get(p) ?? -Infinity;
      if (m > newest) newest = m;
      if (this.ended.has(p) || now - (this.lastSeen.get(p) ?? now) > this.idleMs) return;
      if (m < min) min = m;
    };
    for (const p of this.max.keys()) consider(p);
    if (this.partitioned) for (const p of this.announced) if (!this.max.has(p)) consider(p);
    // Every partition ended or idle: nothing left to wait for.
    const wm = min === Infinity ? newest : min;
    if (wm > this.value) this.value = wm;
    return this.value;
  }
}

export function windowOp(opts: WindowOptions, spec: AggSpec, stats: WindowStats): Operator {
  const size = parseDuration(opts.size, 'window size');
  const slide = opts.slide === undefined ? size : parseDuration(opts.slide, 'window slide');
  const lateness = opts.lateness === undefined ? 0 : parseDuration(opts.lateness, 'allowed lateness');
  if (size <= 0 || slide <= 0 || slide > size) {
    throw new KafkalabError(`Invalid window size ${opts.size} / slide ${opts.slide}`, {
      code: 'BAD_OPTION',
      hint: 'size and slide must be positive and slide at most size (tumbling: omit slide)',
    });
  }
  const idle = opts.idle === undefined ? 10_000 : parseDuration(opts.idle, 'idle timeout');
  const timeField = opts.time ?? '_timestamp';
  const by = opts.by;
  const fields: { field: string; fn: AggFunction; name: string }[] = [];
  for (const [field, fns] of Object.entries(spec)) {
    for (const fn of Array.isArray(fns) ? fns : [fns]) {
      if (!AGG_FUNCTIONS.includes(fn)) {
        throw new KafkalabError(`Unknown aggregation "${fn}" for "${field}"`, { code: 'BAD_OPTION', hint: `use ${AGG_FUNCTIONS.join(', ')}` });
      }
      fields.push({ field, fn, name: `${field}_${fn}` });
    }
  }
  const distinctFields = [...new Set(fields.map((f) => f.field))];
  const accIndex = fields.map((f) => distinctFields.indexOf(f.field));
  const open = new Map<string, Bucket>();
  const marks = new Watermarks(idle);
  stats.watermark = -Infinity;
  const advance = (now: number) => {
    stats.watermark = marks.update(now) - lateness;
  };

  /** Per partition: windows ending at or before this were emitted by an earlier run (commit metadata). */
  const floors = new Map<unknown, number>();
  let lowestFloor = -Infinity;
  let owned = new Set<unknown>();
  const floorOf = (partition: unknown): number => (partition === undefined ? lowestFloor : floors.get(partition) ?? -Infinity);

  let held: number | undefined;
  let heldBy: SinceBy = new Map();
  /** Buckets of rows from one partition count for it; others (mixed, unknown) for every partition. */
  const addSince = (by: SinceBy, b: Bucket) => {
    const key = b.mixed ? undefined : b.partition;
    if (b.since < (by.get(key) ?? Infinity)) by.set(key, b.since);
  };
  const recountHeld = () => {
    held = undefined;
    heldBy = new Map();
    for (const b of open.values()) {
      if (held === undefined || b.since < held) held = b.since;
      addSince(heldBy, b);
    }
  };
  const emit = (all: boolean, lineage: Lineage | undefined): Row[] => {
    const ready: Bucket[] = [];
    let oldestOut = Infinity;
    const outBy: SinceBy = new Map();
    for (const [id, b] of open) {
      if (all || b.start + size <= stats.watermark) {
        ready.push(b);
        open.delete(id);
        if (b.since < oldestOut) oldestOut = b.since;
        addSince(outBy, b);
      }
    }
    recountHeld();
    if (lineage) {
      // An emitted window derives from inputs as old as its first row, not from this batch.
      lineage.since = oldestOut;
      lineage.sinceBy = outBy;
      lineage.origin = undefined;
    }
    ready.sort((a, b) => a.start - b.start || String(a.key).localeCompare(String(b.key)));
    return ready.map((b) => {
      const row: Row = { window_start: b.start, window_end: b.start + size };
      if (by !== undefined) row[by] = b.key;
      row.count = b.count;
      for (let i = 0; i < fields.length; i++) row[fields[i].name] = b.accs[accIndex[i]].value(fields[i].fn);
      return row;
    });
  };

  return {
    process(rows, lineage) {
      const since = lineage?.since ?? 0;
      const now = Date.now();
      advance(now); // partitions may have gone idle since the last batch
      for (const r of rows) {
        const t = eventTime(r[timeField]);
        if (!Number.isFinite(t)) {
          stats.untimed++;
          continue;
        }
        const key = by === undefined ? null : r[by] ?? null;
        const partition = r[PARTITION_FIELD];
        const floor = floorOf(partition);
        let counted = false;
        let reread = false;
        // Window starts s with s <= t < s + size, aligned to multiples of slide.
        for (let s = Math.floor(t / slide) * slide; s > t - size; s -= slide) {
          if (s + size <= floor) {
            reread = true; // emitted by an earlier run: this record was read again after a restart
            continue;
          }
          if (s + size <= stats.watermark) continue; // already emitted: late for this window
          const id = `${s}\u0000${key}`;
          let b = open.get(id);
          if (!b) {
            b = { start: s, key, count: 0, accs: distinctFields.map(() => new Acc()), since, partition, mixed: false };
            open.set(id, b);
          } else if (b.partition !== partition) b.mixed = true;
          b.count++;
          if (since < b.since) b.since = since;
          for (let i = 0; i < distinctFields.length; i++) b.accs[i].add(r[distinctFields[i]]);
          counted = true;
        }
        if (!counted && !reread) stats.late++;
        if (marks.observe(r[PARTITION_FIELD], t, now)) advance(now);
      }
      return emit(false, lineage);
    },
    progress(p: Progress) {
      const now = Date.now();
      if (p.partitions) {
        const next = new Set<unknown>(p.partitions);
        const revoked = [...owned].filter((x) => !next.has(x));
        owned = next;
        if (revoked.length) {
          // Their new owner re-reads what these windows hold (it was never committed) and emits them whole.
          for (const [id, b] of open) if (!b.mixed && revoked.includes(b.partition)) open.delete(id);
          for (const x of revoked) floors.delete(x);
          recountHeld();
        }
        marks.announce(p.partitions, now);
      }
      if (p.emitted) for (const [partition, floor] of p.emitted) floors.set(partition, floor);
      if (p.partitions || p.emitted) lowestFloor = floors.size && [...owned].every((x) => floors.has(x)) ? Math.min(...floors.values()) : -Infinity;
      if (p.ended) marks.end(p.ended);
      advance(now);
    },
    flush: (lineage) => emit(true, lineage),
    holding: () => held,
    holdingBy: () => heldBy,
    emittedThrough: () => stats.watermark,
  };
}
