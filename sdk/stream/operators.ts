/**
 * Row operators of the stream engine. An operator turns one batch of rows into another and
 * may hold state (windows); `flush` runs when a finite source ends. Nothing here knows Kafka.
 */
import { createHmac, randomBytes } from 'crypto';
import { KafkalabError } from '../util/errors';
import type { Progress } from './queue';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Row = Record<string, any>;

/**
 * Where a batch's rows come from, carried beside the rows through the operators, so that the
 * engine commits an input offset only once every output derived from it was acknowledged.
 * Operators update it for the rows they return.
 */
/** Per source partition, the oldest input batch (run sequence number); key `undefined`: every partition. */
export type SinceBy = Map<unknown, number>;

export interface Lineage {
  /** The oldest input batch (the run's sequence number) any of the rows derive from. */
  since: number;
  /** The same per source partition, when an operator knows it (windows); else `since` holds for all. */
  sinceBy?: SinceBy;
  /**
   * When traced: per row, the index in the source batch of the input row it derives from.
   * Undefined once rows aggregate several inputs (windows).
   */
  origin?: number[];
}

export interface Operator {
  process(rows: Row[], lineage?: Lineage): Row[];
  /** Rows still held when a finite source ends; sets `lineage.since` for them. */
  flush?(lineage?: Lineage): Row[];
  /** The oldest input batch whose rows this operator holds in its state (undefined: none). */
  holding?(): number | undefined;
  /** The same per source partition (key `undefined`: rows of any partition). */
  holdingBy?(): SinceBy;
  /** Event time through which every window was emitted (windows): committed with the offsets. */
  emittedThrough?(): number;
  /**
   * Source progress around a batch: `partitions` marks arrive before the batch's rows, `ended`
   * marks after them. An operator that takes progress does not pass it on (its output rows no
   * longer come from source partitions).
   */
  progress?(p: Progress): void;
}

/** What a declarative Stream keeps: every run builds fresh operators (fresh window state). */
export type OperatorFactory = (stats: OperatorStats) => Operator;

/** The counters stateful operators update (a run's StreamStats). */
export interface OperatorStats {
  late: number;
  untimed: number;
  watermark: number;
}

export function filterOp(fn: (r: Row, i: number) => unknown): Operator {
  return {
    process(rows, lineage) {
      const origin = lineage?.origin;
      if (!origin) return rows.filter((r, i) => fn(r, i));
      const out: Row[] = [];
      const from: number[] = [];
      for (let i = 0; i < rows.length; i++) {
        if (!fn(rows[i], i)) continue;
        out.push(rows[i]);
        from.push(origin[i]);
      }
      lineage.origin = from;
      return out;
    },
  };
}

/** `fn` may return a row, an array of rows (flat-map) or null/undefined to drop the row. */
export function mapOp(fn: (r: Row, i: number) => Row | Row[] | null | undefined): Operator {
  return {
    process(rows, lineage) {
      const origin = lineage?.origin;
      const from: number[] = [];
      const out: Row[] = [];
      for (let i = 0; i < rows.length; i++) {
        const v = fn(rows[i], i);
        if (v === null || v === undefined) continue;
        if (Array.isArray(v)) out.push(...v);
        else out.push(v);
        if (origin) while (from.length < out.length) from.push(origin[i]);
      }
      if (lineage && origin) lineage.origin = from;
      return out;
    },
  };
}

export interface AnonymizeOptions {
  /** 'hash': salted HMAC-SHA-256 pseudonym (default); 'mask': stars except the last `keep` characters; 'drop': remove the field. */
  method?: 'hash' | 'mask' | 'drop';
  /** Secret for 'hash'; pass the same salt to get the same pseudonyms across runs. Default: KAFKALAB_SALT, else random per stream. */
  salt?: string;
  /** 'hash': hex characters kept (default 16); 'mask': trailing characters left visible (default 4). */
  length?: number;
  keep?: number;
}

export function anonymizeOp(fields: string[], opts: AnonymizeOptions = {}): Operator {
  const method = opts.method ?? 'hash';
  if (!['hash', 'mask', 'drop'].includes(method)) {
    throw new KafkalabError(`Unknown anonymize method "${method}"`, { code: 'BAD_OPTION', hint: "use 'hash', 'mask' or 'drop'" });
  }
  const salt = opts.salt ?? process.env.KAFKALAB_SALT ?? randomBytes(16).toString('hex');
  const length = opts.length ?? 16;
  const keep = opts.keep ?? 4;
  const cache = new Map<string, string>();
  const pseudonym = (v: unknown): string => {
    const s = String(v);
    let h = cache.get(s);
    if (h === undefined) {
      h = createHmac('sha256', salt).update(s).digest('hex').slice(0, length);
      if (cache.size > 100_000) cache.clear();
      cache.set(s, h);
    }
    return h;
  };
  const mask = (v: unknown): string => {
    const s = String(v);
    const visible = Math.min(keep, s.length);
    return '*'.repeat(s.length - visible) + s.slice(s.length - visible);
  };
  return {
    process(rows) {
      return rows.map((r) => {
        const out: Row = { ...r };
        for (const f of fields) {
          if (!(f in out)) continue;
          if (method === 'drop') delete out[f];
          else if (out[f] !== null && out[f] !== undefined) out[f] = method === 'hash' ? pseudonym(out[f]) : mask(out[f]);
        }
        return out;
      });
    },
  };
}
