/**
 * The Schema Registry pieces an exported app needs beside decoding (which decode/schema holds):
 * the registry client (Confluent's REST API, basic auth) and the one encoder that registers a
 * schema under its subject and frames values with its id, for OUTPUT_FORMAT=avro. (Their owner
 * is sdk/registry; this file only names what the runtime package carries.)
 */
export { SchemaRegistryClient, SchemaRegistryError, type RegistryAuth, type SchemaRegistryTarget } from '../registry/client';
export { schemaEncoder, RowMismatch, type SchemaEncoder, type SchemaEncoderOptions, type SchemaFormatName } from '../registry/serdes';
export { frame, isFramed, schemaIdOf, HEADER_BYTES } from '../registry/serdes/wire';
