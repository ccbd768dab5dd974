/**
 * Producing record batches that were encoded by hand, through kafkajs's cluster (./adapter.ts):
 * metadata, leader discovery, TLS, SASL and the wire stay kafkajs's; only the per-record
 * encoding (kafkajs builds an object and an Encoder per record) is skipped. Used by the MQTT
 * bridge and, copied verbatim at export time with adapter.ts, by exported scoring apps, so this
 * file imports nothing but the adapter. Callers fall back to `producer.send` when `openCluster`
 * returns undefined (the adapter's self-check failed) or the broker lacks Produce v3-v8.
 */
import type { ClusterClient } from './adapter';

/** Produce v3 introduced record batches; v3 to v8 share one request layout (produceBody). */
export const PRODUCE_VERSIONS = { min: 3, max: 8 } as const;

/**
 * Sends `pending` (topic → partition → encoded batch) as one Produce request per leader; a
 * leader's partitions leave `pending` once it acknowledged them, so a retry resends only the
 * rest. Throws the first failure, or a retriable error when some partition has no leader.
 */
export async function produceToLeaders(cluster: ClusterClient, acks: number, timeoutMs: number, pending: Map<string, Map<number, Buffer>>, transactionalId: string | null = null): Promise<void> {
  const perLeader = new Map<number, Map<string, number[]>>();
  for (const [topic, batches] of pending) {
    if (!batches.size) continue;
    for (const [nodeId, partitions] of await cluster.leaders(topic, [...batches.keys()])) {
      let topics = perLeader.get(nodeId);
      if (!topics) perLeader.set(nodeId, (topics = new Map()));
      topics.set(topic, partitions);
    }
  }
  const results = await Promise.allSettled(
    [...perLeader].map(async ([nodeId, topics]) => {
      await cluster.produce(nodeId, acks, timeoutMs, produceBody(acks, timeoutMs, topics, pending, transactionalId, (size) => cluster.produceBuffer(size)));
      for (const [topic, partitions] of topics) for (const p of partitions) pending.get(topic)!.delete(p);
    }),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  for (const [topic, batches] of pending) if (batches.size) throw Object.assign(new Error(`no leader for ${batches.size} partition(s) of "${topic}"`), { retriable: true });
}

/**
 * Produce v3-v8: transactional_id nullable string (null unless the batches are transactional) | acks int16 | timeout_ms int32 |
 * [topic_data] (int32 count): name string | [partition_data] (int32 count): index int32 | records bytes
 */
export function produceBody(acks: number, timeoutMs: number, topics: Map<string, number[]>, pending: Map<string, Map<number, Buffer>>, transactionalId: string | null = null, alloc: (size: number) => Buffer = Buffer.allocUnsafe): Buffer {
  const txn = transactionalId === null ? undefined : Buffer.from(transactionalId, 'utf8');
  let size = 2 + (txn?.length ?? 0) + 2 + 4 + 4;
  const names = new Map<string, Buffer>();
  for (const [topic, partitions] of topics) {
    const name = Buffer.from(topic, 'utf8');
    names.set(topic, name);
    size += 2 + name.length + 4;
    for (const p of partitions) size += 8 + pending.get(topic)!.get(p)!.length;
  }
  const b = alloc(size);
  let at = b.writeInt16BE(txn ? txn.length : -1, 0);
  if (txn) at += txn.copy(b, at);
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
