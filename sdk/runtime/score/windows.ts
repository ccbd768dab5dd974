/**
 * Window state that survives rebalances and restarts: one FeatureState per source partition,
 * where it stands (the next offset it expects), a checkpoint the consumer commits with each
 * offset, and the restore a partition's new owner (or the same owner replaying after a failed
 * commit) runs before it scores.
 *
 * The checkpoint is one number, carried in the offset commit's metadata string, atomically with
 * the offset it belongs to: the smallest source offset any key's windows still hold
 * (`FeatureState.earliest()`). A key's window statistics depend only on its last `depth`
 * readings, in order (features.ts sums them oldest first, wherever the ring starts), so
 * re-feeding every record from that offset up to the committed one into an empty state gives
 * every key the same features, to the bit, as an uninterrupted run. The restore reads only that
 * tail of the partition: its length is set by the window sizes and how the keys interleave (a
 * key silent for long holds it back), not by the partition's length. No changelog topic: nothing
 * more is written per batch than the commit that happens anyway.
 *
 * Where the checkpoint cannot be used (a commit without it: an older app, offsets reset by an
 * operator, or a commit beyond the offset to restore to), the restore reads the partition from
 * its log start, which is exact but unbounded, and says so. A group that never committed starts
 * its windows empty, as a notebook's `score()` over the records from where the group starts.
 */
import type { FeatureState } from './features';

/** The commit metadata's prefix; what follows is the offset the restore reads from. */
export const WINDOW_CHECKPOINT = 'kafkalab.windows/1 from=';

/**
 * The commit metadata that lets a partition's next owner rebuild `state` (and `others`: a shadow
 * model's state beside the live one, whose windows may reach further back), positioned at `next`.
 */
export function windowCheckpoint(state: FeatureState, next: number, ...others: FeatureState[]): string {
  let from = next;
  for (const s of [state, ...others]) {
    const earliest = s.earliest();
    // NaN: some row was pushed without its offset; then there is nothing honest to write.
    if (earliest !== undefined && Number.isNaN(earliest)) return '';
    if (earliest !== undefined && earliest < from) from = earliest;
  }
  return WINDOW_CHECKPOINT + String(from);
}

/** The offset a checkpoint says to restore from, or undefined when `metadata` is not one. */
export function checkpointFrom(metadata: string | null | undefined): number | undefined {
  if (!metadata || !metadata.startsWith(WINDOW_CHECKPOINT)) return undefined;
  const text = metadata.slice(WINDOW_CHECKPOINT.length);
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** A record as the restore reads it (kafkajs's shape: offsets as decimal strings). */
export interface WindowRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
}

/** What a restore needs from Kafka and from the scoring path; the consumer provides it. */
export interface WindowSource<R extends WindowRecord = WindowRecord> {
  /** The group's committed offset of the partition (-1 when none) and the commit's metadata. */
  committed(partition: number): Promise<{ offset: number; metadata: string | null }>;
  /** The partition's first offset still in the log. */
  logStart(partition: number): Promise<number>;
  /** Every data record of the partition in [from, to), in offset order, in chunks (control records and aborted transactions left out). */
  read(partition: number, from: number, to: number, onRecords: (records: R[]) => void | Promise<void>): Promise<void>;
  /** Decodes and prepares records in order into `state` exactly as scoring does (the output is not needed); may wait (e.g. for schemas). */
  feed(records: R[], partition: number, state: FeatureState): void | Promise<void>;
}

export interface RestoreReport {
  partition: number;
  /**
   * catch-up: the state was behind (records skipped between batches) and read up;
   * checkpoint: rebuilt from the commit's checkpoint; log-start: rebuilt from the log start
   * (no usable checkpoint); empty: nothing before `to` belongs to this group's stream.
   */
  kind: 'catch-up' | 'checkpoint' | 'log-start' | 'empty';
  from: number;
  to: number;
  /** Records read and fed. */
  records: number;
  /** Keys with window state afterwards. */
  keys: number;
  ms: number;
  /** Of `ms`, the time spent asking for the commit and the log start (before any record is read). */
  lookupMs: number;
  /** The checkpoint pointed below the log start (retention deleted records a window held): the windows are as exact as the log allows. */
  truncated?: boolean;
}

interface Part {
  state: FeatureState;
  /** Every record below this offset is in `state`; the next record must be this one. */
  next: number;
}

/** The window state of each partition a consumer owns. */
export class PartitionWindows {
  private readonly parts = new Map<number, Part>();

  constructor(private readonly create: () => FeatureState) {}

  /** The partition's state when it stands at `offset` (the next record to score), else undefined: restore first. */
  at(partition: number, offset: number): FeatureState | undefined {
    const p = this.parts.get(partition);
    return p && p.next === offset ? p.state : undefined;
  }

  /** Whether the partition has state (restored, or being restored). */
  has(partition: number): boolean {
    return this.parts.has(partition);
  }

  /** `state` (the partition's, from `at` or `restore`) now holds every record below `next`. */
  advance(partition: number, state: FeatureState, next: number): void {
    const p = this.parts.get(partition);
    if (p && p.state === state) p.next = next;
  }

  /** The commit metadata for the partition's offset `next` (see windowCheckpoint; `others`: a shadow model's state). */
  checkpoint(state: FeatureState, next: number, ...others: FeatureState[]): string {
    return windowCheckpoint(state, next, ...others);
  }

  /**
   * Takes over another model version's windows, partition by partition, positions included (a
   * model swapped in between batches): a copy where both keep the same windows under the same
   * key (FeatureState.inherit), else empty windows that fill from the swap on.
   */
  inherit(other: PartitionWindows): void {
    this.parts.clear();
    for (const [partition, p] of other.parts) {
      const state = this.create();
      state.inherit(p.state);
      this.parts.set(partition, { state, next: p.next });
    }
  }

  /** Forgets the partitions not in `owned` (after a rebalance took them away). */
  keep(owned: Iterable<number>): void {
    const keep = new Set(owned);
    for (const p of [...this.parts.keys()]) if (!keep.has(p)) this.parts.delete(p);
  }

  /** Partitions with state, and how many keys each holds. */
  sizes(): Map<number, number> {
    return new Map([...this.parts].map(([p, s]) => [p, s.state.size]));
  }

  /**
   * Makes the partition's state stand at `to` (the first offset about to be scored): reads up a
   * state that is behind, or rebuilds it from the commit's checkpoint (else the log start).
   */
  async restore<R extends WindowRecord>(partition: number, to: number, source: WindowSource<R>): Promise<{ state: FeatureState; report: RestoreReport }> {
    const started = process.hrtime.bigint();
    const current = this.parts.get(partition);
    let kind: RestoreReport['kind'];
    let from: number;
    let state: FeatureState;
    let truncated = false;
    let lookupMs = 0;
    if (current && current.next < to) {
      kind = 'catch-up';
      from = current.next;
      state = current.state;
    } else {
      state = this.create();
      // Both lookups at once: one round trip less before the first batch.
      const [committed, start] = await Promise.all([source.committed(partition), source.logStart(partition)]);
      lookupMs = Number(process.hrtime.bigint() - started) / 1e6;
      const checkpoint = committed.offset >= 0 && committed.offset <= to ? checkpointFrom(committed.metadata) : undefined;
      if (committed.offset < 0) {
        kind = 'empty';
        from = to;
      } else {
        kind = checkpoint === undefined ? 'log-start' : 'checkpoint';
        from = Math.min(to, checkpoint ?? start);
        if (from < start) {
          truncated = true;
          from = start;
        }
      }
    }
    this.parts.set(partition, { state, next: from });
    let records = 0;
    if (from < to) {
      await source.read(partition, from, to, async (batch) => {
        records += batch.length;
        await source.feed(batch, partition, state);
      });
    }
    this.parts.set(partition, { state, next: to });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    return { state, report: { partition, kind, from, to, records, keys: state.size, ms, lookupMs, ...(truncated ? { truncated } : {}) } };
  }
}
