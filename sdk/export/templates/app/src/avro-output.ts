/**
 * OUTPUT_FORMAT=avro: results as Avro records with a schema registered under
 * `<OUTPUT_TOPIC>-value` (TopicNameStrategy), framed as Confluent's serializers write them, so
 * any Avro consumer (kafkalab's read(), Confluent's deserializers, ksqlDB) decodes them by id.
 * The schema mirrors the JSON result field for field; nullable where JSON can hold null.
 */
import { schemaEncoder, type SchemaRegistryClient } from '@kafkalab/runtime';

const NUMBER = ['null', 'double'];

export function resultSchema(passthrough: readonly string[]): object {
  return {
    type: 'record',
    name: 'ScoredRecord',
    namespace: 'kafkalab',
    fields: [
      { name: 'key', type: ['null', 'string'] },
      {
        name: 'source',
        type: {
          type: 'record',
          name: 'Source',
          fields: [
            { name: 'topic', type: 'string' },
            { name: 'partition', type: 'int' },
            { name: 'offset', type: 'long' },
            { name: 'timestamp', type: { type: 'long', logicalType: 'timestamp-millis' } },
          ],
        },
      },
      { name: 'score', type: NUMBER },
      { name: 'threshold', type: NUMBER },
      { name: 'anomaly', type: 'boolean' },
      { name: 'model_version', type: ['null', 'string'], default: null },
      { name: 'top', type: { type: 'array', items: { type: 'record', name: 'TopFeature', fields: [{ name: 'feature', type: 'string' }, { name: 'error', type: NUMBER }] } } },
      ...(passthrough.length ? [{ name: 'fields', type: { type: 'map', values: ['null', 'boolean', 'double', 'string'] } }] : []),
      {
        name: 'shadow',
        type: ['null', { type: 'record', name: 'Shadow', fields: [{ name: 'model_version', type: ['null', 'string'] }, { name: 'score', type: NUMBER }, { name: 'anomaly', type: ['null', 'boolean'] }] }],
        default: null,
      },
    ],
  };
}

/** Registers the results' schema and returns the encoder of one result (its JSON text) to framed Avro. */
export async function avroResults(registry: SchemaRegistryClient, topic: string, passthrough: readonly string[]): Promise<(json: string) => Buffer> {
  const encoder = await schemaEncoder(registry, topic, { format: 'avro', schema: resultSchema(passthrough) });
  return (json) => {
    const v = JSON.parse(json) as Record<string, unknown>;
    if (typeof v.model_version === 'number') v.model_version = String(v.model_version);
    const shadow = v.shadow as Record<string, unknown> | undefined;
    if (shadow && typeof shadow.model_version === 'number') shadow.model_version = String(shadow.model_version);
    return encoder.encode(v);
  };
}
