/**
 * The Schema Registry's vocabulary, shared by the server, its store and the client: schema
 * types, compatibility levels, modes, references, and a registered schema as the REST API and
 * the `_schemas` topic carry it.
 */

export const SCHEMA_TYPES = ['AVRO', 'PROTOBUF', 'JSON'] as const;
export type SchemaType = (typeof SCHEMA_TYPES)[number];

export const COMPATIBILITY_LEVELS = ['NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE'] as const;
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];
/** Confluent's default for a registry nobody configured. */
export const DEFAULT_COMPATIBILITY: CompatibilityLevel = 'BACKWARD';

export const MODES = ['READWRITE', 'READONLY', 'READONLY_OVERRIDE', 'IMPORT'] as const;
export type Mode = (typeof MODES)[number];

/** A named dependency of a schema: another subject's version (an Avro named type, a .proto import, a JSON `$ref`). */
export interface SchemaReference {
  name: string;
  subject: string;
  version: number;
}

/** A schema as registered under one subject and version. */
export interface RegisteredSchema {
  subject: string;
  version: number;
  id: number;
  schemaType: SchemaType;
  /** The schema text in the registry's canonical form (what GET returns). */
  schema: string;
  references: SchemaReference[];
  deleted: boolean;
}

/** The body of POST /subjects/{subject}/versions and of the lookup and compatibility calls. */
export interface SchemaRequest {
  schema: string;
  schemaType?: SchemaType;
  references?: SchemaReference[];
  /** IMPORT mode only: the id and version to register under. */
  id?: number;
  version?: number;
}

/** How a schema is written in API answers: `schemaType` left out for Avro, `references` when empty (as Confluent does). */
export function schemaFields(s: { schemaType: SchemaType; schema: string; references: SchemaReference[] }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (s.schemaType !== 'AVRO') out.schemaType = s.schemaType;
  if (s.references.length) out.references = s.references;
  out.schema = s.schema;
  return out;
}
