/**
 * Administration APIs against the embedded broker: kafkajs's admin client where it has the call
 * (describeConfigs, alterConfigs, createPartitions, deleteTopicRecords, describeCluster), raw
 * described requests for the rest (flexible versions, IncrementalAlterConfigs, ListOffsets -3,
 * OffsetForLeaderEpoch, OffsetDelete, the SASL and ACL defaults, the zstd version rule).
 */
import { spawnSync } from 'child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel, ConfigResourceTypes } from 'kafkajs';
import { startBroker, type Broker } from '../../sdk/broker';
import { rawClient, type RawClient } from './wire';
import { crc32c } from '../../sdk/protocol/crc32c';
import { encodeRecordBatch, decodeRecords } from '../../sdk/protocol/record-batch';
import { MetadataRequest, MetadataResponse } from '../../sdk/protocol/messages/metadata';
import { ProduceRequest, ProduceResponse } from '../../sdk/protocol/messages/produce';
import { FetchRequest, FetchResponse } from '../../sdk/protocol/messages/fetch';
import { ListOffsetsRequest, ListOffsetsResponse, MAX_TIMESTAMP } from '../../sdk/protocol/messages/list-offsets';
import { DescribeConfigsRequest, DescribeConfigsResponse, ConfigResourceType, ConfigSource } from '../../sdk/protocol/messages/describe-configs';
import { AlterConfigsRequest, AlterConfigsResponse } from '../../sdk/protocol/messages/alter-configs';
import { IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse } from '../../sdk/protocol/messages/incremental-alter-configs';
import { OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse } from '../../sdk/protocol/messages/offset-for-leader-epoch';
import { OffsetCommitRequest, OffsetCommitResponse } from '../../sdk/protocol/messages/offset-commit';
import { OffsetFetchRequest, OffsetFetchResponse } from '../../sdk/protocol/messages/offset-fetch';
import { OffsetDeleteRequest, OffsetDeleteResponse } from '../../sdk/protocol/messages/offset-delete';
import { DescribeClusterRequest, DescribeClusterResponse } from '../../sdk/protocol/messages/describe-cluster';
import { DeleteRecordsRequest, DeleteRecordsResponse } from '../../sdk/protocol/messages/delete-records';
import { SaslHandshakeRequest, SaslHandshakeResponse } from '../../sdk/protocol/messages/sasl-handshake';
import { SaslAuthenticateRequest, SaslAuthenticateResponse } from '../../sdk/protocol/messages/sasl-authenticate';
import { DescribeAclsRequest, DescribeAclsResponse } from '../../sdk/protocol/messages/describe-acls';
import { CreateAclsRequest, CreateAclsResponse } from '../../sdk/protocol/messages/create-acls';
import { AclOperation, AclPatternType, AclPermissionType, AclResourceType } from '../../sdk/protocol/messages/acl-types';

let broker: Broker;
let kafka: Kafka;
let c: RawClient;
test.before(async () => {
  broker = await startBroker({ port: 0, partitions: 1 });
  kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'admin-test', logLevel: logLevel.NOTHING });
  c = await rawClient(broker.port);
  // Metadata creates them (auto-creation on), as a producer's first metadata request would.
  await c.call(MetadataRequest, MetadataResponse, 12, { topics: [{ name: 'maxts' }, { name: 'zstd-t' }], includeTopicAuthorizedOperations: false });
});
test.after(async () => {
  c.close();
  await broker.stop();
});

const fetchOne = (topic: string, partition: number, fetchOffset: number, version: number) =>
  c.call(FetchRequest, FetchResponse, version, {
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    topics: [{ topic, partitions: [{ partition, fetchOffset, partitionMaxBytes: 1 << 20 }] }],
  }).then((r) => r.responses[0].partitions[0]);

const produce = (topic: string, records: Buffer, version = 9) =>
  c.call(ProduceRequest, ProduceResponse, version, { acks: -1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] })
    .then((r) => r.responses[0].partitionResponses[0]);

test('kafkajs admin: describeConfigs, alterConfigs, createPartitions, deleteTopicRecords, describeCluster', async () => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: 'adm', numPartitions: 1 }] });
    const described = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'adm' }], includeSynonyms: false });
    const entries = described.resources[0].configEntries;
    const retention = entries.find((e) => e.configName === 'retention.ms');
    assert.ok(retention, 'retention.ms is described');
    assert.is(retention!.isDefault, true);
    assert.ok(entries.some((e) => e.configName === 'cleanup.policy' && e.configValue === 'delete'));

    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'adm', configEntries: [{ name: 'retention.ms', value: '3600000' }] }] });
    const after = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'adm', configNames: ['retention.ms'] }], includeSynonyms: false });
    assert.equal(after.resources[0].configEntries.map((e) => [e.configName, e.configValue, e.isDefault]), [['retention.ms', '3600000', false]]);

    await admin.createPartitions({ topicPartitions: [{ topic: 'adm', count: 3 }] });
    const md = await admin.fetchTopicMetadata({ topics: ['adm'] });
    assert.is(md.topics[0].partitions.length, 3);

    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'adm', messages: [0, 1, 2, 3, 4].map((i) => ({ value: `v${i}`, partition: 0 })) });
    await producer.disconnect();
    await admin.deleteTopicRecords({ topic: 'adm', partitions: [{ partition: 0, offset: '3' }] });
    const offsets = await admin.fetchTopicOffsets('adm');
    const p0 = offsets.find((o) => o.partition === 0)!;
    assert.equal([p0.low, p0.high], ['3', '5']);
    const fetched = await fetchOne('adm', 0, 3, 11);
    assert.equal(decodeRecords(fetched.records!).filter((r) => r.offset >= 3).map((r) => r.value!.toString()), ['v3', 'v4']);
    assert.is((await fetchOne('adm', 0, 1, 11)).errorCode, 1, 'records before the new start are gone');

    const cluster = await admin.describeCluster();
    assert.equal(cluster.brokers.map((b) => b.port), [broker.port]);
    assert.is(cluster.controller, 0);
  } finally {
    await admin.disconnect();
  }
});

test('DescribeConfigs v4 (flexible): synonyms, sources, documentation; the broker resource; unknown topic 3', async () => {
  await c.call(AlterConfigsRequest, AlterConfigsResponse, 2, { resources: [{ resourceType: ConfigResourceType.TOPIC, resourceName: 'adm', configs: [{ name: 'segment.ms', value: '60000' }] }], validateOnly: false });
  const res = await c.call(DescribeConfigsRequest, DescribeConfigsResponse, 4, {
    resources: [
      { resourceType: ConfigResourceType.TOPIC, resourceName: 'adm', configurationKeys: ['segment.ms', 'retention.ms'] },
      { resourceType: ConfigResourceType.BROKER, resourceName: '0', configurationKeys: ['num.partitions'] },
      { resourceType: ConfigResourceType.TOPIC, resourceName: 'no-such-topic', configurationKeys: null },
    ],
    includeSynonyms: true,
    includeDocumentation: true,
  });
  const [topic, brokerRes, missing] = res.results;
  assert.is(topic.errorCode, 0);
  const seg = topic.configs.find((x) => x.name === 'segment.ms')!;
  assert.equal([seg.value, seg.configSource, seg.synonyms[0].source], ['60000', ConfigSource.DYNAMIC_TOPIC_CONFIG, ConfigSource.DYNAMIC_TOPIC_CONFIG]);
  assert.ok(seg.documentation && seg.documentation.length > 0);
  // AlterConfigs replaced every override: retention.ms from the previous test is back to its default.
  assert.is(topic.configs.find((x) => x.name === 'retention.ms')!.configSource, ConfigSource.DEFAULT_CONFIG);
  assert.equal(brokerRes.configs.map((x) => [x.name, x.value, x.readOnly]), [['num.partitions', '1', true]]);
  assert.is(missing.errorCode, 3);
});

test('IncrementalAlterConfigs: APPEND/SUBTRACT on a list config, DELETE back to the default; the broker is read-only (42)', async () => {
  const alter = (configs: Array<{ name: string; configOperation: number; value: string | null }>, resourceType: number = ConfigResourceType.TOPIC, resourceName = 'adm') =>
    c.call(IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse, 1, { resources: [{ resourceType, resourceName, configs }], validateOnly: false }).then((r) => r.responses[0]);
  const L = 'leader.replication.throttled.replicas';
  assert.is((await alter([{ name: L, configOperation: 2, value: '0:0' }])).errorCode, 0);
  assert.is((await alter([{ name: L, configOperation: 2, value: '1:0,0:0' }])).errorCode, 0);
  const listed = async () =>
    (await c.call(DescribeConfigsRequest, DescribeConfigsResponse, 1, { resources: [{ resourceType: ConfigResourceType.TOPIC, resourceName: 'adm', configurationKeys: [L, 'segment.ms'] }] })).results[0].configs.map((x) => [x.name, x.value]);
  assert.equal(await listed(), [[L, '0:0,1:0'], ['segment.ms', '60000']]);
  assert.is((await alter([{ name: L, configOperation: 3, value: '0:0' }])).errorCode, 0);
  assert.equal((await listed())[0], [L, '1:0']);
  assert.is((await alter([{ name: L, configOperation: 1, value: null }])).errorCode, 0);
  assert.equal((await listed())[0], [L, '']);
  const bad = await alter([{ name: 'retention.ms', configOperation: 2, value: '5' }]);
  assert.is(bad.errorCode, 40, 'APPEND on a non-list config');
  const ro = await alter([{ name: 'num.partitions', configOperation: 0, value: '3' }], ConfigResourceType.BROKER, '0');
  assert.is(ro.errorCode, 42);
  assert.match(ro.errorMessage!, /num.partitions/);
});

test('ListOffsets -3 (v7+): the record with the largest timestamp, from the records; v6 refuses it', async () => {
  const t0 = 1_700_000_000_000;
  const batch = encodeRecordBatch([
    { key: null, value: Buffer.from('a'), timestamp: t0 + 10 },
    { key: null, value: Buffer.from('b'), timestamp: t0 + 50 },
    { key: null, value: Buffer.from('c'), timestamp: t0 + 20 },
  ]);
  assert.is((await produce('maxts', batch)).errorCode, 0);
  assert.is((await produce('maxts', encodeRecordBatch([{ key: null, value: Buffer.from('d'), timestamp: t0 + 30 }]))).errorCode, 0);
  const ask = (version: number) =>
    c.call(ListOffsetsRequest, ListOffsetsResponse, version, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'maxts', partitions: [{ partitionIndex: 0, timestamp: MAX_TIMESTAMP }] }] })
      .then((r) => r.topics[0].partitions[0]);
  const p = await ask(9);
  assert.equal([p.errorCode, p.offset, p.timestamp], [0, 1, t0 + 50]);
  assert.is((await ask(6)).errorCode, 35);
});

test('OffsetForLeaderEpoch: epoch 0 ends at the log end; other epochs undefined; newer current epoch 75', async () => {
  const ask = (leaderEpoch: number, currentLeaderEpoch: number) =>
    c.call(OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse, 4, { replicaId: -1, topics: [{ topic: 'maxts', partitions: [{ partition: 0, currentLeaderEpoch, leaderEpoch }] }] })
      .then((r) => r.topics[0].partitions[0]);
  assert.equal(await ask(0, 0), { errorCode: 0, partition: 0, leaderEpoch: 0, endOffset: 4 });
  assert.equal(await ask(3, -1), { errorCode: 0, partition: 0, leaderEpoch: -1, endOffset: -1 });
  assert.is((await ask(0, 7)).errorCode, 75);
});

test('DeleteRecords raw: -1 = high watermark; past the end 1', async () => {
  const del = (offset: number) =>
    c.call(DeleteRecordsRequest, DeleteRecordsResponse, 2, { topics: [{ name: 'maxts', partitions: [{ partitionIndex: 0, offset }] }], timeoutMs: 1000 }).then((r) => r.topics[0].partitions[0]);
  assert.is((await del(99)).errorCode, 1);
  assert.equal(await del(-1), { partitionIndex: 0, lowWatermark: 4, errorCode: 0 });
});

test('OffsetDelete: forgets a group\'s offsets for the partitions named; unknown group 69; active subscribers keep theirs (86)', async () => {
  await c.call(OffsetCommitRequest, OffsetCommitResponse, 2, {
    groupId: 'od', generationIdOrMemberEpoch: -1, memberId: '',
    topics: [{ name: 'adm', partitions: [{ partitionIndex: 0, committedOffset: 3, committedMetadata: null }, { partitionIndex: 1, committedOffset: 0, committedMetadata: null }] }],
  });
  const del = await c.call(OffsetDeleteRequest, OffsetDeleteResponse, 0, { groupId: 'od', topics: [{ name: 'adm', partitions: [{ partitionIndex: 0 }] }] });
  assert.equal(del, { errorCode: 0, throttleTimeMs: 0, topics: [{ name: 'adm', partitions: [{ partitionIndex: 0, errorCode: 0 }] }] });
  const left = await c.call(OffsetFetchRequest, OffsetFetchResponse, 9, { groups: [{ groupId: 'od', topics: [{ name: 'adm', partitionIndexes: [0, 1] }] }] });
  assert.equal(left.groups[0].topics[0].partitions.map((p) => p.committedOffset), [-1, 0]);
  assert.is((await c.call(OffsetDeleteRequest, OffsetDeleteResponse, 0, { groupId: 'nobody', topics: [] })).errorCode, 69);

  const consumer = kafka.consumer({ groupId: 'od-live' });
  await consumer.connect();
  await consumer.subscribe({ topic: 'adm', fromBeginning: true });
  let seen = 0;
  await consumer.run({ eachMessage: async () => void seen++ });
  try {
    for (let i = 0; i < 200 && seen === 0; i++) await new Promise((r) => setTimeout(r, 50));
    await c.call(OffsetCommitRequest, OffsetCommitResponse, 2, { groupId: 'od-live', generationIdOrMemberEpoch: -1, memberId: '', topics: [] });
    const held = await c.call(OffsetDeleteRequest, OffsetDeleteResponse, 0, { groupId: 'od-live', topics: [{ name: 'adm', partitions: [{ partitionIndex: 0 }] }] });
    assert.equal(held.topics[0].partitions[0].errorCode, 86);
  } finally {
    await consumer.disconnect();
  }
});

test('DescribeCluster v0-2: this node as broker and controller; controller endpoints 115; authorized operations on request', async () => {
  for (const v of [0, 1, 2]) {
    const res = await c.call(DescribeClusterRequest, DescribeClusterResponse, v, { includeClusterAuthorizedOperations: false });
    assert.equal([res.errorCode, res.controllerId, res.brokers], [0, 0, [{ brokerId: 0, host: '127.0.0.1', port: broker.port, rack: null, isFenced: false }]]);
  }
  const ctl = await c.call(DescribeClusterRequest, DescribeClusterResponse, 1, { includeClusterAuthorizedOperations: false, endpointType: 2 });
  assert.is(ctl.errorCode, 115);
  const ops = await c.call(DescribeClusterRequest, DescribeClusterResponse, 2, { includeClusterAuthorizedOperations: true });
  assert.ok(ops.clusterAuthorizedOperations & (1 << AclOperation.DESCRIBE), 'allow-all authorizer grants DESCRIBE');
});

test('without security configured: SASL requests get 34 ILLEGAL_SASL_STATE, ACL requests 54 SECURITY_DISABLED', async () => {
  assert.equal(await c.call(SaslHandshakeRequest, SaslHandshakeResponse, 1, { mechanism: 'PLAIN' }), { errorCode: 34, mechanisms: [] });
  const auth = await c.call(SaslAuthenticateRequest, SaslAuthenticateResponse, 2, { authBytes: Buffer.from('\0u\0p') });
  assert.is(auth.errorCode, 34);
  const described = await c.call(DescribeAclsRequest, DescribeAclsResponse, 3, {
    resourceTypeFilter: AclResourceType.ANY, resourceNameFilter: null, patternTypeFilter: AclPatternType.ANY, principalFilter: null, hostFilter: null, operation: AclOperation.ANY, permissionType: AclPermissionType.ANY,
  });
  assert.is(described.errorCode, 54);
  const created = await c.call(CreateAclsRequest, CreateAclsResponse, 3, {
    creations: [{ resourceType: AclResourceType.TOPIC, resourceName: 't', principal: 'User:a', host: '*', operation: AclOperation.READ, permissionType: AclPermissionType.ALLOW }],
  });
  assert.equal(created.results.map((r) => r.errorCode), [54]);
  assert.not.ok(c.isClosed());
});

/** A zstd batch made by the zstd tool (the records section compressed, the CRC recomputed). */
function zstdBatch(): Buffer | null {
  const plain = encodeRecordBatch(Array.from({ length: 20 }, (_, i) => ({ key: null, value: Buffer.from(`zstd record ${i} `.repeat(5)) })));
  const z = spawnSync('zstd', ['-c', '-q'], { input: plain.subarray(61) });
  if (z.error || z.status !== 0) return null;
  const batch = Buffer.concat([plain.subarray(0, 61), z.stdout]);
  batch.writeInt32BE(batch.length - 12, 8);
  batch.writeInt16BE(4, 21);
  batch.writeUInt32BE(crc32c(batch, 21), 17);
  return batch;
}

test('zstd: refused on Produce below v7 (76), accepted from v7; Fetch below v10 answers 76 instead of the data', async () => {
  const batch = zstdBatch();
  if (!batch) {
    console.log('  skip: zstd tool not installed');
    return;
  }
  assert.is((await produce('zstd-t', batch, 3)).errorCode, 76);
  assert.is((await produce('zstd-t', batch, 6)).errorCode, 76);
  const ok = await produce('zstd-t', batch, 7);
  assert.equal([ok.errorCode, ok.baseOffset], [0, 0]);
  assert.is((await fetchOne('zstd-t', 0, 0, 9)).errorCode, 76);
  const v10 = await fetchOne('zstd-t', 0, 0, 10);
  assert.is(v10.errorCode, 0);
  assert.is(v10.records!.readInt16BE(21) & 7, 4, 'the zstd batch comes back as stored');
});

test.run();
