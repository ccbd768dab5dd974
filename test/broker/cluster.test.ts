// The test-only multi-node mode (sdk/broker/cluster.ts): N nodes in one process over one
// storage. On the wire: Metadata's leaders and epochs, NOT_LEADER_OR_FOLLOWER from non-leaders,
// LEADER_NOT_AVAILABLE and COORDINATOR_NOT_AVAILABLE while nodes are stopped. With kafkajs:
// a producer and a consumer group across random leader moves and node outages (schedules drawn
// by fast-check) lose nothing acknowledged.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type Broker } from '../../sdk/broker';
import type { ClusterControl } from '../../sdk/broker/cluster';
import { rawClient } from './wire';
import { completeProducer } from '../../sdk/kafka/complete-send';
import { ProduceRequest, ProduceResponse } from '../../sdk/protocol/messages/produce';
import { FetchRequest, FetchResponse } from '../../sdk/protocol/messages/fetch';
import { MetadataRequest, MetadataResponse } from '../../sdk/protocol/messages/metadata';
import { FindCoordinatorRequest, FindCoordinatorResponse } from '../../sdk/protocol/messages/find-coordinator';
import { ListOffsetsRequest, ListOffsetsResponse } from '../../sdk/protocol/messages/list-offsets';
import { encodeRecordBatch } from '../../sdk/protocol/record-batch';
import { ErrorCode } from '../../sdk/protocol/errors';

let broker: Broker;
let cluster: ClusterControl;
test.before(async () => {
  broker = await startBroker({ port: 0, nodes: 3, partitions: 6, groups: { initialRebalanceDelayMs: 0 } });
  cluster = broker.cluster!;
});
test.after(async () => {
  await broker.stop();
});

const portOf = (nodeId: number) => cluster.nodes.find((n) => n.nodeId === nodeId)!.port;

async function metadata(port: number, topic: string) {
  const c = await rawClient(port);
  try {
    return await c.call(MetadataRequest, MetadataResponse, 12, { topics: [{ name: topic, topicId: undefined as never }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false } as never);
  } finally {
    c.close();
  }
}

async function produceTo(port: number, topic: string, partition: number, value: string) {
  const c = await rawClient(port);
  try {
    const res = await c.call(ProduceRequest, ProduceResponse, 9, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ name: topic, partitionData: [{ index: partition, records: encodeRecordBatch([{ key: null, value: Buffer.from(value) }]) }] }],
    } as never);
    return res.responses[0].partitionResponses[0];
  } finally {
    c.close();
  }
}

async function fetchFrom(port: number, topic: string, partition: number) {
  const c = await rawClient(port);
  try {
    const res = await c.call(FetchRequest, FetchResponse, 11, {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
      forgottenTopicsData: [], rackId: '',
    } as never);
    return res.responses[0].partitions[0];
  } finally {
    c.close();
  }
}

async function listOffsetFrom(port: number, topic: string, partition: number) {
  const c = await rawClient(port);
  try {
    const res = await c.call(ListOffsetsRequest, ListOffsetsResponse, 7, {
      replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1 }] }],
    } as never);
    return res.topics[0].partitions[0];
  } finally {
    c.close();
  }
}

test('Metadata lists every node and spreads partition leaders over them', async () => {
  const md = await metadata(portOf(0), 'spread');
  assert.equal(md.brokers.map((b) => b.nodeId).sort(), [0, 1, 2]);
  assert.equal(new Set(md.brokers.map((b) => b.port)).size, 3);
  const t = md.topics[0];
  assert.is(t.partitions.length, 6);
  assert.equal(new Set(t.partitions.map((p) => p.leaderId)).size, 3, 'every node leads some partition');
  for (const p of t.partitions) {
    assert.is(p.errorCode, 0);
    assert.is(p.leaderId, cluster.leaderOf('spread', p.partitionIndex));
    assert.equal(p.replicaNodes, [p.leaderId]);
  }
  // Every node answers the same leaders.
  for (const n of cluster.nodes) {
    const other = await metadata(n.port, 'spread');
    assert.equal(other.topics[0].partitions.map((p) => p.leaderId), t.partitions.map((p) => p.leaderId));
  }
});

test('a non-leader answers NOT_LEADER_OR_FOLLOWER to Produce, Fetch and ListOffsets; the leader serves', async () => {
  await metadata(portOf(0), 'wire');
  const leader = cluster.leaderOf('wire', 0);
  const other = cluster.nodes.find((n) => n.nodeId !== leader)!.nodeId;
  const refused = await produceTo(portOf(other), 'wire', 0, 'x');
  assert.is(refused.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.is((await fetchFrom(portOf(other), 'wire', 0)).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.is((await listOffsetFrom(portOf(other), 'wire', 0)).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  const ok = await produceTo(portOf(leader), 'wire', 0, 'a');
  assert.is(ok.errorCode, 0);
  assert.is(ok.baseOffset, 0);
  const f = await fetchFrom(portOf(leader), 'wire', 0);
  assert.is(f.errorCode, 0);
  assert.is(f.highWatermark, 1);
});

test('moveLeader: the new leader serves the same log, the epoch grows, the old leader refuses', async () => {
  const before = cluster.leaderOf('wire', 0);
  const to = (before + 1) % 3;
  cluster.moveLeader('wire', 0, to);
  const md = await metadata(portOf(before), 'wire');
  assert.is(md.topics[0].partitions[0].leaderId, to);
  assert.is(md.topics[0].partitions[0].leaderEpoch, 1);
  assert.is((await produceTo(portOf(before), 'wire', 0, 'b')).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  const ok = await produceTo(portOf(to), 'wire', 0, 'b');
  assert.is(ok.errorCode, 0);
  assert.is(ok.baseOffset, 1, 'the log moved with the leadership');
  assert.is((await listOffsetFrom(portOf(to), 'wire', 0)).leaderEpoch, 1);
});

test('stopNode: its partitions have no leader (5), the coordinator is unavailable (15); startNode restores both on the same port', async () => {
  await metadata(portOf(0), 'outage');
  const led = (node: number) => [0, 1, 2, 3, 4, 5].filter((p) => cluster.leaderOf('outage', p) === node);
  const victims = led(0);
  assert.ok(victims.length > 0);
  const port0 = portOf(0);
  await cluster.stopNode(0);
  assert.not.ok(cluster.isRunning(0));
  const md = await metadata(portOf(1), 'outage');
  assert.equal(md.brokers.map((b) => b.nodeId).sort(), [1, 2]);
  assert.is(md.controllerId, 1);
  for (const p of md.topics[0].partitions) {
    if (victims.includes(p.partitionIndex)) {
      assert.is(p.errorCode, ErrorCode.LEADER_NOT_AVAILABLE);
      assert.is(p.leaderId, -1);
    } else assert.is(p.errorCode, 0);
  }
  const c = await rawClient(portOf(2));
  const fc0 = await c.call(FindCoordinatorRequest, FindCoordinatorResponse, 3, { key: 'g', keyType: 0 } as never);
  c.close();
  assert.is(fc0.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  await cluster.startNode(0);
  assert.is(portOf(0), port0);
  const again = await metadata(port0, 'outage');
  assert.ok(again.topics[0].partitions.every((p) => p.errorCode === 0 && p.leaderId >= 0));
  assert.equal(led(0), victims);
});

test('stopNode with failover moves its partitions to live nodes; startNode with takeBack returns them', async () => {
  await metadata(portOf(0), 'failover');
  const placed = [0, 1, 2, 3, 4, 5].map((p) => cluster.leaderOf('failover', p));
  await cluster.stopNode(1, { failover: true });
  const md = await metadata(portOf(0), 'failover');
  for (const p of md.topics[0].partitions) {
    assert.is(p.errorCode, 0);
    assert.ok(p.leaderId === 0 || p.leaderId === 2, `partition ${p.partitionIndex} led by ${p.leaderId}`);
  }
  await cluster.startNode(1, { takeBack: true });
  assert.equal([0, 1, 2, 3, 4, 5].map((p) => cluster.leaderOf('failover', p)), placed);
});

test('kafkajs (with completeProducer) and a consumer group across random leader moves and node outages lose nothing acknowledged', async () => {
  const kafka = new Kafka({ brokers: cluster.bootstrap.split(','), clientId: 'cluster-test', logLevel: logLevel.NOTHING, retry: { retries: 12, initialRetryTime: 50, maxRetryTime: 1000 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'moves', numPartitions: 6 }] });
  await admin.disconnect();
  // kafkajs's own send() drops records here (kafkajs#1303; 70 of 600 with this schedule): see complete-send.ts.
  const producer = completeProducer(kafka, { idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const consumer = kafka.consumer({ groupId: 'moves-group', sessionTimeout: 10_000, heartbeatInterval: 300, retry: { retries: 20, initialRetryTime: 50, maxRetryTime: 1000 } });
  await consumer.connect();
  await consumer.subscribe({ topic: 'moves', fromBeginning: true });
  const seen = new Set<string>();
  await consumer.run({ eachMessage: async ({ message }) => void seen.add(message.value!.toString()) });
  // A schedule nobody here wrote: per round, a move (partition, node) or an outage of a non-coordinator node.
  const schedule = fc.sample(
    fc.oneof(
      fc.record({ kind: fc.constant('move' as const), partition: fc.integer({ min: 0, max: 5 }), node: fc.integer({ min: 0, max: 2 }) }),
      fc.record({ kind: fc.constant('outage' as const), node: fc.integer({ min: 1, max: 2 }), failover: fc.boolean() }),
    ),
    { numRuns: 12, seed: 1306 },
  );
  const acked: string[] = [];
  for (const [round, step] of schedule.entries()) {
    if (step.kind === 'move') cluster.moveLeader('moves', step.partition, step.node);
    else await cluster.stopNode(step.node, { failover: step.failover });
    const values = Array.from({ length: 50 }, (_, i) => `r${round}-${i}`);
    const sending = producer.send({ topic: 'moves', messages: values.map((value, i) => ({ key: `k${i}`, value })) });
    if (step.kind === 'outage') {
      // Without failover the producer waits for the node; it comes back while the send retries.
      await new Promise((r) => setTimeout(r, 300));
      await cluster.startNode(step.node);
    }
    await sending;
    acked.push(...values);
  }
  const deadline = Date.now() + 60_000;
  while (acked.some((v) => !seen.has(v)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await consumer.disconnect();
  await producer.disconnect();
  assert.equal(acked.filter((v) => !seen.has(v)), [], 'every acknowledged record was consumed');
  assert.is(acked.length, 600);
  // The storage holds each acknowledged record once (idempotent retries were not stored twice).
  const admin2 = kafka.admin();
  await admin2.connect();
  const offsets = await admin2.fetchTopicOffsets('moves');
  await admin2.disconnect();
  assert.is(offsets.reduce((s, o) => s + Number(o.high), 0), 600);
});

test.run();
