// An embedded broker with a Schema Registry on free ports, and a tiny HTTP caller for its API.
import { startBroker, type Broker } from '../../sdk/broker';
import { connect, type KafkaConnection } from '../../sdk/kafka/connect';
import { startSchemaRegistry, type SchemaRegistry, type SchemaRegistryOptions } from '../../sdk/registry';

export interface RegistryRig {
  broker: Broker;
  registry: SchemaRegistry;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; type: string | null; body: any }>;
}

export async function startRegistryRig(opts: Partial<SchemaRegistryOptions> = {}, broker?: Broker): Promise<RegistryRig> {
  broker ??= await startBroker({ port: 0 });
  const registry = await startSchemaRegistry({ brokers: broker.bootstrap, port: 0, ...opts });
  const rig: RegistryRig = { broker, registry, call: (m, p, b, h) => callRegistry(rig.registry.url, m, p, b, h) };
  return rig;
}

export async function callRegistry(url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url + path, {
    method,
    headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // a bare schema text (GET .../schema)
  }
  return { status: res.status, type: res.headers.get('content-type'), body: parsed as any };
}

export async function stopRegistryRig(rig: Partial<RegistryRig> | undefined): Promise<void> {
  await rig?.registry?.stop();
  await rig?.broker?.stop();
}

export const avro = (schema: object | string) => ({ schema: typeof schema === 'string' ? schema : JSON.stringify(schema) });

/** A rig and a connection to it (with its registry) for the tests of one file: `before`/`after` hooks on `suite`. */
export function connectedRig(suite: { before: (fn: () => Promise<void>) => void; after: (fn: () => Promise<void>) => void }): { rig: RegistryRig; kafka: KafkaConnection } {
  const held = {} as { rig: RegistryRig; kafka: KafkaConnection };
  suite.before(async () => {
    held.rig = await startRegistryRig();
    held.kafka = await connect({ brokers: held.rig.broker.bootstrap, schemaRegistry: held.rig.registry.url });
  });
  suite.after(async () => {
    await held.kafka?.close();
    await stopRegistryRig(held.rig);
  });
  return held;
}
