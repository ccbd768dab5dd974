/**
 * Record values into a ColumnSet, one row per record: JSON (the byte scanner, else JSON.parse and
 * flatten.ts), Confluent-framed Avro, Protobuf and JSON Schema (schema/: by the schema their id
 * names), CSV lines, UTF-8 text or raw bytes. read(), stream() and the exported app decode with
 * this class, so a record is the same row in all three, or fails for the same reason.
 */
import { KafkalabError } from '../../util/errors';
import { Column, ColumnSet, Schema } from './columns';
import { cellsOf, type Cells } from './flatten';
import { StringCache } from './intern';
import { JsonScanner } from './json-scan';
import { DECODE_FAILURE, numericText, type CellValue } from './values';
import type { AvroColumnReader } from './schema/avro-columns';
import { FALLBACK, type ProtobufColumnReader } from './schema/protobuf-columns';
import { decodeMessageIndexes } from '../../registry/serdes/wire';
import { HEADER_BYTES, type SchemaCache, type SchemaEntry } from './schema/schemas';
import type { SchemaType } from '../../registry/types';

/**
 * How record values are decoded. 'auto' (default): Confluent-framed records (magic byte 0 and a
 * schema id) by their schema, anything else as JSON. 'avro' | 'protobuf' | 'json-schema': only
 * framed records of that schema type (others fail). 'json', CSV lines, UTF-8 text, raw bytes.
 */
export type Format = 'auto' | 'json' | 'avro' | 'protobuf' | 'json-schema' | 'csv' | 'string' | 'bytes';
export const FORMATS: readonly Format[] = ['auto', 'json', 'avro', 'protobuf', 'json-schema', 'csv', 'string', 'bytes'];
const SCHEMA_TYPE: Partial<Record<Format, SchemaType>> = { avro: 'AVRO', protobuf: 'PROTOBUF', 'json-schema': 'JSON' };

export interface CsvOptions {
  /** Field names, in order; default `c0`, `c1`, ... */
  header?: string[];
  /** Field separator, default ','. */
  delimiter?: string;
}

export interface DecodeOptions {
  format?: Format;
  /** Keep only these value fields (flattened names such as `a.b`); metadata columns always stay. */
  columns?: string[];
  csv?: CsvOptions;
}

/** What a decoder takes beside the user's options: `_headers`, and the schemas of framed records. */
export interface DecoderOptions extends DecodeOptions {
  headers?: boolean;
  /** Schemas of framed records, loaded ahead of decoding (SchemaCache.load/prepare); none: framed records fail. */
  schemas?: SchemaCache;
}

/** The metadata columns every decoded frame starts with. */
export const META_COLUMNS: Schema = [
  { name: '_key', type: 'string' },
  { name: '_partition', type: 'int' },
  { name: '_offset', type: 'int' },
  { name: '_timestamp', type: 'int' },
];

/** A minimal record shape: what kafkajs hands out and what the in-memory stream engine uses. */
export interface RawRecord {
  key: Buffer | string | null;
  value: Buffer | string | null;
  partition: number;
  offset: number;
  timestamp: number;
  headers?: Record<string, unknown>;
}

/**
 * Decodes record values into a ColumnSet. One instance per read or stream, so that the
 * column order and types stay stable across batches and partitions.
 */
export class RecordDecoder {
  readonly format: Format;
  private readonly allowed: Set<string> | null;
  private readonly csvHeader: string[] | undefined;
  private readonly delimiter: string;
  private key!: Column;
  private partition!: Column;
  private offset!: Column;
  private timestamp!: Column;
  private headersCol: Column | null = null;
  private readonly fast: JsonScanner;
  private readonly keys = new StringCache();
  /** JSON values (format 'json' or 'auto'). */
  private readonly json: boolean;
  /** Framed records are decoded by their schema ('auto' and the schema formats). */
  private readonly framedOk: boolean;
  /** A forced schema type: unframed records, and framed ones of another type, fail. */
  private readonly only: SchemaType | undefined;
  private readonly schemas: SchemaCache | undefined;
  private readonly avroReaders = new Map<number, AvroColumnReader>();
  /** Compiled Protobuf readers by schema id and message indexes ('7/0'); null: the message is not flat. */
  private readonly protobufReaders = new Map<string, ProtobufColumnReader | null>();
  private lastProtobufId = -1;
  private lastProtobufReader: ProtobufColumnReader | null | undefined;
  private lastId = -1;
  private lastReader: AvroColumnReader | undefined;
  private readonly counts = new Map<number, number>();
  /** The schema id being counted and its records not yet in `counts` (a Map update per record costs more than its decoding). */
  private countId = -1;
  private countN = 0;
  /**
   * The schema id of the last record given whose schema is not loaded yet (-1: none): nothing
   * was written for it; load the id (SchemaCache.load) and give the record again.
   */
  pending = -1;

  constructor(readonly set: ColumnSet, opts: DecoderOptions = {}) {
    this.format = opts.format ?? 'auto';
    if (!FORMATS.includes(this.format)) {
      throw new KafkalabError(`Unknown format "${this.format}"`, { code: 'BAD_OPTION', hint: `use one of ${FORMATS.join(', ')}` });
    }
    this.json = this.format === 'json' || this.format === 'auto';
    this.only = SCHEMA_TYPE[this.format];
    this.framedOk = this.format === 'auto' || this.only !== undefined;
    this.schemas = opts.schemas;
    this.allowed = opts.columns ? new Set(opts.columns) : null;
    this.csvHeader = opts.csv?.header;
    this.delimiter = opts.csv?.delimiter ?? ',';
    for (const m of META_COLUMNS) set.column(m.name);
    this.bindMeta();
    if (opts.headers) this.headersCol = set.column('_headers');
    this.fast = new JsonScanner(set, (name) => (this.allowed && !this.allowed.has(name) ? null : set.column(name)));
  }

  private bindMeta(): void {
    this.key = this.set.column('_key');
    this.partition = this.set.column('_partition');
    this.offset = this.set.column('_offset');
    this.timestamp = this.set.column('_timestamp');
  }

  /** Appends one record as a row; returns the reason when it cannot be decoded (no row then). */
  decode(r: RawRecord): string | undefined {
    return this.add(r.key, r.value, r.partition, r.offset, r.timestamp, r.headers);
  }

  /** Same as decode, without needing a record object (the Kafka reader's hot path). */
  add(
    k: Buffer | string | null,
    v: Buffer | string | null,
    partition: number,
    offset: number,
    timestamp: number,
    headers?: Record<string, unknown>,
  ): string | undefined {
    this.pending = -1;
    if (k !== null && typeof k !== 'string' && this.framedKey(k, 0, k.length)) k = this.keyValue(k, 0, k.length);
    if (this.pending >= 0) return notLoaded(this.pending);
    if (v !== null && typeof v !== 'string' && this.framedOk) {
      if (v.length >= HEADER_BYTES && v[0] === 0) return this.framed(k, v, 0, v.length, partition, offset, timestamp, headers);
      if (this.only) return DECODE_FAILURE.notFramed;
    }
    if (this.json && v !== null && typeof v !== 'string') {
      this.writeMeta(k, partition, offset, timestamp, headers);
      if (this.fast.write(v)) {
        this.set.endRow();
        return undefined;
      }
      this.set.abortRow();
    }
    return this.general(k, v, partition, offset, timestamp, headers);
  }

  /**
   * `add` for a record still inside its record batch: key and value are byte ranges of `buf`
   * (length -1 for null), so that the fast path slices, copies and allocates nothing per record.
   */
  addFrom(
    buf: Buffer,
    keyAt: number,
    keyLength: number,
    valueAt: number,
    valueLength: number,
    partition: number,
    offset: number,
    timestamp: number,
    headers?: Record<string, unknown>,
  ): string | undefined {
    this.pending = -1;
    const k = keyLength < 0 ? null : this.framedKey(buf, keyAt, keyLength) ? this.keyValue(buf, keyAt, keyAt + keyLength) : this.keys.get(buf, keyAt, keyAt + keyLength);
    if (this.pending >= 0) return notLoaded(this.pending);
    if (this.framedOk && valueLength >= 0) {
      if (valueLength >= HEADER_BYTES && buf[valueAt] === 0) return this.framed(k, buf, valueAt, valueAt + valueLength, partition, offset, timestamp, headers);
      if (this.only) return DECODE_FAILURE.notFramed;
    }
    if (this.json && valueLength >= 0) {
      this.writeMeta(k, partition, offset, timestamp, headers);
      if (this.fast.writeRange(buf, valueAt, valueAt + valueLength)) {
        this.set.endRow();
        return undefined;
      }
      this.set.abortRow();
    }
    return this.general(k, valueLength < 0 ? null : buf.subarray(valueAt, valueAt + valueLength), partition, offset, timestamp, headers);
  }

  /** Every format, through JSON.parse for JSON: what the fast path hands over. */
  private general(
    k: Buffer | string | null,
    v: Buffer | string | null,
    partition: number,
    offset: number,
    timestamp: number,
    headers?: Record<string, unknown>,
  ): string | undefined {
    let cells: Cells | undefined;
    if (this.only) return v === null ? DECODE_FAILURE.nullValue : DECODE_FAILURE.notFramed;
    if (this.json) {
      if (v === null) return DECODE_FAILURE.nullValue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(typeof v === 'string' ? v : v.toString('utf8'));
      } catch {
        return DECODE_FAILURE.invalidJson;
      }
      // Collected first: a record that fails (too deep) writes nothing, not even half a row.
      const collected = cellsOf(parsed);
      if (typeof collected === 'string') return collected;
      cells = collected;
    }
    const set = this.set;
    this.writeMeta(k, partition, offset, timestamp, headers);
    switch (this.format) {
      case 'auto':
      case 'json': {
        const { names, values } = cells as Cells;
        for (let i = 0; i < names.length; i++) this.cell(names[i], values[i]);
        break;
      }
      case 'csv': {
        const text = v === null ? '' : typeof v === 'string' ? v : v.toString('utf8');
        const fields = splitCsvLine(text.replace(/\r?\n$/, ''), this.delimiter);
        for (let i = 0; i < fields.length; i++) this.cell(this.csvHeader?.[i] ?? `c${i}`, csvCell(fields[i]));
        break;
      }
      case 'string':
        this.cell('value', v === null ? null : typeof v === 'string' ? v : v.toString('utf8'));
        break;
      case 'bytes':
        this.cell('value', v === null ? null : (typeof v === 'string' ? Buffer.from(v) : v).toString('base64'));
        break;
    }
    set.endRow();
    return undefined;
  }

  /** A key whose schema is known: Confluent-framed (a key that only looks framed stays text). */
  private framedKey(b: Buffer, at: number, length: number): boolean {
    if (length < HEADER_BYTES || b[at] !== 0 || !this.schemas) return false;
    const id = idAt(b, at);
    const e = this.schemas.get(id);
    if (e === undefined && this.schemas.source) this.pending = id;
    return e !== undefined && e.failure === undefined;
  }

  /** A framed key as the `_key` text: a primitive as its text, a record as its JSON. */
  private keyValue(b: Buffer, start: number, end: number): string | Buffer {
    try {
      const v = this.schemas!.get(idAt(b, start))!.value(b, start, end);
      return v === null || typeof v !== 'object' ? String(v) : JSON.stringify(v);
    } catch {
      return this.keys.get(b, start, end);
    }
  }

  /** A Confluent-framed value b[start, end): decoded by the schema its id names. */
  private framed(
    k: Buffer | string | null,
    b: Buffer,
    start: number,
    end: number,
    partition: number,
    offset: number,
    timestamp: number,
    headers?: Record<string, unknown>,
  ): string | undefined {
    const id = idAt(b, start);
    let reader = id === this.lastId ? this.lastReader : undefined;
    if (reader === undefined) {
      const entry = this.schemas?.get(id);
      if (entry === undefined) {
        if (!this.schemas?.source) return DECODE_FAILURE.noRegistry;
        this.pending = id;
        return notLoaded(id);
      }
      if (entry.failure !== undefined) return entry.failure;
      if (this.only !== undefined && entry.type !== this.only) return `schema id ${id} is ${entry.type}, not ${this.only}`;
      const meta = () => this.writeMeta(k, partition, offset, timestamp, headers);
      if (entry.type === 'PROTOBUF') {
        const done = this.protobufColumns(entry, b, start, end, meta);
        if (done !== FALLBACK) return done;
      }
      if (entry.type !== 'AVRO') return this.framedObject(entry, b, start, end, meta);
      reader = this.avroReaders.get(id);
      if (reader === undefined) this.avroReaders.set(id, (reader = entry.avro!.bind(this.set, this.allowed)));
      this.lastId = id;
      this.lastReader = reader;
    }
    this.writeMeta(k, partition, offset, timestamp, headers);
    const failed = reader(b, start + HEADER_BYTES, end);
    if (failed !== undefined) {
      this.set.abortRow();
      return failed;
    }
    this.set.endRow();
    this.count(id);
    return undefined;
  }

  /**
   * A Protobuf record by its message's compiled column reader (flat messages); FALLBACK, with
   * nothing written, for the records protobufjs decodes (framedObject).
   */
  private protobufColumns(entry: SchemaEntry, b: Buffer, start: number, end: number, meta: () => void): string | undefined {
    let at = start + HEADER_BYTES;
    let key = '0';
    if (at < end && b[at] === 0) at++;
    else {
      try {
        const read = decodeMessageIndexes(b.subarray(0, end), at);
        key = read.indexes.join(',');
        at = read.payloadStart;
      } catch {
        return FALLBACK;
      }
    }
    let reader = key === '0' && entry.id === this.lastProtobufId ? this.lastProtobufReader : undefined;
    if (reader === undefined) {
      const id = `${entry.id}/${key}`;
      reader = this.protobufReaders.get(id);
      if (reader === undefined) {
        reader = entry.protobufPlan(key)?.bind(this.set, this.allowed) ?? null;
        this.protobufReaders.set(id, reader);
      }
      if (key === '0') {
        this.lastProtobufId = entry.id;
        this.lastProtobufReader = reader;
      }
    }
    if (reader === null || reader(b, at, end, meta) === FALLBACK) return FALLBACK;
    this.set.endRow();
    this.count(entry.id);
    return undefined;
  }

  /** JSON Schema (the JSON path on the payload) and Protobuf (an object flattened like JSON). */
  private framedObject(entry: SchemaEntry, b: Buffer, start: number, end: number, writeMeta: () => void): string | undefined {
    if (entry.type === 'JSON') {
      writeMeta();
      if (this.fast.writeRange(b, start + HEADER_BYTES, end)) {
        this.set.endRow();
        this.count(entry.id);
        return undefined;
      }
      this.set.abortRow();
    }
    let value: unknown;
    try {
      value = entry.type === 'JSON' ? JSON.parse(b.toString('utf8', start + HEADER_BYTES, end)) : entry.protobufValue(b, start, end);
    } catch (e) {
      return entry.type === 'JSON' ? DECODE_FAILURE.invalidJson : `Protobuf payload does not match its schema (${(e as Error).message})`;
    }
    const cells = cellsOf(value);
    if (typeof cells === 'string') return cells;
    writeMeta();
    for (let i = 0; i < cells.names.length; i++) this.cell(cells.names[i], cells.values[i]);
    this.set.endRow();
    this.count(entry.id);
    return undefined;
  }

  /** Records decoded per schema id (the read report's `schemas`). */
  get schemaRecords(): ReadonlyMap<number, number> {
    this.flushCount();
    return this.counts;
  }

  private count(id: number): void {
    if (id !== this.countId) {
      this.flushCount();
      this.countId = id;
    }
    this.countN++;
  }

  private flushCount(): void {
    if (this.countN > 0) this.counts.set(this.countId, (this.counts.get(this.countId) ?? 0) + this.countN);
    this.countN = 0;
  }

  /** One cell of the current row, unless the `columns` option leaves it out. */
  private readonly cell = (name: string, v: CellValue): void => {
    if (this.allowed === null || this.allowed.has(name)) this.set.write(name, v);
  };

  private writeMeta(k: Buffer | string | null, partition: number, offset: number, timestamp: number, headers?: Record<string, unknown>): void {
    if (k === null || k === undefined) this.key.pushNull();
    else this.key.pushString(typeof k === 'string' ? k : this.keys.get(k, 0, k.length));
    this.partition.pushNumber(partition);
    this.offset.pushNumber(offset);
    this.timestamp.pushNumber(timestamp);
    if (this.headersCol) this.headersCol.push(headers && Object.keys(headers).length ? headersToJson(headers) : null);
  }
}

const notLoaded = (id: number) => `schema id ${id} was not loaded before decoding`;

function idAt(b: Buffer, at: number): number {
  return ((b[at + 1] << 24) | (b[at + 2] << 16) | (b[at + 3] << 8) | b[at + 4]) >>> 0;
}

function headersToJson(h: Record<string, unknown>): string {
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(h)) {
    out[name] = Array.isArray(v) ? v.map(headerText) : headerText(v);
  }
  return JSON.stringify(out);
}

function headerText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
}

/** One CSV line into its fields (RFC 4180 quoting: "a ""quoted"" field"). */
export function splitCsvLine(line: string, delimiter = ','): string[] {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  while (i <= n) {
    if (line[i] === '"') {
      let s = '';
      i++;
      while (i < n) {
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            s += '"';
            i += 2;
          } else {
            i++;
            break;
          }
        } else s += line[i++];
      }
      out.push(s);
      const next = line.indexOf(delimiter, i);
      i = next < 0 ? n + 1 : next + delimiter.length;
    } else {
      const next = line.indexOf(delimiter, i);
      const end = next < 0 ? n : next;
      out.push(line.slice(i, end));
      i = next < 0 ? n + 1 : end + delimiter.length;
    }
  }
  return out;
}

function csvCell(s: string): CellValue {
  if (s === '') return null;
  const n = numericText(s);
  if (!Number.isNaN(n)) return n;
  if (s === 'true') return true;
  if (s === 'false') return false;
  return s;
}
