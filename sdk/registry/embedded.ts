/**
 * The registry connect() starts beside the embedded broker: on localhost:8081 unless something
 * already listens there (a registry another process started, reused like the broker on 9092).
 * A registry that cannot start is a warning, not a failed connect(): JSON topics work without it.
 */
import { isListening } from '../kafka/connect';
import type { Logger } from '../util/log';
import { DEFAULT_REGISTRY_PORT, startSchemaRegistry, type SchemaRegistry } from './server';

/** `port` 0: a free port (connect() uses it when its broker could not take :9092, so :8081 belongs to another broker's world). */
export async function startEmbeddedRegistry(bootstrap: string, logger: Logger, port = DEFAULT_REGISTRY_PORT): Promise<SchemaRegistry | undefined> {
  if (port !== 0 && (await isListening('127.0.0.1', port))) {
    logger.info('using the schema registry already listening on localhost:8081');
    return undefined;
  }
  try {
    const registry = await startSchemaRegistry({ brokers: bootstrap, port, logger });
    logger.info('started the embedded schema registry', { url: registry.url });
    return registry;
  } catch (e) {
    logger.warn('the embedded schema registry did not start; Avro, Protobuf and JSON Schema topics need one', { error: (e as Error).message });
    return undefined;
  }
}
