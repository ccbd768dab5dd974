/**
 * JSON Schema payloads: UTF-8 JSON, validated with ajv against the registered schema (the
 * first failing field named).
 */
import type { ResolvedReference } from '../formats';
import { parseJsonSchema } from '../formats/json-schema';
import { RowMismatch, unflatten, type SchemaCodec } from './codec';

export function jsonSchemaCodec(schema: string, references: ResolvedReference[] = []): SchemaCodec {
  const parsed = parseJsonSchema(schema, references);
  const props = typeof parsed.json === 'object' && parsed.json.properties && typeof parsed.json.properties === 'object' ? (parsed.json.properties as Record<string, unknown>) : {};
  return {
    schemaType: 'JSON',
    recordName: parsed.recordName,
    encode(value: unknown): Buffer {
      const v = value && typeof value === 'object' && !Array.isArray(value) ? unflatten(value as Record<string, unknown>, (k) => k in props) : value;
      if (!parsed.validate(v)) {
        const e = parsed.validate.errors?.[0];
        const field = (e?.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
        const extra = e?.params && 'additionalProperty' in e.params ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"` : '';
        throw new RowMismatch(field, `${e?.message ?? 'does not match the schema'}${extra}`);
      }
      return Buffer.from(JSON.stringify(v));
    },
    decode: (payload: Buffer) => JSON.parse(payload.toString('utf8')),
  };
}
