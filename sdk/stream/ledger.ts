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
import type { Lineage } from './operators';

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
  acked: number;
  origin?: number[];
  trace?: InputTrace;
  /** Partitions revoked after this output was made: its trace must not commit them. */
  revoked?: Set<number>;
}

export class OffsetLedger {
  private seq = 0;
  /** Input batches not yet committable, oldest first. */
  private readonly inputs: { seq: number; offsets: Map<number, number> }[] = [];
  /** Output batches not fully acknowledged, oldest first. */
  private outputs: Output[] = [];
  private delivered = 0;
  private readonly committable = new Map<number, number>();
  private changed = false;
  /** The oldest input batch any operator holds rows of. */
  private held = Infinity;

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
    this.outputs.push({ start, end: this.delivered, seq, since: Math.min(seq, lineage.since), acked: 0, origin: lineage.origin, trace: lineage.origin ? trace : undefined });
  }

  /** What the operators hold after a batch (the oldest input batch behind their state). */
  hold(oldest: number): void {
    this.held = oldest;
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

  private advance(): void {
    let limit = this.held;
    for (const o of this.outputs) if (o.since < limit) limit = o.since;
    while (this.inputs.length && this.inputs[0].seq < limit) {
      const e = this.inputs.shift()!;
      for (const [p, offset] of e.offsets) this.set(p, offset);
    }
    // A partly acknowledged output whose input batch is next in line: commit its inputs up to
    // the last acknowledged row's.
    const first = this.outputs[0];
    if (!first || !first.acked || !first.origin || !first.trace) return;
    if (first.since !== first.seq || this.inputs[0]?.seq !== first.seq || first.seq >= this.held) return;
    if (this.outputs.some((o) => o !== first && o.since <= first.seq)) return;
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
