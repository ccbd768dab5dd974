// The three schema formats behind one interface (./format.ts), by schema type.
import type { SchemaType } from '../types';
import type { SchemaFormat } from './format';
import { avroFormat } from './avro';
import { protobufFormat } from './protobuf';
import { jsonSchemaFormat } from './json-schema';

export type { ResolvedReference, ParsedSchema, SchemaFormat } from './format';

const FORMATS: Record<SchemaType, SchemaFormat> = {
  AVRO: avroFormat as SchemaFormat,
  PROTOBUF: protobufFormat as SchemaFormat,
  JSON: jsonSchemaFormat as SchemaFormat,
};

export function formatOf(type: SchemaType): SchemaFormat {
  return FORMATS[type];
}
