/**
 * A schema compiled for encoding and decoding payloads (what follows Confluent's header).
 * Encoding checks the value against the schema first and throws a RowMismatch naming the field,
 * so a produce() of rows that do not fit fails before anything is sent.
 */
import type { SchemaType } from '../types';

export interface SchemaCodec {
  readonly schemaType: SchemaType;
  /** Avro record full name, Protobuf message full name, JSON Schema title. */
  readonly recordName?: string;
  /** Protobuf: where the message type sits in its file (written after the header). */
  readonly messageIndexes?: number[];
  encode(value: unknown): Buffer;
  /** The payload as a plain object (nested records as objects). */
  decode(payload: Buffer): unknown;
}

/** A value that does not fit the schema: `field` is the dotted path of the first problem. */
export class RowMismatch extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(field ? `field "${field}" ${problem}` : problem);
    this.name = 'RowMismatch';
  }
}

/**
 * Rows read from Kafka come flattened (`engine.rpm`); schemas nest. Dotted names that are not
 * fields themselves become nested objects again, so a frame read from a topic writes back with
 * the same schema.
 */
export function unflatten(row: Record<string, unknown>, isField: (name: string) => boolean = () => false): Record<string, unknown> {
  let dotted = false;
  for (const k in row) if (k.includes('.') && !isField(k)) dotted = true;
  if (!dotted) return row;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (!k.includes('.') || isField(k)) {
      out[k] = v;
      continue;
    }
    const parts = k.split('.');
    let node = out;
    for (let i = 0; i < parts.length - 1; i++) {
      const next = node[parts[i]];
      node = (next && typeof next === 'object' && !Array.isArray(next) ? next : (node[parts[i]] = {})) as Record<string, unknown>;
    }
    node[parts[parts.length - 1]] = v;
  }
  return out;
}

export function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 37) + '...' : v);
  if (v instanceof Date) return `a Date (${v.toISOString()})`;
  if (Buffer.isBuffer(v)) return `${v.length} bytes`;
  if (Array.isArray(v)) return 'a list';
  if (v && typeof v === 'object') return 'an object';
  return String(v);
}
