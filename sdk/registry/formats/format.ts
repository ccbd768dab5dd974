/**
 * What a schema format provides to the registry: parsing what it is given (invalid → 42201), the
 * canonical text it stores, and whether a reader schema can read what a writer schema wrote.
 * Compatibility levels (../compatibility.ts) are built on that one question.
 */
import type { SchemaType } from '../types';

/** A referenced schema, resolved: its reference name and text, dependencies listed before dependents. */
export interface ResolvedReference {
  name: string;
  schemaType: SchemaType;
  schema: string;
}

export interface ParsedSchema {
  readonly schemaType: SchemaType;
  /** The text the registry stores and returns; equal texts (and references) are the same schema. */
  readonly canonical: string;
  /** The record's full name (Avro), first message's (Protobuf) or `title` (JSON Schema), for RecordNameStrategy. */
  readonly recordName?: string;
}

export interface SchemaFormat<P extends ParsedSchema = ParsedSchema> {
  /** Throws a RegistryError 42201 saying what is wrong. */
  parse(schema: string, references: ResolvedReference[]): P;
  /** Why data written with `writer` cannot be read with `reader`; empty when it can. */
  incompatibilities(reader: P, writer: P): string[];
}

/** One incompatibility as Confluent words them: `{errorType:'...', description:'...', additionalInfo:'...'}`. */
export function incompatibility(errorType: string, description: string, additionalInfo?: string): string {
  return `{errorType:'${errorType}', description:'${description}'${additionalInfo === undefined ? '' : `, additionalInfo:'${additionalInfo}'`}}`;
}
