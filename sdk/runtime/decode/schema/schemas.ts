/**
 * Confluent-framed records (magic byte 0, a 4-byte schema id, Protobuf message indexes, the
 * payload) decoded by the schema their id names. Schemas are fetched from a Schema Registry
 * once per id, ahead of decoding (`load`, async), so that decoding itself stays synchronous and
 * per record: Avro compiled into a column reader (avro-columns.ts), Protobuf through
 * protobufjs into an object flattened like JSON, JSON Schema payloads through the JSON path.
 * read(), stream() and the exported app share one cache per read, stream or app.
 */
import type * as avro from 'avsc';
import type * as protobuf from 'protobufjs';
import { compileAvroColumns, type AvroColumnPlan } from './avro-columns';
import { compileProtobufColumns, type ProtobufColumnPlan } from './protobuf-columns';
import { HEADER_BYTES, decodeMessageIndexes, isFramed, schemaIdOf } from '../../../registry/serdes/wire';
import type { ResolvedReference } from '../../../registry/formats/format';
import type { SchemaReference, SchemaType } from '../../../registry/types';

export { HEADER_BYTES, isFramed, schemaIdOf };

/** What decoding needs of a registry (SchemaRegistryClient is one). */
export interface SchemaSource {
  schemaById(id: number): Promise<{ schemaType: SchemaType; schema: string; references: SchemaReference[] }>;
  resolveReferences(refs: SchemaReference[]): Promise<ResolvedReference[]>;
}

/* eslint-disable @typescript-eslint/no-var-requires, @typescript-eslint/no-explicit-any */

/** A schema id as decoding knows it: compiled, or why its records cannot be decoded. */
export class SchemaEntry {
  /** Avro: the writer schema compiled into a column reader. */
  avro?: AvroColumnPlan;
  private avroType?: avro.Type;
  private proto?: { root: protobuf.Root; messages: string[]; types: Map<string, protobuf.Type>; plans: Map<string, ProtobufColumnPlan | null> };

  constructor(
    readonly id: number,
    readonly type: SchemaType,
    /** The Avro record's full name, the first Protobuf message's, the JSON Schema's title. */
    readonly name: string | undefined,
    /** Set when the schema could not be fetched or compiled: the failure reason of its records. */
    readonly failure?: string,
  ) {}

  static async load(id: number, source: SchemaSource): Promise<SchemaEntry> {
    let fetched: Awaited<ReturnType<SchemaSource['schemaById']>>;
    try {
      fetched = await source.schemaById(id);
    } catch (e) {
      if ((e as { status?: number }).status === 404) return new SchemaEntry(id, 'AVRO', undefined, `schema id ${id} is not in the Schema Registry`);
      throw e;
    }
    const type = fetched.schemaType ?? 'AVRO';
    try {
      const refs = await source.resolveReferences(fetched.references ?? []);
      if (type === 'AVRO') {
        const { compileAvro } = require('../../../registry/serdes/avro') as typeof import('../../../registry/serdes/avro');
        const t = compileAvro(fetched.schema, refs) as any;
        const e = new SchemaEntry(id, type, t.name ?? t.typeName);
        e.avroType = t;
        e.avro = compileAvroColumns(t);
        return e;
      }
      if (type === 'PROTOBUF') {
        const { parseProtobuf } = require('../../../registry/formats/protobuf') as typeof import('../../../registry/formats/protobuf');
        const parsed = parseProtobuf(fetched.schema, refs);
        const e = new SchemaEntry(id, type, parsed.messages[0]);
        e.proto = { root: parsed.root, messages: parsed.messages, types: new Map(), plans: new Map() };
        return e;
      }
      let title: string | undefined;
      try {
        const json = JSON.parse(fetched.schema);
        title = typeof json?.title === 'string' ? json.title : undefined;
      } catch {
        // the payloads are JSON whatever the schema text holds
      }
      return new SchemaEntry(id, 'JSON', title);
    } catch (e) {
      return new SchemaEntry(id, type, undefined, `schema id ${id} does not compile (${(e as Error).message})`);
    }
  }

  /**
   * The column reader of the message at `indexes` (key: the indexes joined by commas) when it is
   * flat enough to compile (protobuf-columns.ts), else null: its records go through protobufjs.
   */
  protobufPlan(key: string): ProtobufColumnPlan | null {
    const p = this.proto!;
    let plan = p.plans.get(key);
    if (plan === undefined) {
      try {
        plan = compileProtobufColumns(this.messageType(key.split(',').map(Number))) ?? null;
      } catch {
        plan = null;
      }
      p.plans.set(key, plan);
    }
    return plan;
  }

  /** The Protobuf message type at `indexes` of this schema's file. */
  private messageType(indexes: number[]): protobuf.Type {
    const p = this.proto!;
    const key = indexes.join(',');
    let t = p.types.get(key);
    if (!t) {
      const { messageAt } = require('../../../registry/serdes/protobuf') as typeof import('../../../registry/serdes/protobuf');
      t = messageAt(p.root, p.messages, indexes);
      p.types.set(key, t);
    }
    return t;
  }

  /**
   * A Protobuf payload of framed bytes b[start, end) as a plain object (longs as numbers, enums
   * as names, bytes as base64, Timestamps as epoch ms, wrappers as their value). Message indexes
   * pick the type; bytes without them (as @kafkajs/confluent-schema-registry writes) mean the
   * first message.
   */
  protobufValue(b: Buffer, start: number, end: number): Record<string, unknown> {
    const { fromWellKnown } = require('../../../registry/serdes/protobuf') as typeof import('../../../registry/serdes/protobuf');
    const decodeAt = (indexes: number[], from: number) => {
      const t = this.messageType(indexes);
      const msg = t.decode(b.subarray(from, end));
      return fromWellKnown(t, t.toObject(msg, TO_OBJECT));
    };
    let read: { indexes: number[]; payloadStart: number } | undefined;
    try {
      read = decodeMessageIndexes(b.subarray(0, end), start + HEADER_BYTES);
      return decodeAt(read.indexes, read.payloadStart);
    } catch (e) {
      if (read && read.indexes.length === 1 && read.indexes[0] === 0) throw e;
      return decodeAt([0], start + HEADER_BYTES);
    }
  }

  /** The payload of framed bytes b[start, end) as a plain value (keys; not the columns' hot path). */
  value(b: Buffer, start: number, end: number): unknown {
    if (this.type === 'AVRO') {
      const { valueReader } = require('./avro-columns') as typeof import('./avro-columns');
      this.avroValue ??= valueReader(this.avroType);
      const st = { p: start + HEADER_BYTES, end };
      const v = this.avroValue(b, st);
      if (st.p !== end) throw new RangeError('Avro payload length does not match its schema');
      return v;
    }
    if (this.type === 'PROTOBUF') return this.protobufValue(b, start, end);
    return JSON.parse(b.toString('utf8', start + HEADER_BYTES, end));
  }

  private avroValue?: (b: Buffer, st: { p: number; end: number }) => unknown;
}

const TO_OBJECT = { longs: Number, enums: String, bytes: String, defaults: true } as protobuf.IConversionOptions;

/** Schemas by id for one read, stream or app: loaded ahead (async), looked up while decoding (sync). */
export class SchemaCache {
  private readonly entries = new Map<number, SchemaEntry>();
  private readonly loading = new Map<number, Promise<void>>();

  /** Without a source, framed records fail with a reason saying a registry is needed. */
  constructor(readonly source?: SchemaSource) {}

  get(id: number): SchemaEntry | undefined {
    return this.entries.get(id);
  }

  has(id: number): boolean {
    return this.entries.has(id);
  }

  /** Fetches and compiles the ids not known yet. Registry errors other than "not found" are thrown. */
  async load(ids: Iterable<number>): Promise<void> {
    const source = this.source;
    if (!source) return;
    const waits: Promise<void>[] = [];
    for (const id of ids) {
      if (this.entries.has(id)) continue;
      let p = this.loading.get(id);
      if (!p) {
        p = SchemaEntry.load(id, source).then((e) => void this.entries.set(id, e));
        this.loading.set(id, p);
        p.catch(() => undefined).finally(() => this.loading.delete(id));
      }
      waits.push(p);
    }
    await Promise.all(waits);
  }

  /**
   * Loads the schemas that framed keys and values of `records` name (kafkajs messages, stream
   * batches); undefined (nothing to wait for) when every one is known already.
   */
  prepare(records: Iterable<{ key?: Buffer | string | null; value?: Buffer | string | null }>): Promise<void> | undefined {
    if (!this.source) return undefined;
    let ids: Set<number> | undefined;
    for (const r of records) {
      const v = r.value;
      if (v && typeof v !== 'string' && isFramed(v)) {
        const id = schemaIdOf(v);
        if (!this.entries.has(id)) (ids ??= new Set()).add(id);
      }
      const k = r.key;
      if (k && typeof k !== 'string' && isFramed(k)) {
        const id = schemaIdOf(k);
        if (!this.entries.has(id)) (ids ??= new Set()).add(id);
      }
    }
    return ids ? this.load(ids) : undefined;
  }
}
