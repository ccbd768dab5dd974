// @platformatic/kafka 1.x (pure TypeScript, modern protocol versions only: Metadata v12,
// Produce v11, Fetch v17, the flexible group and admin APIs) against the embedded broker:
// admin (create, duplicate create, list, describe/alter configs, create partitions, delete
// records, list offsets, groups, delete), produce with every codec and the idempotent producer,
// a consumer group that rebalances from one member to two with commits reaching the ends,
// offsets by time.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Admin, ConfigResourceTypes, Consumer, Producer, stringDeserializers, stringSerializers, type Message } from '@platformatic/kafka';
import * as zlib from 'zlib';
import { startBroker, type Broker } from '../../sdk/broker';
import { skip } from '../helpers/skip';

let broker: Broker;
let admin: Admin;
test.before(async () => {
  broker = await startBroker({ port: 0, groups: { initialRebalanceDelayMs: 0 } });
  admin = new Admin({ clientId: 'compat-admin', bootstrapBrokers: [bootstrap()] });
});
test.after(async () => {
  await admin.close();
  await broker.stop();
});

const bootstrap = () => `127.0.0.1:${broker.port}`;
const BASE = 1_700_000_000_000n;

async function produce(topic: string, n: number, opts: { compression?: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'; idempotent?: boolean; partition?: number; from?: number } = {}): Promise<void> {
  const producer = new Producer({ clientId: 'compat-producer', bootstrapBrokers: [bootstrap()], serializers: stringSerializers, idempotent: opts.idempotent, compression: opts.compression });
  try {
    const from = opts.from ?? 0;
    const messages = Array.from({ length: n }, (_, i) => ({ topic, key: `k${from + i}`, value: `v${from + i}`, partition: opts.partition, timestamp: BASE + BigInt(from + i) }));
    for (let i = 0; i < n; i += 100) await producer.send({ messages: messages.slice(i, i + 100), acks: -1 });
  } finally {
    await producer.close();
  }
}

/** Reads `n` records of `topic` from the start without a group commit, through a consumer stream. */
async function readAll(topic: string, n: number): Promise<Message<string, string, string, string>[]> {
  const consumer = new Consumer({ groupId: `read-${topic}-${Date.now()}`, clientId: 'compat-reader', bootstrapBrokers: [bootstrap()], deserializers: stringDeserializers, maxWaitTime: 200 });
  const out: Message<string, string, string, string>[] = [];
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false, sessionTimeout: 6000, heartbeatInterval: 300 });
    const deadline = Date.now() + 30_000;
    for await (const m of stream) {
      out.push(m);
      if (out.length >= n || Date.now() > deadline) break;
    }
    await stream.close();
  } finally {
    await consumer.close(true);
  }
  return out;
}

test('admin: createTopics (and its duplicate), listTopics, metadata', async () => {
  const created = await admin.createTopics({ topics: ['pk-data'], partitions: 4, replicas: 1 });
  assert.is(created[0].partitions, 4);
  const dup = await admin.createTopics({ topics: ['pk-data'], partitions: 4, replicas: 1 }).then(() => 'no error', (err: Error & { errors?: unknown[] }) => JSON.stringify(err, Object.getOwnPropertyNames(err)));
  assert.match(dup, /already exists|TOPIC_ALREADY_EXISTS/i);
  assert.ok((await admin.listTopics()).includes('pk-data'));
  const md = await admin.metadata({ topics: ['pk-data'] });
  assert.is(md.topics.get('pk-data')!.partitionsCount, 4);
});

for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
  test(`produce + consume, compression ${compression}`, async () => {
    // @platformatic/kafka compresses zstd with node:zlib, which has zstd from Node 22.15 on.
    if (compression === 'zstd' && !('zstdCompressSync' in zlib)) return skip(`@platformatic/kafka zstd needs node:zlib zstd (Node >= 22.15; this is ${process.version})`);
    const topic = `pk-${compression}`;
    await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
    await produce(topic, 300, { compression, partition: 0 });
    const got = await readAll(topic, 300);
    assert.is(got.length, 300);
    got.forEach((m, i) => {
      assert.is(m.value, `v${i}`);
      assert.is(m.offset, BigInt(i));
      assert.is(m.timestamp, BASE + BigInt(i));
    });
  });
}

test('idempotent producer: every record once, in order', async () => {
  await admin.createTopics({ topics: ['pk-idem'], partitions: 1, replicas: 1 });
  await produce('pk-idem', 1000, { idempotent: true, partition: 0, compression: 'lz4' });
  const got = await readAll('pk-idem', 1000);
  assert.equal(got.map((m) => m.value), Array.from({ length: 1000 }, (_, i) => `v${i}`));
});

test('consumer group: one member, then a second joins (rebalance), commits reach the ends', async () => {
  await produce('pk-data', 400);
  const seen = new Set<string>();
  const members: Consumer<string, string, string, string>[] = [];
  const streams: { close(): Promise<void> }[] = [];
  const join = async (name: string) => {
    const c = new Consumer({ groupId: 'pk-group', clientId: name, bootstrapBrokers: [bootstrap()], deserializers: stringDeserializers, maxWaitTime: 200 });
    members.push(c);
    const stream = await c.consume({ topics: ['pk-data'], mode: 'committed', fallbackMode: 'earliest', autocommit: false, sessionTimeout: 6000, heartbeatInterval: 300, rebalanceTimeout: 6000 });
    streams.push(stream);
    stream.on('data', (m: Message<string, string, string, string>) => {
      seen.add(`${m.partition}/${m.offset}`);
      void Promise.resolve(m.commit()).catch(() => {}); // a commit racing a rebalance may be refused; later ones land
    });
    return c;
  };
  const owned = (c: { assignments: { partitions: number[] }[] | null }) => (c.assignments ?? []).reduce((n, a) => n + a.partitions.length, 0);
  const until = async (what: string, cond: () => boolean | Promise<boolean>, ms = 40_000) => {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  try {
    const a = await join('member-a');
    await until('member a to own 4 partitions', () => owned(a) === 4);
    const b = await join('member-b');
    await until('the rebalance to split the partitions', () => owned(a) > 0 && owned(b) > 0 && owned(a) + owned(b) === 4);
    await produce('pk-data', 400, { from: 400 });
    await until('800 records consumed', () => seen.size === 800);
    const ends = await admin.listOffsets({ topics: [{ name: 'pk-data', partitions: [0, 1, 2, 3].map((partitionIndex) => ({ partitionIndex, timestamp: -1n })) }] });
    const want = new Map(ends[0].partitions.map((p) => [p.partitionIndex, p.offset]));
    assert.is([...want.values()].reduce((s, o) => s + o, 0n), 800n);
    await until('commits at the ends', async () => {
      const [group] = await admin.listConsumerGroupOffsets({ groups: ['pk-group'] });
      const parts = group.topics.find((t) => t.name === 'pk-data')?.partitions ?? [];
      return parts.length === 4 && parts.every((p) => p.committedOffset === want.get(p.partitionIndex));
    });
    const groups = await admin.describeGroups({ groups: ['pk-group'] });
    const g = groups.get('pk-group')!;
    assert.is(g.state, 'STABLE');
    assert.is(g.members.size, 2);
  } finally {
    for (const s of streams) await s.close().catch(() => undefined);
    for (const c of members) await Promise.resolve(c.close(true)).catch(() => undefined);
  }
});

test('offsets by time (ListOffsets with a timestamp)', async () => {
  const c = new Consumer({ groupId: 'pk-times', clientId: 'compat-times', bootstrapBrokers: [bootstrap()] });
  try {
    const offsets = await c.listOffsets({ topics: ['pk-none'], timestamp: BASE + 123n });
    assert.equal(offsets.get('pk-none'), [123n]);
    const later = await c.listOffsets({ topics: ['pk-none'], timestamp: BASE + 10_000n });
    assert.equal(later.get('pk-none'), [-1n]);
  } finally {
    await c.close();
  }
});

test('admin: describeConfigs, alterConfigs, incrementalAlterConfigs', async () => {
  await admin.alterConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: 'pk-data', configs: [{ name: 'retention.ms', value: '7200000' }] }] });
  await admin.incrementalAlterConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: 'pk-data', configs: [{ name: 'segment.ms', configOperation: 0, value: '3600000' }] }] });
  const [described] = await admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: 'pk-data' }] });
  const value = (name: string) => described.configs.find((c) => c.name === name)?.value;
  assert.is(value('retention.ms'), '7200000');
  assert.is(value('segment.ms'), '3600000');
  assert.is(value('cleanup.policy'), 'delete');
});

test('admin: createPartitions, deleteRecords, listGroups, deleteTopics', async () => {
  await admin.createPartitions({ topics: [{ name: 'pk-data', count: 6 }] });
  assert.is((await admin.metadata({ topics: ['pk-data'], forceUpdate: true })).topics.get('pk-data')!.partitionsCount, 6);
  const [deleted] = await admin.deleteRecords({ topics: [{ name: 'pk-none', partitions: [{ partition: 0, offset: 100n }] }] });
  assert.is(deleted.partitions[0].lowWatermark, 100n);
  assert.ok((await admin.listGroups()).has('pk-group'));
  await admin.deleteTopics({ topics: ['pk-gzip'] });
  assert.not.ok((await admin.listTopics()).includes('pk-gzip'));
});

test.run();
