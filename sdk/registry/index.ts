// The Schema Registry: an embedded server speaking Confluent's REST API, its client, and the
// Confluent-framed Avro / Protobuf / JSON Schema serdes.
export { startSchemaRegistry, DEFAULT_REGISTRY_PORT } from './server';
export type { SchemaRegistry, SchemaRegistryOptions } from './server';
export { SchemaRegistryClient, SchemaRegistryError } from './client';
export type { SchemaRegistryTarget, RegistryAuth, SchemaText, SubjectVersion, FetchedSchema } from './client';
export { SchemaDecoder, schemaEncoder, codecFor, isFramed, schemaIdOf } from './serdes';
export type { SchemaFormatName, SubjectNameStrategy, SchemaEncoder, SchemaEncoderOptions, SchemaCodec } from './serdes';
export type { SchemaType, CompatibilityLevel, Mode, SchemaReference, RegisteredSchema } from './types';
