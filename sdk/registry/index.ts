// The Schema Registry: an embedded server speaking Confluent's REST API, its client, and the
// Confluent-framed Avro / Protobuf / JSON Schema serdes.
export { startSchemaRegistry, DEFAULT_REGISTRY_PORT } from './server';
export type { SchemaRegistry, SchemaRegistryOptions } from './server';
export type { SchemaType, CompatibilityLevel, Mode, SchemaReference, RegisteredSchema } from './types';
