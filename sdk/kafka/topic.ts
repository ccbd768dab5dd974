/**
 * kafka.topic(name): produce rows, read a range as a DataFrame, stream micro-batches, replay.
 */
import type { Message, Producer, Transaction } from 'kafkajs';
import { KafkalabError, closest, editDistance } from '../util/errors';
import { checkTopicName } from './errors';
import { badOption, checkOptions, describeValue, optionKeys } from '../util/options';
import { recordsOf, type DataFrame } from '../frame/dataframe';
import type { CsvOptions } from '../runtime/decode/record-decoder';
import type { BatchOptions } from '../stream/queue';
import { Stream, newStats, type Sink, type TransactionalSink } from '../stream/stream';
import type { Row } from '../stream/operators';
import type { KafkaClient } from './client';
import { completeProducer } from './complete-send';
import { readTopic, type ReadOptions } from './read';
import { fetchSource, type SourceOptions } from './source';
import { GroupSource, commitMetadata } from './group-source';
import type { SourceControl, SourceIterator } from '../stream/run';
import { replayInto, replayStream, type ReplayOptions, type ReplayReport } from './replay';
import { eventTime } from '../stream/window';
import { isSchemaFormat, RowMismatch, rowMismatchError, schemaEncoder, SUBJECT_STRATEGIES, type SchemaEncoder, type SchemaFormatName, type SubjectNameStrategy } from '../registry/serdes';
import type { SchemaReference } from '../registry/types';

export interface ProduceOptions {
  /** Field whose value becomes the message key (default `_key` when rows have it). */
  key?: string;
  /** Field holding the record time (epoch ms, Date or ISO string); default `_timestamp` when present, else now. */
  timestamp?: string;
  /** Headers for every record, or a function of the row. */
  headers?: Record<string, string> | ((row: Row) => Record<string, string>);
  /** Explicit partition for every record (default: by key, Java-compatible murmur2). */
  partition?: number;
  /**
   * 'json' (default), 'string' (the row's `value` field as text), or a Schema Registry format:
   * 'avro', 'protobuf', 'json-schema' (the schema registered under `<topic>-value` and each
   * value framed with its id, as Confluent's serializers write them).
   */
  format?: 'json' | 'string' | SchemaFormatName;
  /** The schema for 'avro' / 'protobuf' / 'json-schema' (object or text; .proto text for Protobuf). Omitted: the subject's latest. */
  schema?: string | object;
  /** Schemas the schema uses (Avro named types, .proto imports, JSON `$ref`s), each registered under its own subject. */
  references?: SchemaReference[];
  /** 'topic' (default, `<topic>-value`), 'record' (the record's full name) or 'topic-record' (`<topic>-<record>`). */
  subjectStrategy?: SubjectNameStrategy;
  /** Protobuf: the message type to write (default the file's first). */
  messageName?: string;
  /** Register a new schema (default true); false: it must already be registered under the subject. */
  autoRegister?: boolean;
  /** Messages per produce request (default 5000). */
  chunk?: number;
  /** Partitions of the topic when produce() has to create it (default: the cluster's default, `num.partitions`). */
  partitions?: number;
}

export interface ProduceResult {
  topic: string;
  records: number;
  /** The topic did not exist: produce() created it, as a producer with auto-creation does. */
  created: boolean;
}

const META = new Set(['_key', '_partition', '_offset', '_timestamp', '_headers']);

export const PRODUCE_OPTIONS = optionKeys<ProduceOptions>()([
  'key', 'timestamp', 'headers', 'partition', 'format', 'chunk', 'schema', 'references', 'subjectStrategy', 'messageName', 'autoRegister', 'partitions',
]);
export const READ_OPTIONS = optionKeys<ReadOptions>()(['from', 'to', 'limit', 'partitions', 'headers', 'fetchBytes', 'parallel', 'format', 'columns', 'csv']);
export const STREAM_OPTIONS = optionKeys<SourceOptions>()(['from', 'to', 'group', 'partitions', 'batch', 'headers', 'format', 'columns', 'csv']);
export const REPLAY_OPTIONS = optionKeys<ReplayOptions>()(['from', 'to', 'speed', 'into', 'partitions', 'format', 'batch', 'headers']);
const BATCH_OPTIONS = optionKeys<BatchOptions>()(['size', 'ms']);
const CSV_OPTIONS = optionKeys<CsvOptions>()(['header', 'delimiter']);

/** Option names, including the nested `batch` and `csv` objects. */
function checkNested(what: string, opts: { batch?: unknown; csv?: unknown } | undefined, allowed: readonly string[]): void {
  checkOptions(what, opts, allowed);
  if (opts?.batch !== undefined) checkOptions(`${what} batch`, opts.batch as object, BATCH_OPTIONS);
  if (opts?.csv !== undefined) checkOptions(`${what} csv`, opts.csv as object, CSV_OPTIONS);
}

export class Topic {
  constructor(
    private readonly conn: KafkaClient,
    readonly name: string,
  ) {}

  /** Writes rows (objects or a DataFrame) as JSON records; `_`-metadata fields are not part of the value. */
  async produce(rows: Row[] | DataFrame, opts: ProduceOptions = {}): Promise<ProduceResult> {
    checkOptions('produce()', opts, PRODUCE_OPTIONS);
    const list = rowsToProduce(rows);
    checkProduceOptions(list, opts);
    const { meta, created } = await this.ensureExists(opts.partitions);
    if (opts.partition !== undefined && !meta.partitions.some((p) => p.partitionId === opts.partition)) {
      const n = meta.partitions.length;
      throw badOption('produce()', 'partition', opts.partition, `one of the topic's ${n} partition${n === 1 ? '' : 's'} (0..${n - 1})`);
    }
    const chunk = opts.chunk ?? 5000;
    // Schema'd rows are all encoded before anything is sent: a row that does not fit fails the call with nothing written.
    const encoded = isSchemaFormat(opts.format) ? await this.encodeAll(list, opts as ProduceOptions & { format: SchemaFormatName }) : undefined;
    await this.conn.call('produce()', this.name, async () => {
      const producer = await this.conn.producer();
      for (let i = 0; i < list.length; i += chunk) {
        const messages = list.slice(i, i + chunk).map((r, j) => toMessage(r, opts, encoded?.[i + j]));
        await producer.send({ topic: this.name, messages });
      }
    });
    return { topic: this.name, records: list.length, created };
  }

  /**
   * The topic's metadata, creating it first when it is missing (`partitions`, else the
   * cluster's default), as a Kafka producer with auto-creation would. Another client creating
   * it at the same moment is fine: the topic exists either way.
   */
  private async ensureExists(partitions: number | undefined): Promise<{ meta: Awaited<ReturnType<KafkaClient['requireTopic']>>; created: boolean }> {
    const names = await this.conn.lookup('listing topics', this.name, () => this.conn.admin.listTopics());
    let created = false;
    if (!names.includes(this.name)) {
      checkTopicName(this.name);
      const create = (numPartitions: number) => this.conn.admin.createTopics({ topics: [{ topic: this.name, numPartitions }], waitForLeaders: true });
      created = await this.conn.call('produce() creating the topic', this.name, async () => {
        try {
          return await create(partitions ?? -1);
        } catch (e) {
          // -1 (the broker's default) needs a broker that takes it on kafkajs's CreateTopics versions: else one partition.
          if (partitions !== undefined || !/INVALID_PARTITIONS|INVALID_REQUEST|UNSUPPORTED_VERSION/.test(String((e as { type?: string }).type ?? e))) throw e;
          return await create(1);
        }
      });
    }
    return { meta: await this.conn.requireTopic(this.name), created };
  }

  private async encodeAll(rows: Row[], opts: ProduceOptions & { format: SchemaFormatName }): Promise<Buffer[]> {
    const registry = this.conn.requireSchemaRegistry(`produce() with format '${opts.format}'`);
    const encoder: SchemaEncoder = await schemaEncoder(registry, this.name, {
      format: opts.format,
      schema: opts.schema,
      references: opts.references,
      subjectStrategy: opts.subjectStrategy,
      messageName: opts.messageName,
      autoRegister: opts.autoRegister,
    });
    return rows.map((r, i) => {
      try {
        return encoder.encode(withoutMeta(r));
      } catch (e) {
        throw e instanceof RowMismatch ? rowMismatchError(e, i, encoder.subject) : e;
      }
    });
  }

  /** A range of the topic as a DataFrame; see ReadOptions. The report is in `df.attrs.report`. */
  read(opts: ReadOptions = {}): Promise<DataFrame> {
    try {
      checkNested('read()', opts, READ_OPTIONS);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.conn.call('read()', this.name, () => readTopic(this.conn, this.name, opts));
  }

  /** Micro-batches from `from` (default 'latest'); in a consumer group when `group` is given. */
  stream(opts: SourceOptions = {}): Stream {
    checkNested('stream()', opts, STREAM_OPTIONS);
    const stats = newStats();
    const conn = this.conn;
    const topic = this.name;
    return new Stream(
      {
        open: (control?: SourceControl) =>
          explained(conn, topic, 'stream()', () => (opts.group ? new GroupSource(conn, topic, { ...opts, group: opts.group }, stats, control) : fetchSource(conn, topic, opts, stats))),
        sink: (target: string) => topicSink(conn, target),
        transactionalSink: opts.group ? (target: string, assignment) => transactionalTopicSink(conn, topic, opts.group!, target, assignment) : undefined,
      },
      [],
      stats,
    );
  }

  /** Replays a range at `speed`: into a topic (resolves to a report) or, without `into`, as a stream. */
  replay(opts: ReplayOptions & { into: string }): Promise<ReplayReport>;
  replay(opts?: ReplayOptions & { into?: undefined }): Stream;
  replay(opts: ReplayOptions = {}): Promise<ReplayReport> | Stream {
    if (opts?.into !== undefined) {
      try {
        checkNested('replay()', opts, REPLAY_OPTIONS);
      } catch (e) {
        return Promise.reject(e);
      }
      return this.conn.call('replay()', this.name, () => replayInto(this.conn, this.name, { ...opts, into: opts.into as string }));
    }
    checkNested('replay()', opts, REPLAY_OPTIONS);
    return replayStream(this.conn, this.name, opts);
  }
}

/** A source whose errors (a lost broker, a deleted topic) come out explained. */
function explained(conn: KafkaClient, topic: string, op: string, open: () => SourceIterator): SourceIterator {
  let source: SourceIterator;
  try {
    source = open();
  } catch (e) {
    throw conn.explain(e, { topic, op });
  }
  return {
    ready: source.ready,
    next: () =>
      source.next().catch((e: unknown) => {
        throw conn.explain(e, { topic, op });
      }),
    return: (value?: unknown) => (source.return ? source.return(value) : Promise.resolve({ done: true, value: undefined })),
    commit: source.commit && ((offsets, info) => source.commit!(offsets, info)),
    drain: source.drain && (() => source.drain!()),
    assignment: source.assignment && (() => source.assignment!()),
    beforeRebalance: source.beforeRebalance && ((fn) => source.beforeRebalance!(fn)),
  };
}

function isDataFrame(x: unknown): x is DataFrame {
  return typeof x === 'object' && x !== null && Array.isArray((x as DataFrame).columns) && Array.isArray((x as DataFrame).shape);
}

function rowsToProduce(rows: unknown): Row[] {
  if (isDataFrame(rows)) return recordsOf(rows);
  if (!Array.isArray(rows)) {
    throw new KafkalabError(`produce() takes an array of row objects or a DataFrame, got ${describeValue(rows)}`, {
      code: 'BAD_ROWS',
      hint: "e.g. topic.produce([{ carId: 'car-1', speed: 88 }])",
    });
  }
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (typeof r !== 'object' || r === null || Array.isArray(r) || r instanceof Date) {
      throw new KafkalabError(`produce() rows must be objects; row ${i} is ${describeValue(r)}`, {
        code: 'BAD_ROWS',
        hint: typeof r === 'string' ? "to send text as it is, pass [{ value: 'text' }] with { format: 'string' }" : 'wrap each value in an object, e.g. { value: 42 }',
      });
    }
  }
  return rows as Row[];
}

/** The key and timestamp fields must be in every row (a misspelt name would silently send null keys). */
function checkProduceOptions(rows: Row[], opts: ProduceOptions): void {
  const need: [string, string | undefined][] = [
    ['key', opts.key],
    ['timestamp', opts.timestamp],
    ['format', opts.format === 'string' ? 'value' : undefined],
  ];
  if (opts.format !== undefined && opts.format !== 'json' && opts.format !== 'string' && !isSchemaFormat(opts.format)) {
    throw badOption('produce()', 'format', opts.format, "'json', 'string', 'avro', 'protobuf' or 'json-schema'");
  }
  if (opts.schema !== undefined && !isSchemaFormat(opts.format)) throw badOption('produce()', 'format', opts.format, "'avro', 'protobuf' or 'json-schema' when a schema is given", "format: 'avro', schema");
  if (opts.subjectStrategy !== undefined && !SUBJECT_STRATEGIES.includes(opts.subjectStrategy)) throw badOption('produce()', 'subjectStrategy', opts.subjectStrategy, "'topic', 'record' or 'topic-record'");
  if (opts.chunk !== undefined && !(Number.isInteger(opts.chunk) && opts.chunk > 0)) throw badOption('produce()', 'chunk', opts.chunk, 'a whole number of at least 1', 'chunk: 5000');
  if (opts.partitions !== undefined && !(Number.isInteger(opts.partitions) && opts.partitions > 0)) throw badOption('produce()', 'partitions', opts.partitions, 'a whole number of at least 1 (used when the topic has to be created)', 'partitions: 4');
  if (opts.partition !== undefined && !(Number.isInteger(opts.partition) && opts.partition >= 0)) throw badOption('produce()', 'partition', opts.partition, 'a partition number (0, 1, ...)');
  if (opts.headers !== undefined && typeof opts.headers !== 'function' && (typeof opts.headers !== 'object' || opts.headers === null || Array.isArray(opts.headers))) {
    throw badOption('produce()', 'headers', opts.headers, 'an object of strings or a function of the row', "headers: { source: 'lab' }");
  }
  for (const [option, field] of need) {
    if (field === undefined) continue;
    const i = rows.findIndex((r) => !(field in r));
    if (i < 0) continue;
    const fields = Object.keys(rows[i]);
    const near = closest(field, fields);
    const likely = near !== undefined && editDistance(field.toLowerCase(), near.toLowerCase()) <= Math.max(1, Math.floor(field.length / 3));
    const role = option === 'format' ? "for format 'string'" : `for the ${option}`;
    throw new KafkalabError(`${i === 0 ? 'The rows have' : `Row ${i} has`} no field "${field}" ${role}${likely ? ` (did you mean "${near}"?)` : ''}`, {
      code: 'UNKNOWN_COLUMN',
      hint: `the fields are ${fields.join(', ') || '(none)'}`,
    });
  }
}

/** The row without kafkalab's `_`-metadata fields (they are the record's key, timestamp..., not its value). */
function withoutMeta(r: Row): Row {
  for (const f in r) {
    if (META.has(f)) {
      const clean: Row = {};
      for (const g in r) if (!META.has(g)) clean[g] = r[g];
      return clean;
    }
  }
  return r;
}

function toMessage(r: Row, opts: ProduceOptions, encoded?: Buffer): Message {
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
  let value: string | Buffer;
  if (encoded) value = encoded;
  else if (opts.format === 'string') value = r.value === null || r.value === undefined ? '' : String(r.value);
  else value = JSON.stringify(withoutMeta(r));
  const headers = typeof opts.headers === 'function' ? opts.headers(r) : opts.headers;
  return {
    key: k === undefined || k === null ? null : String(k),
    value,
    timestamp,
    headers,
    partition: opts.partition,
  };
}

/** Stream output rows as messages, keyed by the stream's key field, timed by the input's or the window's time. */
function sinkMessages(rows: Row[], keyField?: string): Message[] {
  const hasMeta = rows.length > 0 && rows[0]._timestamp !== undefined;
  return rows.map((r) => toMessage(r, { key: keyField, timestamp: hasMeta ? '_timestamp' : r.window_end !== undefined ? 'window_end' : undefined }));
}

/** Writes stream output rows to a topic, keyed by the stream's key field. */
async function topicSink(conn: KafkaClient, topic: string): Promise<Sink> {
  await conn.requireTopic(topic);
  await conn.call('stream to()', topic, () => conn.producer());
  return {
    async write(rows, keyField) {
      const messages = sinkMessages(rows, keyField);
      await conn.call('stream to()', topic, async () => {
        // Asked for per write: after a failed send the connection replaces its producer.
        const producer = await conn.producer();
        for (let i = 0; i < messages.length; i += 5000) await producer.send({ topic, messages: messages.slice(i, i + 5000) });
      });
    },
    async close() {},
  };
}

/** Transactions stay open at most this long on the broker (a killed job's open one is aborted then, or when its successor starts). */
const EOS_TRANSACTION_TIMEOUT_MS = 60_000;

/**
 * Writes a group stream's output in Kafka transactions with its input offsets (exactly-once).
 * The transactional id names the group, the topics and the partitions the run reads
 * (`kafkalab-eos.<group>.<input>.<output>.<partitions>`): the next run that reads the same
 * partitions (a restart, or the member that gets them after a rebalance to the same split)
 * fences this one and aborts what it left open.
 */
async function transactionalTopicSink(conn: KafkaClient, input: string, group: string, topic: string, assignment: () => readonly number[] | undefined): Promise<TransactionalSink> {
  await conn.requireTopic(topic);
  let producer: Producer | undefined;
  let producerFor: string | undefined;
  let txn: Transaction | undefined;
  const begin = async (): Promise<Transaction> => {
    const mine = assignment();
    if (!mine) throw new Error('internal: an exactly-once transaction began before the group assigned partitions');
    const id = `kafkalab-eos.${group}.${input}.${topic}.${[...mine].sort((a, b) => a - b).join(',')}`;
    if (id !== producerFor) {
      await producer?.disconnect().catch(() => undefined);
      // completeProducer: a transaction's sends keep every record across a leader move (kafkajs#1303 would commit without them).
      producer = completeProducer(conn.kafka, { transactionalId: id, idempotent: true, maxInFlightRequests: 1, transactionTimeout: EOS_TRANSACTION_TIMEOUT_MS });
      producerFor = id;
      await producer.connect();
    }
    txn = await producer!.transaction();
    return txn;
  };
  const abort = async () => {
    const t = txn;
    txn = undefined;
    if (!t) return;
    try {
      await t.abort();
    } catch (e) {
      // The producer's state is unknown: the next transaction starts on a new producer, whose
      // InitProducerId (same transactional id) fences this one and aborts what it left open.
      const p = producer;
      producer = producerFor = undefined;
      await p?.disconnect().catch(() => undefined);
      throw e;
    }
  };
  return {
    get open() {
      return txn !== undefined;
    },
    async write(rows, keyField) {
      const messages = sinkMessages(rows, keyField);
      await conn.call('stream to()', topic, async () => {
        const t = txn ?? (await begin());
        for (let i = 0; i < messages.length; i += 5000) await t.send({ topic, messages: messages.slice(i, i + 5000) });
      });
    },
    async commit(c) {
      await conn.call('stream to()', topic, async () => {
        const t = txn ?? (await begin());
        if (c) {
          const metadata = c.emitted === undefined ? null : commitMetadata(c.emitted);
          const partitions = [...c.offsets].map(([partition, offset]) => ({ partition, offset: String(offset), metadata }));
          await t.sendOffsets({ consumerGroupId: group, topics: [{ topic: input, partitions }] });
        }
        txn = undefined;
        try {
          await t.commit();
        } catch (e) {
          // EndTxn failed after kafkajs's retries: the transaction may or may not have committed,
          // so this is not one to abort and redo.
          throw new KafkalabError(`committing a transaction of the exactly-once job writing "${topic}" failed; its outcome is unknown: ${(e as Error).message}`, {
            code: 'TRANSACTION_OUTCOME_UNKNOWN',
            cause: e,
            hint: 'restart the job: it resumes from the offsets the group committed',
          });
        }
      });
    },
    abort,
    async close() {
      await abort().catch(() => undefined);
      await producer?.disconnect().catch(() => undefined);
    },
  };
}
