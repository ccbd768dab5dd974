/**
 * Confluent-framed records for produce() and read(): a schema is registered (or found) under a
 * subject, rows are encoded with it and framed with its id; framed bytes are decoded by the
 * schema their id names. Subjects follow Confluent's strategies: TopicNameStrategy
 * (`<topic>-value`, `<topic>-key`; the default), RecordNameStrategy (the record's full name) and
 * TopicRecordNameStrategy (`<topic>-<record full name>`).
 */
import { KafkalabError } from '../../util/errors';
import type { SchemaRegistryClient } from '../client';
import type { ResolvedReference } from '../formats';
import type { SchemaReference, SchemaType } from '../types';
import { RowMismatch, type SchemaCodec } from './codec';
import { decodeMessageIndexes, frame, HEADER_BYTES, isFramed, schemaIdOf } from './wire';

export { RowMismatch, type SchemaCodec } from './codec';
export { frame, isFramed, schemaIdOf, decodeMessageIndexes, encodeMessageIndexes, HEADER_BYTES, MAGIC_BYTE } from './wire';

export type SchemaFormatName = 'avro' | 'protobuf' | 'json-schema';
export const SCHEMA_FORMATS: Record<SchemaFormatName, SchemaType> = { avro: 'AVRO', protobuf: 'PROTOBUF', 'json-schema': 'JSON' };
export type SubjectNameStrategy = 'topic' | 'record' | 'topic-record';
export const SUBJECT_STRATEGIES: readonly SubjectNameStrategy[] = ['topic', 'record', 'topic-record'];

export function isSchemaFormat(f: unknown): f is SchemaFormatName {
  return typeof f === 'string' && f in SCHEMA_FORMATS;
}

/** Compiles a schema of any type; a bad schema is a KafkalabError saying why. */
export function codecFor(schemaType: SchemaType, schema: string, references: ResolvedReference[] = [], opts: { messageName?: string } = {}): SchemaCodec {
  // The codecs load avsc, protobufjs or ajv: on first use, not when kafkalab is imported.
  /* eslint-disable @typescript-eslint/no-var-requires */
  try {
    if (schemaType === 'AVRO') return (require('./avro') as typeof import('./avro')).avroCodec(schema, references);
    if (schemaType === 'PROTOBUF') return (require('./protobuf') as typeof import('./protobuf')).protobufCodec(schema, references, opts.messageName);
    return (require('./json') as typeof import('./json')).jsonSchemaCodec(schema, references);
  } catch (e) {
    throw new KafkalabError(`The ${schemaType} schema does not compile: ${(e as Error).message}`, { code: 'BAD_SCHEMA', cause: e });
  }
}

export function subjectName(strategy: SubjectNameStrategy, topic: string, isKey: boolean, recordName: string | undefined): string {
  if (strategy === 'topic') return `${topic}-${isKey ? 'key' : 'value'}`;
  if (!recordName) {
    throw new KafkalabError(`The ${strategy === 'record' ? 'RecordNameStrategy' : 'TopicRecordNameStrategy'} needs a record name, and this schema has none`, {
      code: 'BAD_SCHEMA',
      hint: 'an Avro record, a Protobuf message, or a JSON Schema with a "title"; or use subjectStrategy: \'topic\'',
    });
  }
  return strategy === 'record' ? recordName : `${topic}-${recordName}`;
}

export interface SchemaEncoderOptions {
  format: SchemaFormatName;
  /** The schema: Avro / JSON Schema as an object or JSON text, Protobuf as .proto text. Omitted: the subject's latest version. */
  schema?: string | object;
  /** Schemas this one uses (Avro named types, .proto imports, JSON `$ref`s), registered under their own subjects. */
  references?: SchemaReference[];
  subjectStrategy?: SubjectNameStrategy;
  /** Protobuf: the message to write (default the file's first). */
  messageName?: string;
  /** Register the schema when it is new (default true); false: it must be registered already. */
  autoRegister?: boolean;
  isKey?: boolean;
}

export interface SchemaEncoder {
  subject: string;
  id: number;
  codec: SchemaCodec;
  /** Framed bytes of one value; throws RowMismatch when it does not fit. */
  encode(value: unknown): Buffer;
}

export async function schemaEncoder(client: SchemaRegistryClient, topic: string, opts: SchemaEncoderOptions): Promise<SchemaEncoder> {
  const schemaType = SCHEMA_FORMATS[opts.format];
  const strategy = opts.subjectStrategy ?? 'topic';
  const isKey = opts.isKey ?? false;
  let codec: SchemaCodec;
  let subject: string;
  let id: number;
  if (opts.schema === undefined) {
    subject = subjectName(strategy === 'topic' ? 'topic' : strategy, topic, isKey, undefined);
    const latest = await client.version(subject, 'latest');
    if (latest.schemaType !== schemaType) {
      throw new KafkalabError(`Subject "${subject}" holds a ${latest.schemaType} schema, not ${schemaType}`, { code: 'BAD_SCHEMA', hint: `use format '${formatName(latest.schemaType)}' or pass a schema` });
    }
    codec = codecFor(schemaType, latest.schema, await client.resolveReferences(latest.references), opts);
    id = latest.id;
  } else {
    const text = typeof opts.schema === 'string' ? opts.schema : JSON.stringify(opts.schema);
    const references = opts.references ?? [];
    codec = codecFor(schemaType, text, await client.resolveReferences(references), opts);
    subject = subjectName(strategy, topic, isKey, codec.recordName);
    const request = { schema: text, schemaType, references };
    id = opts.autoRegister === false ? (await client.lookup(subject, request)).id : await client.register(subject, request);
  }
  return { subject, id, codec, encode: (value) => frame(id, codec.encode(value), codec.messageIndexes) };
}

export function formatName(t: SchemaType): SchemaFormatName {
  return t === 'AVRO' ? 'avro' : t === 'PROTOBUF' ? 'protobuf' : 'json-schema';
}

/**
 * Decodes Confluent-framed bytes by the schema their id names (fetched once per id). Protobuf
 * message indexes pick the message type.
 */
export class SchemaDecoder {
  private readonly codecs = new Map<string, Promise<SchemaCodec>>();

  constructor(private readonly client: SchemaRegistryClient) {}

  async decode(bytes: Buffer): Promise<{ id: number; schemaType: SchemaType; value: unknown }> {
    if (!isFramed(bytes)) throw new KafkalabError('Not a Confluent-framed record (no magic byte 0 and schema id)', { code: 'NOT_FRAMED' });
    const id = schemaIdOf(bytes);
    const fetched = await this.client.schemaById(id);
    if (fetched.schemaType !== 'PROTOBUF') return { id, schemaType: fetched.schemaType, value: (await this.codec(id, [])).decode(bytes.subarray(HEADER_BYTES)) };
    let read: { indexes: number[]; payloadStart: number } | undefined;
    try {
      read = decodeMessageIndexes(bytes);
      return { id, schemaType: 'PROTOBUF', value: (await this.codec(id, read.indexes)).decode(bytes.subarray(read.payloadStart)) };
    } catch (e) {
      // Some producers (@kafkajs/confluent-schema-registry) write no message indexes: the
      // payload starts right after the id and means the first message.
      if (read && read.indexes.length === 1 && read.indexes[0] === 0) throw e;
      return { id, schemaType: 'PROTOBUF', value: (await this.codec(id, [0])).decode(bytes.subarray(HEADER_BYTES)) };
    }
  }

  private codec(id: number, indexes: number[]): Promise<SchemaCodec> {
    const key = `${id}:${indexes.join(',')}`;
    let codec = this.codecs.get(key);
    if (!codec) {
      codec = (async () => {
        const fetched = await this.client.schemaById(id);
        const refs = await this.client.resolveReferences(fetched.references);
        const messageName = fetched.schemaType === 'PROTOBUF' ? await this.messageNameAt(id, indexes) : undefined;
        return codecFor(fetched.schemaType, fetched.schema, refs, { messageName });
      })();
      this.codecs.set(key, codec);
      codec.catch(() => this.codecs.delete(key));
    }
    return codec;
  }

  private async messageNameAt(id: number, indexes: number[]): Promise<string> {
    const fetched = await this.client.schemaById(id);
    const { parseProtobuf } = require('../formats/protobuf') as typeof import('../formats/protobuf');
    const { messageAt } = require('./protobuf') as typeof import('./protobuf');
    const parsed = parseProtobuf(fetched.schema, await this.client.resolveReferences(fetched.references));
    return messageAt(parsed.root, parsed.messages, indexes).fullName.replace(/^\./, '');
  }
}

/** A produce-time error for a row that does not fit: which row, which field, which subject. */
export function rowMismatchError(e: RowMismatch, row: number, subject: string): KafkalabError {
  return new KafkalabError(`Row ${row} does not fit the schema of "${subject}": ${e.message}`, {
    code: 'SCHEMA_MISMATCH',
    hint: 'fix the row, or register a schema that allows it',
  });
}
