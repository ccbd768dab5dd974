// The three schema formats behind one interface (./format.ts), by schema type.
import type { SchemaType } from '../types';
import type { SchemaFormat } from './format';

export type { ResolvedReference, ParsedSchema, SchemaFormat } from './format';

// Loaded on first use: avsc, protobufjs and ajv take ~0.7 s to load, which `import 'kafkalab'` should not pay.
/* eslint-disable @typescript-eslint/no-var-requires */
const LOADERS: Record<SchemaType, () => SchemaFormat> = {
  AVRO: () => require('./avro').avroFormat,
  PROTOBUF: () => require('./protobuf').protobufFormat,
  JSON: () => require('./json-schema').jsonSchemaFormat,
};
const loaded = new Map<SchemaType, SchemaFormat>();

export function formatOf(type: SchemaType): SchemaFormat {
  let f = loaded.get(type);
  if (!f) loaded.set(type, (f = LOADERS[type]()));
  return f;
}
