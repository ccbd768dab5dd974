/**
 * Data set readings to and from files: JSON lines (one record per line, as on the wire, nesting
 * kept) or CSV (a header row of field names, nested fields flattened as `a.b` the way
 * `topic.read()` names them). The format follows the file extension.
 */
import * as fs from 'fs';
import * as path from 'path';
import { KafkalabError } from '../util/errors';
import { CAR_READING_FIELDS, type CarReading } from './simulator';
import { MOTOR_READING_FIELDS, type MotorReading } from './motors/generator';

export type CarFileFormat = 'jsonl' | 'csv';
/** The same two formats, for any data set. */
export type DatasetFileFormat = CarFileFormat;

export function formatFor(file: string, format?: DatasetFileFormat): DatasetFileFormat {
  if (format) return format;
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  throw new KafkalabError(`Cannot tell the format of "${file}" from its extension`, { code: 'BAD_OPTION', hint: 'name it .jsonl or .csv, or pass format' });
}

function csvCell(v: unknown): string {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The value at a dotted path (`temp.winding`) of a record. */
function at(record: unknown, field: string): unknown {
  let v = record as Record<string, unknown> | undefined;
  for (const part of field.split('.')) v = v?.[part] as Record<string, unknown> | undefined;
  return v;
}

/** Streams records to a file with backpressure; `fields` (dotted paths) are the CSV columns. Returns how many were written. */
export async function writeReadings<T>(file: string, records: Iterable<T>, fields: readonly string[], format?: DatasetFileFormat): Promise<number> {
  const fmt = formatFor(file, format);
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const out = fs.createWriteStream(file);
  const failed = new Promise<never>((_, reject) => out.once('error', reject));
  failed.catch(() => undefined);
  const write = async (chunk: string) => {
    if (!out.write(chunk)) await Promise.race([new Promise<void>((r) => out.once('drain', () => r())), failed]);
  };
  let n = 0;
  let buf = fmt === 'csv' ? fields.join(',') + '\n' : '';
  for (const r of records) {
    buf += fmt === 'csv' ? fields.map((f) => csvCell(at(r, f))).join(',') + '\n' : JSON.stringify(r) + '\n';
    n++;
    if (buf.length > 1 << 16) {
      await write(buf);
      buf = '';
    }
  }
  if (buf) await write(buf);
  await Promise.race([new Promise<void>((resolve) => out.end(resolve)), failed]);
  return n;
}

/** Reads records written by writeReadings back; CSV columns `a.b` become nested objects again, `textFields` stay strings. */
export function readReadings<T>(file: string, textFields: ReadonlySet<string>, format?: DatasetFileFormat): T[] {
  const fmt = formatFor(file, format);
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  if (fmt === 'jsonl') return lines.map((l) => JSON.parse(l) as T);
  const header = (lines.shift()?.split(',') ?? []).map((h) => h.split('.'));
  // The generators never write commas or quotes inside a cell, so a plain split is exact here.
  return lines.map((l) => {
    const cells = l.split(',');
    const r: Record<string, unknown> = {};
    header.forEach((parts, i) => {
      let obj = r;
      for (const p of parts.slice(0, -1)) obj = (obj[p] ??= {}) as Record<string, unknown>;
      const name = parts.join('.');
      obj[parts[parts.length - 1]] = textFields.has(name) ? cells[i] : Number(cells[i]);
    });
    return r as T;
  });
}

const CAR_TEXT_FIELDS = new Set(['carId', 'vin', 'firmware_version', 'anomaly_type']);
const MOTOR_TEXT_FIELDS = new Set(['motor', 'line', 'fault_type']);

/** Streams car readings to a file (`kafkalab simulate --out`); returns how many were written. */
export function writeCarReadings(file: string, readings: Iterable<CarReading>, format?: CarFileFormat): Promise<number> {
  return writeReadings(file, readings, CAR_READING_FIELDS, format);
}

/** Reads a file written by writeCarReadings (or `kafkalab simulate --out`) back into records. */
export function readCarReadings(file: string, format?: CarFileFormat): CarReading[] {
  return readReadings<CarReading>(file, CAR_TEXT_FIELDS, format);
}

/** Streams motor readings to a file (`kafkalab simulate --dataset motors --out`); returns how many were written. */
export function writeMotorReadings(file: string, readings: Iterable<MotorReading>, format?: DatasetFileFormat): Promise<number> {
  return writeReadings(file, readings, MOTOR_READING_FIELDS, format);
}

/** Reads a file written by writeMotorReadings back into nested records (`datasets/motor-readings-sample.jsonl`). */
export function readMotorReadings(file: string, format?: DatasetFileFormat): MotorReading[] {
  return readReadings<MotorReading>(file, MOTOR_TEXT_FIELDS, format);
}
