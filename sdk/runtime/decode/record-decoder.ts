/**
 * Record values into a ColumnSet, one row per record: JSON (the byte scanner, else JSON.parse and
 * flatten.ts), CSV lines, UTF-8 text or raw bytes. read(), stream() and the exported app decode
 * with this class, so a record is the same row in all three, or fails for the same reason.
 */
import { KafkalabError } from '../../util/errors';
import { Column, ColumnSet, Schema } from './columns';
import { cellsOf, type Cells } from './flatten';
import { StringCache } from './intern';
import { JsonScanner } from './json-scan';
import { DECODE_FAILURE, numericText, type CellValue } from './values';

/** How record values are decoded: JSON objects (default), CSV lines, UTF-8 text or raw bytes. */
export type Format = 'json' | 'csv' | 'string' | 'bytes';
export const FORMATS: readonly Format[] = ['json', 'csv', 'string', 'bytes'];

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

  constructor(readonly set: ColumnSet, opts: DecodeOptions & { headers?: boolean } = {}) {
    this.format = opts.format ?? 'json';
    if (!FORMATS.includes(this.format)) {
      throw new KafkalabError(`Unknown format "${this.format}"`, { code: 'BAD_OPTION', hint: `use one of ${FORMATS.join(', ')}` });
    }
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
    if (this.format === 'json' && v !== null && typeof v !== 'string') {
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
    const k = keyLength < 0 ? null : this.keys.get(buf, keyAt, keyAt + keyLength);
    if (this.format === 'json' && valueLength >= 0) {
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
    if (this.format === 'json') {
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
