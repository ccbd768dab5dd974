/**
 * kafka.topic(name): produce rows, read a range as a DataFrame, stream micro-batches, replay.
 */
import type { Message } from 'kafkajs';
import { KafkalabError } from '../util/errors';
import { recordsOf, type DataFrame } from '../frame/dataframe';
import { Stream, newStats, type Sink } from '../stream/stream';
import type { Row } from '../stream/operators';
import type { KafkaConnection } from './connect';
import { readTopic, type ReadOptions } from './read';
import { fetchSource, groupSource, type SourceOptions } from './source';
import { replayInto, replayStream, type ReplayOptions, type ReplayReport } from './replay';
import { eventTime } from '../stream/window';

export interface ProduceOptions {
  /** Field whose value becomes the message key (default `_key` when rows have it). */
  key?: string;
  /** Field holding the record time (epoch ms, Date or ISO string); default `_timestamp` when present, else now. */
  timestamp?: string;
  /** Headers for every record, or a function of the row. */
  headers?: Record<string, string> | ((row: Row) => Record<string, string>);
  /** Explicit partition for every record (default: by key, Java-compatible murmur2). */
  partition?: number;
  /** 'json' (default) or 'string' (the row's `value` field as text). */
  format?: 'json' | 'string';
  /** Messages per produce request (default 5000). */
  chunk?: number;
}

export interface ProduceResult {
  topic: string;
  records: number;
}

const META = new Set(['_key', '_partition', '_offset', '_timestamp', '_headers']);

export class Topic {
  constructor(
    private readonly conn: KafkaConnection,
    readonly name: string,
  ) {}

  /** Writes rows (objects or a DataFrame) as JSON records; `_`-metadata fields are not part of the value. */
  async produce(rows: Row[] | DataFrame, opts: ProduceOptions = {}): Promise<ProduceResult> {
    await this.conn.requireTopic(this.name);
    const list: Row[] = Array.isArray(rows) ? rows : recordsOf(rows);
    const producer = await this.conn.producer();
    const chunk = opts.chunk ?? 5000;
    for (let i = 0; i < list.length; i += chunk) {
      const messages = list.slice(i, i + chunk).map((r) => toMessage(r, opts));
      await producer.send({ topic: this.name, messages });
    }
    return { topic: this.name, records: list.length };
  }

  /** A range of the topic as a DataFrame; see ReadOptions. The report is in `df.attrs.report`. */
  read(opts: ReadOptions = {}): Promise<DataFrame> {
    return readTopic(this.conn, this.name, opts);
  }

  /** Micro-batches from `from` (default 'latest'); in a consumer group when `group` is given. */
  stream(opts: SourceOptions = {}): Stream {
    const stats = newStats();
    const conn = this.conn;
    const topic = this.name;
    return new Stream(
      {
        open: () => (opts.group ? groupSource(conn, topic, { ...opts, group: opts.group }, stats) : fetchSource(conn, topic, opts, stats)),
        sink: (target: string) => topicSink(conn, target),
      },
      [],
      stats,
    );
  }

  /** Replays a range at `speed`: into a topic (resolves to a report) or, without `into`, as a stream. */
  replay(opts: ReplayOptions & { into: string }): Promise<ReplayReport>;
  replay(opts?: ReplayOptions & { into?: undefined }): Stream;
  replay(opts: ReplayOptions = {}): Promise<ReplayReport> | Stream {
    if (opts.into !== undefined) return replayInto(this.conn, this.name, { ...opts, into: opts.into });
    return replayStream(this.conn, this.name, opts);
  }
}

function toMessage(r: Row, opts: ProduceOptions): Message {
  const keyField = opts.key ?? '_key';
  const k = r[keyField];
  const tsField = opts.timestamp ?? (r._timestamp !== undefined ? '_timestamp' : undefined);
  let timestamp: string | undefined;
  if (tsField !== undefined && r[tsField] !== undefined && r[tsField] !== null) {
    const t = eventTime(r[tsField]);
    if (!Number.isFinite(t)) {
      throw new KafkalabError(`Field "${tsField}" holds ${JSON.stringify(r[tsField])}, not a time`, { code: 'BAD_TIMESTAMP', hint: 'use epoch milliseconds, a Date or an ISO-8601 string' });
    }
    timestamp = String(Math.round(t));
  }
  let value: string;
  if (opts.format === 'string') value = r.value === null || r.value === undefined ? '' : String(r.value);
  else {
    let clean = r;
    for (const f in r) {
      if (META.has(f)) {
        clean = {};
        for (const g in r) if (!META.has(g)) clean[g] = r[g];
        break;
      }
    }
    value = JSON.stringify(clean);
  }
  const headers = typeof opts.headers === 'function' ? opts.headers(r) : opts.headers;
  return {
    key: k === undefined || k === null ? null : String(k),
    value,
    timestamp,
    headers,
    partition: opts.partition,
  };
}

/** Writes stream output rows to a topic, keyed by the stream's key field. */
async function topicSink(conn: KafkaConnection, topic: string): Promise<Sink> {
  await conn.requireTopic(topic);
  const producer = await conn.producer();
  return {
    async write(rows, keyField) {
      const hasMeta = rows.length > 0 && rows[0]._timestamp !== undefined;
      const messages = rows.map((r) => toMessage(r, { key: keyField, timestamp: hasMeta ? '_timestamp' : r.window_end !== undefined ? 'window_end' : undefined }));
      for (let i = 0; i < messages.length; i += 5000) await producer.send({ topic, messages: messages.slice(i, i + 5000) });
    },
    async close() {},
  };
}
