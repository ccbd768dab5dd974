/**
 * Which input offsets a run may commit. At-least-once by construction: an input batch's read
 * positions become committable only when
 *   - every output row derived from it was acknowledged (written to Kafka with acks=all by a
 *     job, or handed to a loop that then asked for more), and
 *   - no operator still holds rows derived from it (a window not yet emitted).
 * Input batches are numbered in the order the run reads them; the operators carry, with their
 * output, the oldest input batch it derives from (Lineage.since), so a window emitted late keeps
 * the inputs it aggregates uncommitted until its own row is acknowledged.
 *
 * A consumer may acknowledge part of an output batch (take(n) keeps n rows): when the rows can
 * be traced to their input rows (no aggregation between), the input records up to the last
 * kept row's become committable too.
 */
import type { Lineage, SinceBy } from './operators';

/** The source position of each input row of a traced batch. */
export interface InputTrace {
  partitions: Int32Array;
  offsets: Float64Array;
}

interface Output {
  /** Run-wide row numbers [start, end) of this output batch. */
  start: number;
  end: number;
  /** Input batch it was produced while reading. */
  seq: number;
  since: number;
  /** Per source partition, when known (windows): the oldest input batch behind it. */
  sinceBy?: SinceBy;
  acked: number;
  origin?: number[];
  trace?: InputTrace;
  /** Partitions revoked after this output was made: its trace must not commit them. */
  revoked?: Set<number>;
}

/** The smallest batch number for partition `p` in a per-partition map (`undefined` = every partition). */
function oldestFor(by: SinceBy, p: number): number {
  return Math.min(by.get(p) ?? Infinity, by.get(undefined) ?? Infinity);
}

export class OffsetLedger {
  private seq = 0;
  /** Input batches with positions not yet committable, oldest first. */
  private inputs: { seq: number; offsets: Map<number, number> }[] = [];
  /** Output batches not fully acknowledged, oldest first. */
  private outputs: Output[] = [];
  private delivered = 0;
  private readonly committable = new Map<number, number>();
  private changed = false;
  /** Per partition, the oldest input batch the operators hold rows of. */
  private held: SinceBy = new Map();
  /** Per input batch (recent ones), the event time through which windows were emitted after it. */
  private emittedAfter: { seq: number; through: number }[] = [];

  /** Registers an input batch with its read positions; returns its sequence number. */
  input(offsets: Map<number, number> | undefined): number {
    const seq = this.seq++;
    this.inputs.push({ seq, offsets: offsets ?? new Map() });
    return seq;
  }

  /** Registers an output batch of `rows` rows made while reading input batch `seq`. */
  output(rows: number, seq: number, lineage: Lineage, trace?: InputTrace): void {
    if (rows === 0) return;
    const start = this.delivered;
    this.delivered += rows;
    this.outputs.push({
      start,
      end: this.delivered,
      seq,
      since: Math.min(seq, lineage.since),
      sinceBy: lineage.sinceBy,
      acked: 0,
      origin: lineage.origin,
      trace: lineage.origin ? trace : undefined,
    });
  }

  /** After input batch `seq`, windows were emitted through event time `through`. */
  emitted(seq: number, through: number): void {
    this.emittedAfter.push({ seq, through });
    this.emittedFloor(); // keeps only what a later answer may need
  }

  /**
   * Event time through which every window was emitted in outputs already acknowledged: those
   * before the first output still unacknowledged. Undefined before any.
   */
  emittedFloor(): number | undefined {
    const firstOpen = this.outputs[0]?.seq ?? Infinity;
    let i = -1;
    while (i + 1 < this.emittedAfter.length && this.emittedAfter[i + 1].seq < firstOpen) i++;
    if (i < 0) return undefined;
    this.emittedAfter = this.emittedAfter.slice(i);
    const through = this.emittedAfter[0].through;
    return Number.isFinite(through) ? through : undefined;
  }

  /** What the operators hold after a batch: per partition, the oldest input batch behind their state. */
  hold(by: SinceBy): void {
    this.held = by;
    this.advance();
  }

  /** The first `rows` rows the run delivered were processed (cumulative over the run). */
  ackThrough(rows: number): void {
    for (const o of this.outputs) o.acked = Math.max(o.acked, Math.min(o.end, rows) - o.start);
    this.outputs = this.outputs.filter((o) => o.start + o.acked < o.end);
    this.advance();
  }

  /** Every row delivered so far was processed. */
  ackAll(): void {
    this.ackThrough(this.delivered);
  }

  /** Partitions this reader lost: nothing of theirs may be committed from now on. */
  revoke(partitions: number[]): void {
    for (const e of this.inputs) for (const p of partitions) e.offsets.delete(p);
    for (const p of partitions) this.committable.delete(p);
    for (const o of this.outputs) if (o.trace) for (const p of partitions) (o.revoked ??= new Set()).add(p);
  }

  /** The committable offsets (partition → next offset to read) if they changed since the last call. */
  take(): Map<number, number> | undefined {
    if (!this.changed) return undefined;
    this.changed = false;
    return new Map(this.committable);
  }

  /**
   * Per partition: positions of input batches older than anything still held or unacknowledged
   * that derives from that partition are committable. A partition's position does not wait for
   * another partition's open window (keyed windows over keyed records hold one partition each).
   */
  private advance(): void {
    const limits = new Map<number, number>();
    const limitFor = (p: number): number => {
      let limit = limits.get(p);
      if (limit !== undefined) return limit;
      limit = oldestFor(this.held, p);
      for (const o of this.outputs) limit = Math.min(limit, o.sinceBy ? oldestFor(o.sinceBy, p) : o.since);
      limits.set(p, limit);
      return limit;
    };
    for (const e of this.inputs) {
      for (const [p, offset] of e.offsets) {
        if (e.seq >= limitFor(p)) continue;
        this.set(p, offset);
        e.offsets.delete(p);
      }
    }
    this.inputs = this.inputs.filter((e) => e.offsets.size > 0);
    this.commitPartOfFirst();
  }

  /**
   * A partly acknowledged output (take(n)) whose input batch is next in line, with nothing held
   * and nothing else unacknowledged: commit its inputs up to the last acknowledged row's.
   */
  private commitPartOfFirst(): void {
    const first = this.outputs[0];
    if (!first || !first.acked || !first.origin || !first.trace || this.outputs.length > 1) return;
    if (first.since !== first.seq || this.held.size || this.inputs.some((e) => e.seq < first.seq && e.offsets.size)) return;
    const last = first.origin[first.acked - 1];
    const { partitions, offsets } = first.trace;
    for (let i = 0; i <= last; i++) {
      const p = partitions[i];
      if (p < 0 || first.revoked?.has(p)) continue;
      if (offsets[i] + 1 > (this.committable.get(p) ?? -1)) this.set(p, offsets[i] + 1);
    }
  }

  private set(p: number, offset: number): void {
    if (this.committable.get(p) === offset) return;
    this.committable.set(p, offset);
    this.changed = true;
  }
}
