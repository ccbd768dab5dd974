/**
 * Car readings to and from files: JSON lines (one record per line, as on the wire) or CSV
 * (header row in CAR_READING_FIELDS order). The format follows the file extension.
 */
import * as fs from 'fs';
import * as path from 'path';
import { KafkalabError } from '../util/errors';
import { CAR_READING_FIELDS, type CarReading } from './simulator';

export type CarFileFormat = 'jsonl' | 'csv';

export function formatFor(file: string, format?: CarFileFormat): CarFileFormat {
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

/** Streams readings to a file with backpressure; returns how many were written. */
export async function writeCarReadings(file: string, readings: Iterable<CarReading>, format?: CarFileFormat): Promise<number> {
  const fmt = formatFor(file, format);
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const out = fs.createWriteStream(file);
  const failed = new Promise<never>((_, reject) => out.once('error', reject));
  failed.catch(() => undefined);
  const write = async (chunk: string) => {
    if (!out.write(chunk)) await Promise.race([new Promise<void>((r) => out.once('drain', () => r())), failed]);
  };
  let n = 0;
  let buf = fmt === 'csv' ? CAR_READING_FIELDS.join(',') + '\n' : '';
  for (const r of readings) {
    buf += fmt === 'csv' ? CAR_READING_FIELDS.map((f) => csvCell(r[f])).join(',') + '\n' : JSON.stringify(r) + '\n';
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

const TEXT_FIELDS = new Set(['carId', 'vin', 'firmware_version', 'anomaly_type']);

/** Reads a file written by writeCarReadings (or `kafkalab simulate --out`) back into records. */
export function readCarReadings(file: string, format?: CarFileFormat): CarReading[] {
  const fmt = formatFor(file, format);
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  if (fmt === 'jsonl') return lines.map((l) => JSON.parse(l) as CarReading);
  const header = lines.shift()?.split(',') ?? [];
  // The simulator never writes commas or quotes inside a cell, so a plain split is exact here.
  return lines.map((l) => {
    const cells = l.split(',');
    const r: Record<string, unknown> = {};
    header.forEach((h, i) => (r[h] = TEXT_FIELDS.has(h) ? cells[i] : Number(cells[i])));
    return r as unknown as CarReading;
  });
}
