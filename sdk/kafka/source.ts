/**
 * Stream sources over a topic. With a `group`, a kafkajs consumer in that consumer group
 * (group-source.ts: committed offsets, rebalancing across instances); without one, group-less
 * Fetch rounds from resolved positions (here). Either way closing the source disconnects the
 * client, so breaking out of `for await` leaves no group member behind. Records decode with
 * read()'s RecordDecoder, so a format gives the same columns and values in a stream, a replay
 * and a read.
 */
import { ColumnSet } from '../runtime/decode/columns';
import { RecordDecoder, type DecodeOptions } from '../runtime/decode/record-decoder';
import { SchemaCache } from '../runtime/decode/schema/schemas';
import type { Row } from '../stream/operators';
import { BatchQueue, type BatchOptions } from '../stream/queue';
import type { StreamStats } from '../stream/stream';
import type { SourceIterator } from '../stream/run';
import type { KafkaClient } from './client';
import { openFetcher, type KafkajsMessage, type TopicFetcher } from './fetcher';
import { fetchRanges, resolveTopicRanges } from './read';
import type { Position } from './position';

export interface SourceOptions extends DecodeOptions {
  /** Where to start (default 'latest'); with a group, only partitions without a committed offset start here. */
  from?: Position;
  /** Stop at this position (a bounded stream, resolved when the stream starts); default: follow the topic forever. */
  to?: Position;
  group?: string;
  partitions?: number[];
  batch?: BatchOptions;
  /** Add `_headers` (JSON text of the record headers, as read() gives) to every row. */
  headers?: boolean;
}

/**
 * Records to rows through read()'s decoder: values flattened (`a.b`), bytes as base64, CSV
 * cells typed, failures counted in the stats by reason. Rows of one batch share its columns
 * (a field missing from a record is null), as the rows of a frame do.
 */
export class RowDecoder {
  private set!: ColumnSet;
  private decoder!: RecordDecoder;

  private readonly schemas: SchemaCache;

  constructor(
    private readonly opts: DecodeOptions & { headers?: boolean },
    private readonly stats: StreamStats,
    /** The connection's Schema Registry, for Confluent-framed records. */
    registry?: SchemaCache['source'],
  ) {
    this.schemas = new SchemaCache(registry);
    this.reset(); // an unknown format fails here, when the stream opens
  }

  private reset(): void {
    this.set = new ColumnSet(undefined, 64);
    this.decoder = new RecordDecoder(this.set, { format: this.opts.format, columns: this.opts.columns, csv: this.opts.csv, headers: this.opts.headers, schemas: this.schemas });
  }

  /** Fetches the schemas of framed records among `messages` before they are added; undefined when none is new. */
  prepare(messages: readonly KafkajsMessage[]): Promise<void> | undefined {
    return this.schemas.prepare(messages);
  }

  add(partition: number, m: KafkajsMessage): void {
    const failed = this.decoder.add(m.key, m.value, partition, Number(m.offset), Number(m.timestamp), m.headers);
    if (failed !== undefined) this.stats.failures[failed] = (this.stats.failures[failed] ?? 0) + 1;
  }

  /** The rows added since the last call. */
  take(): Row[] {
    const { columns, rows: n, warnings } = this.set;
    const rows: Row[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const r: Row = {};
      for (const c of columns) r[c.name] = c.get(i);
      rows[i] = r;
    }
    for (const w of warnings) if (!this.stats.warnings.includes(w)) this.stats.warnings.push(w);
    this.reset();
    return rows;
  }
}

/**
 * Group-less: Fetch rounds from resolved positions, long-polling at the end of the log. Nothing
 * is committed; `drain()` stops fetching and ends after what is queued.
 */
export function fetchSource(conn: KafkaClient, topic: string, opts: SourceOptions, stats: StreamStats): SourceIterator {
  const decoder = new RowDecoder(opts, stats, conn.schemaRegistry);
  let fetcher: TopicFetcher | undefined;
  let stopped = false;
  let untrack = () => {};
  const q = new BatchQueue<Row>(opts.batch, async () => {
    stopped = true;
    untrack();
    await running.catch(() => undefined);
    await fetcher?.disconnect();
  });
  untrack = conn.track(async () => {
    await q.return();
  });
  // Synchronous up to q.push: callers load the schemas of framed records first (decoder.prepare),
  // so a partition's rows are queued before it is marked ended.
  const push = (partition: number, messages: KafkajsMessage[], start: number, end: number): Promise<void> => {
    for (const m of messages) {
      const offset = Number(m.offset);
      if (offset >= start && offset < end && !m.isControlRecord) decoder.add(partition, m);
    }
    return q.push(decoder.take()); // the rows are queued before this returns; the promise is backpressure
  };
  const running = (async () => {
    // Positions first: an unknown topic fails with the SDK's did-you-mean before any fetch.
    const ranges = await resolveTopicRanges(conn, topic, opts, { from: 'latest', to: 'latest' });
    if (stopped) return;
    fetcher = await openFetcher(conn.kafka, topic);
    await fetcher.connect();
    q.mark({ partitions: ranges.map((r) => r.partition) });
    q.positioned();
    if (opts.to !== undefined) {
      // Bounded: read the ranges, then end.
      q.mark({ ended: ranges.filter((r) => r.to <= r.from).map((r) => r.partition) });
      const chunks: Promise<void>[] = [];
      await fetchRanges(fetcher, ranges, async (p, msgs, s, e) => {
        if (stopped) return false;
        const loading = decoder.prepare(msgs);
        if (loading) await loading;
        chunks.push(push(p, msgs, s, e));
        const last = msgs.length ? Number(msgs[msgs.length - 1].offset) : -1;
        if (last + 1 >= e) q.mark({ ended: [p] });
      });
      await Promise.all(chunks);
      q.end();
      return;
    }
    const pos = new Map(ranges.map((r) => [r.partition, r.from]));
    while (!stopped) {
      let results;
      try {
        results = await fetcher.fetch(pos, { maxWaitMs: 500, partitionBytes: 1024 * 1024 });
      } catch (e) {
        // Retention removed what we were about to read (or the log was truncated): continue
        // from the nearest valid offset, as auto.offset.reset would.
        if ((e as Error)?.name !== 'KafkaJSOffsetOutOfRange') throw e;
        const low = await conn.admin.fetchTopicOffsets(topic);
        for (const o of low) {
          const at = pos.get(o.partition);
          if (at !== undefined) pos.set(o.partition, Math.min(Math.max(at, Number(o.low)), Number(o.high)));
        }
        stats.warnings.push(`offsets out of range on ${topic}; continued from the log start`);
        continue;
      }
      for (const r of results) {
        const start = pos.get(r.partition) as number;
        const last = r.messages.length ? Number(r.messages[r.messages.length - 1].offset) : -1;
        if (last >= start) pos.set(r.partition, last + 1);
        if (stopped) continue;
        const loading = decoder.prepare(r.messages);
        if (loading) await loading;
        await push(r.partition, r.messages, start, Infinity);
      }
    }
  })();
  running.catch((e) => {
    if (!stopped) q.fail(e);
  });
  return Object.assign(q, {
    drain() {
      stopped = true;
      q.end();
    },
  });
}
