/**
 * Producing record batches that were encoded by hand, through kafkajs's own cluster, broker and
 * connection objects: metadata, leader discovery, TLS, SASL and the wire stay kafkajs's; only the
 * per-record encoding (kafkajs builds an object and an Encoder per record) is skipped. Used by
 * the MQTT bridge and, copied verbatim at export time, by exported scoring apps, so this file
 * imports nothing but kafkajs's types. It relies on kafkajs 2.2.x internals; callers fall back
 * to `producer.send` when `rawProduceSupport()` says they are missing.
 */
import type { Kafka } from 'kafkajs';

/* The slice of kafkajs's internal classes used here (kafkajs ships no types for them). */
export interface KRequest {
  apiVersion: number;
  encode(): Promise<unknown>;
}
export interface KBroker {
  lookupRequest(apiKey: number, definition: unknown): (args: object) => { request: KRequest; response: unknown };
  connectionPool: { send(req: { request: KRequest; response: unknown }): Promise<unknown> };
}
export interface KCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  isConnected(): boolean;
  addTargetTopic(topic: string): Promise<void>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  refreshMetadata(): Promise<void>;
  refreshMetadataIfNecessary(): Promise<void>;
  findTopicPartitionMetadata(topic: string): { partitionId: number }[];
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(by: { nodeId: string }): Promise<KBroker>;
  removeBroker(by: { host: string; port: number }): void;
}

const PRODUCE = 0;

/** kafkajs's cluster factory and Produce request definition, or why they are not there. */
export function rawProduceSupport(kafka: Kafka): { createCluster(options: object): KCluster; definition: unknown } | string {
  let requests: { Produce?: unknown } | undefined;
  try {
    requests = (require('kafkajs/src/protocol/requests') as { requests?: { Produce?: unknown } }).requests;
  } catch {
    requests = undefined;
  }
  const sym = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  if (!sym || !requests?.Produce) return 'this kafkajs version lacks the cluster factory or the Produce definition';
  const factory = (kafka as unknown as Record<symbol, (o: object) => KCluster>)[sym];
  return { createCluster: (options) => factory.call(kafka, options), definition: requests.Produce };
}

/** The Produce version kafkajs negotiated with `topic`'s leader (record batches need v3 to v8). */
export async function produceVersion(cluster: KCluster, topic: string, definition: unknown): Promise<number> {
  const leaders = cluster.findLeaderForPartitions(topic, cluster.findTopicPartitionMetadata(topic).map((m) => m.partitionId));
  const broker = await cluster.findBroker({ nodeId: Object.keys(leaders)[0] });
  return broker.lookupRequest(PRODUCE, definition)({ acks: -1, timeout: 30_000, topicData: [] }).request.apiVersion;
}

/**
 * Sends `pending` (topic → partition → encoded batch) as one Produce request per leader; a
 * leader's partitions leave `pending` once it acknowledged them, so a retry resends only the
 * rest. Throws the first failure, or a retriable error when some partition has no leader.
 */
export async function produceToLeaders(cluster: KCluster, definition: unknown, acks: number, timeoutMs: number, pending: Map<string, Map<number, Buffer>>): Promise<void> {
  const perLeader = new Map<string, Map<string, number[]>>();
  for (const [topic, batches] of pending) {
    if (!batches.size) continue;
    for (const [nodeId, partitions] of Object.entries(cluster.findLeaderForPartitions(topic, [...batches.keys()]))) {
      let topics = perLeader.get(nodeId);
      if (!topics) perLeader.set(nodeId, (topics = new Map()));
      topics.set(topic, partitions);
    }
  }
  const results = await Promise.allSettled(
    [...perLeader].map(async ([nodeId, topics]) => {
      const broker = await cluster.findBroker({ nodeId });
      const body = produceBody(acks, timeoutMs, topics, pending);
      const { request, response } = broker.lookupRequest(PRODUCE, definition)({ acks, timeout: timeoutMs, topicData: [] });
      // kafkajs's connection accepts any object shaped like its Encoder: the body goes out as is,
      // without a copy through an Encoder that grows by doubling.
      await broker.connectionPool.send({ request: { ...request, encode: async () => ({ buf: body, offset: body.length, buffer: body }) }, response });
      for (const [topic, partitions] of topics) for (const p of partitions) pending.get(topic)!.delete(p);
    }),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  for (const [topic, batches] of pending) if (batches.size) throw Object.assign(new Error(`no leader for ${batches.size} partition(s) of "${topic}"`), { retriable: true });
}

/**
 * Produce v3-v8: transactional_id nullable string | acks int16 | timeout_ms int32 |
 * [topic_data] (int32 count): name string | [partition_data] (int32 count): index int32 | records bytes
 */
export function produceBody(acks: number, timeoutMs: number, topics: Map<string, number[]>, pending: Map<string, Map<number, Buffer>>): Buffer {
  let size = 2 + 2 + 4 + 4;
  const names = new Map<string, Buffer>();
  for (const [topic, partitions] of topics) {
    const name = Buffer.from(topic, 'utf8');
    names.set(topic, name);
    size += 2 + name.length + 4;
    for (const p of partitions) size += 8 + pending.get(topic)!.get(p)!.length;
  }
  const b = Buffer.allocUnsafe(size);
  let at = b.writeInt16BE(-1, 0);
  at = b.writeInt16BE(acks, at);
  at = b.writeInt32BE(timeoutMs, at);
  at = b.writeInt32BE(topics.size, at);
  for (const [topic, partitions] of topics) {
    const name = names.get(topic)!;
    at = b.writeInt16BE(name.length, at);
    at += name.copy(b, at);
    at = b.writeInt32BE(partitions.length, at);
    for (const p of partitions) {
      const batch = pending.get(topic)!.get(p)!;
      at = b.writeInt32BE(p, at);
      at = b.writeInt32BE(batch.length, at);
      at += batch.copy(b, at);
    }
  }
  return b;
}
