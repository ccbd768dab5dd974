/**
 * The exported app's window restore (sdk/runtime/score/windows.ts), measured against the
 * embedded broker: for N keys in one partition of R records, the time to rebuild every key's
 * windows from the commit's checkpoint, beside the same run's baseline, a rebuild from the log
 * start (what a restore without a checkpoint costs), and the first batch after a rebalance
 * (restore + decode + model call of one batch) beside a steady-state batch.
 *
 *   npm run bench:restore [-- --records 200000 --keys 100,1000,10000 --window 10,50 --batch 4096]
 *
 * The source is the app's own (admin for the commit and log start, the runtime's group-less
 * fetcher, the runtime's decoder and prepare); only the consumer group around it is left out.
 */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker } from '../sdk/broker';
import { mulberry32 } from '../sdk/util/prng';
import { Autoencoder } from '../sdk';
import {
  ColumnSet, PartitionWindows, RecordDecoder, rowColumns, Scorer, openFetcher, readRange,
  type FeatureState, type KafkajsMessage, type WindowSource,
} from '../sdk/runtime';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const RECORDS = Number(arg('records', '200000'));
const KEYS = arg('keys', '100,1000,10000').split(',').map(Number);
const WINDOWS = arg('window', '10,50').split(',').map(Number);
const BATCH = Number(arg('batch', '4096'));
const load = () => os.loadavg().map((x) => x.toFixed(1)).join(' ');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'kafkalab-bench-restore-'));
  const broker = await startBroker({ port: 0, partitions: 1 });
  const kafka = new Kafka({ clientId: 'bench-restore', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer();
  await producer.connect();
  console.log(`window restore bench: ${RECORDS.toLocaleString('en-US')} records per partition, ${os.cpus().length} cores, load average ${load()} (machine shared with other agents)`);
  console.log('keys | window | tail re-read (checkpoint) | restore from checkpoint | baseline: from log start | first batch after rebalance | steady batch');
  try {
    for (const window of WINDOWS) {
      // A model with windows over two fields, trained briefly: the restore cost does not depend on the weights.
      const ae = new Autoencoder({ features: ['a', 'b.c', 'd'], windows: [{ field: 'a', size: window, stats: ['mean', 'std', 'peak'] }, { field: 'b.c', size: Math.max(1, window >> 1), stats: ['diff', 'run'] }], key: 'k', seed: 1 });
      await ae.fit(Array.from({ length: 2000 }, (_, i) => ({ k: `k${i % 20}`, a: Math.sin(i), b: { c: i % 7 }, d: Math.cos(i / 3) })), { epochs: 1 });
      const modelDir = path.join(tmp, `model-${window}`);
      await ae.save(modelDir);
      ae.dispose();
      const scorer = await Scorer.load(modelDir);
      const names = [...scorer.spec.inputs.map((i) => i.name), scorer.spec.key!];
      const set = new ColumnSet();
      const decoder = new RecordDecoder(set, { columns: names });
      /** Decode + prepare `messages` into `state`, as the app's ChunkDecoder does; returns the prepared matrix and rows. */
      const prepare = (messages: KafkajsMessage[], state: FeatureState) => {
        set.clear();
        const offsets: number[] = [];
        for (const m of messages) if (decoder.add(m.key, m.value, 0, Number(m.offset), Number(m.timestamp)) === undefined) offsets.push(Number(m.offset));
        return scorer.prepare(rowColumns(set, names), set.rows, state, undefined, offsets);
      };

      for (const keys of KEYS) {
        const topic = `restore-${window}-${keys}`;
        await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
        // Keys interleaved at random (seeded), as sensors reporting at their own pace.
        const rand = mulberry32(12345 + keys);
        for (let at = 0; at < RECORDS; at += 5000) {
          const messages = Array.from({ length: Math.min(5000, RECORDS - at) }, (_, j) => {
            const i = at + j;
            const k = `k${Math.floor(rand() * keys)}`;
            return { key: k, value: JSON.stringify({ k, a: Math.sin(i / 10), b: { c: i % 5 }, d: rand() }) };
          });
          await producer.send({ topic, messages, acks: -1 });
        }
        // A consumer that scored the first RECORDS - BATCH records and committed with its checkpoint.
        const fetcher = await openFetcher(kafka, topic);
        await fetcher.connect();
        const to = RECORDS - BATCH;
        const live = new PartitionWindows(() => scorer.newState());
        const { state: liveState } = await live.restore(0, 0, { committed: async () => ({ offset: -1, metadata: null }), logStart: async () => 0, read: async () => undefined, feed: () => undefined });
        await readRange(fetcher, 0, 0, to, (m) => void prepare(m, liveState));
        live.advance(0, liveState, to);
        const group = `g-${topic}`;
        const checkpoint = live.checkpoint(liveState, to);
        // kafkajs's admin cannot write commit metadata: commit through a consumer's commitOffsets, as the app does.
        const c = kafka.consumer({ groupId: group });
        await c.connect();
        await c.subscribe({ topics: [topic], fromBeginning: true });
        let joined!: () => void;
        const j = new Promise<void>((r) => (joined = r));
        c.on(c.events.GROUP_JOIN, () => joined());
        await c.run({ autoCommit: false, eachBatch: async ({ pause }) => void pause() });
        await j;
        await c.commitOffsets([{ topic, partition: 0, offset: String(to), metadata: checkpoint }]);
        await c.disconnect();

        const source = (metadata: boolean): WindowSource<KafkajsMessage> => ({
          committed: async (p) => {
            const [t] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
            const e = t.partitions.find((x) => x.partition === p)!;
            return { offset: Number(e.offset), metadata: metadata ? e.metadata : null };
          },
          logStart: async (p) => Number((await admin.fetchTopicOffsets(topic)).find((x) => x.partition === p)!.low),
          read: (p, from, end, on) => readRange(fetcher, p, from, end, on),
          feed: (records, _p, state) => {
            for (let at = 0; at < records.length; at += BATCH) prepare(records.slice(at, at + BATCH), state);
          },
        });
        const next: KafkajsMessage[] = [];
        await readRange(fetcher, 0, to, RECORDS, (m) => void next.push(...m));
        const runs = { lookup: [] as number[], checkpoint: [] as number[], logStart: [] as number[], first: [] as number[], steady: [] as number[] };
        let tail = 0;
        for (let r = 0; r < 3; r++) {
          // A new owner restores from the checkpoint, then scores its first batch.
          const t0 = process.hrtime.bigint();
          const owner = new PartitionWindows(() => scorer.newState());
          const { state, report } = await owner.restore(0, to, source(true));
          const p = prepare(next, state);
          scorer.reconstruct(p.matrix, p.rows);
          runs.first.push(Number(process.hrtime.bigint() - t0) / 1e6);
          runs.checkpoint.push(report.ms);
          runs.lookup.push(report.lookupMs);
          tail = report.records;
          if (report.kind !== 'checkpoint') throw new Error(`expected a restore from the checkpoint, got ${report.kind}`);
          // Same-run baselines: without a checkpoint (from the log start); a steady batch (state ready).
          const base = await new PartitionWindows(() => scorer.newState()).restore(0, to, source(false));
          runs.logStart.push(base.report.ms);
          const copy = new PartitionWindows(() => scorer.newState());
          const ready = (await copy.restore(0, to, source(true))).state;
          const t1 = process.hrtime.bigint();
          const q = prepare(next, ready);
          scorer.reconstruct(q.matrix, q.rows);
          runs.steady.push(Number(process.hrtime.bigint() - t1) / 1e6);
        }
        await fetcher.disconnect();
        console.log(
          `${String(keys).padStart(5)} | ${String(window).padStart(3)} | ${tail.toLocaleString('en-US').padStart(9)} records | ${median(runs.checkpoint).toFixed(1).padStart(7)} ms (${median(runs.lookup).toFixed(1)} ms of it asking for the commit) | ${median(runs.logStart).toFixed(1).padStart(7)} ms (${to.toLocaleString('en-US')} records) | ${median(runs.first).toFixed(1).padStart(7)} ms | ${median(runs.steady).toFixed(1).padStart(6)} ms (${BATCH} records)`,
        );
      }
    }
    console.log(`medians of 3; load average after: ${load()}`);
  } finally {
    await producer.disconnect();
    await admin.disconnect();
    await broker.stop();
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
