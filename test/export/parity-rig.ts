/**
 * Parity with the real app process: one embedded broker and one exported, built scoring app per
 * test file, reused for every case (each case runs it with its own MODEL_DIR and topics). For a
 * case: produce the records (keyed by the window key, so co-partitioned), read() them in the
 * notebook, train briefly, save, run the app on the topic, and compare every record's verdict:
 * the app's score and anomaly flag against `ae.scoreFeatures()`, its dead letters against the
 * reasons read()'s report and the Autoencoder give.
 */
import * as assert from 'uvu/assert';
import { execFile } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { Autoencoder, connect, type ConnectOptions, type KafkaConnection } from '../../sdk';
import { startBroker, type Broker, type BrokerOptions } from '../../sdk/broker';
import { startSchemaRegistry, type SchemaRegistry } from '../../sdk/registry';
import { readReport, recordsOf } from '../../sdk/frame/dataframe';
import { installAndBuild, startAppProcess, type AppProcess } from '../../sdk/export/process';
import type { WindowFeatureSpec } from '../../sdk/runtime';

const run = promisify(execFile);
const root = path.resolve(__dirname, '..', '..');

export interface Rig {
  broker: Broker;
  kafka: KafkaConnection;
  appDir: string;
  tmp: string;
  /** With `registry: true`: a Schema Registry beside the broker (the connection and the app use it). */
  registry?: SchemaRegistry;
  stop(): Promise<void>;
}

/**
 * `install: 'npm'` runs the app's own `npm install` (its vendored runtime tarball, offline from
 * npm's cache); 'link' unpacks the tarball into node_modules as npm would and links kafkalab's
 * copies of the other (same, pinned) dependencies, which keeps `npm test` fast.
 */
export async function startRig(install: 'npm' | 'link', opts: { broker?: BrokerOptions; connect?: Omit<ConnectOptions, 'brokers'>; registry?: boolean } = {}): Promise<Rig> {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'kafkalab-parity-'));
  const broker = await startBroker({ port: 0, ...opts.broker });
  const registry = opts.registry ? await startSchemaRegistry({ brokers: broker.bootstrap, port: 0 }) : undefined;
  const kafka = await connect({ brokers: broker.bootstrap, schemaRegistry: registry?.url, ...opts.connect }).catch(async (e) => {
    await registry?.stop();
    await broker.stop();
    throw e;
  });
  const stop = async () => {
    await kafka.close();
    await registry?.stop();
    await broker.stop();
    await fs.rm(tmp, { recursive: true, force: true });
  };
  const appDir = path.join(tmp, 'scorer');
  // A failed set-up stops what it started: left running, the broker kept a failed test's process
  // alive until the runner's 300 s limit (an export refused for a stale dist/ did that once).
  try {
    await buildApp();
  } catch (e) {
    await stop().catch(() => undefined);
    throw e;
  }
  return { broker, kafka, appDir, tmp, registry, stop };

  async function buildApp(): Promise<void> {
    const seedModel = new Autoencoder({ features: ['x'], layers: [1], seed: 1 });
    await seedModel.fit(Array.from({ length: 64 }, (_, i) => ({ x: i % 7 })), { epochs: 1 });
    await seedModel.export(appDir, { input: 'unused-in', output: 'unused-out', batchMs: 5 });
    if (install === 'npm') await installAndBuild(appDir);
    else {
      const own = path.join(appDir, 'node_modules', '@kafkalab', 'runtime');
      await fs.mkdir(own, { recursive: true });
      const [tarball] = (await fs.readdir(path.join(appDir, 'vendor'))).filter((f) => f.endsWith('.tgz'));
      await run('tar', ['-xzf', path.join(appDir, 'vendor', tarball), '-C', own, '--strip-components=1']);
      for (const entry of await fs.readdir(path.join(root, 'node_modules'))) {
        if (entry !== '.bin' && entry !== '@kafkalab') await fs.symlink(path.join(root, 'node_modules', entry), path.join(appDir, 'node_modules', entry), 'dir');
      }
      await run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: appDir });
    }
  }
}

export interface CaseMessage {
  partition: number;
  key: Buffer | null;
  value: Buffer | null;
}

export interface ParityCase {
  name: string;
  partitions: number;
  messages: CaseMessage[];
  /** Normal records (row objects, nested as in the topic) to train on. */
  training: Record<string, unknown>[];
  features: string[];
  windows: WindowFeatureSpec[];
  key: string;
  seed: number;
  /** Rows per model call in the app (small values split fetches into several chunks). */
  batchSize?: number;
  /** A sequence model over each key's last `length` readings instead of a dense one. */
  sequence?: { length: number };
  /** More environment for the app (OUTPUT_FORMAT=avro, ...). */
  env?: Record<string, string>;
}

export interface ParityResult {
  records: number;
  scored: number;
  deadLettered: number;
  anomalies: number;
  maxDiff: number;
  reasons: Record<string, number>;
}

interface AppResult {
  score: number | null;
  anomaly: boolean;
}

const TOLERANCE = 1e-5;

export async function runCase(rig: Rig, c: ParityCase): Promise<ParityResult> {
  const { kafka } = rig;
  const topic = c.name;
  await kafka.createTopic(topic, { partitions: c.partitions });
  const producer = await kafka.producer();
  for (let i = 0; i < c.messages.length; i += 500) await producer.send({ topic, messages: c.messages.slice(i, i + 500).map((m) => ({ partition: m.partition, key: m.key, value: m.value })) });

  // The notebook: read the topic, train on normal readings, score what was read.
  const df = await kafka.topic(topic).read();
  const report = readReport(df)!;
  assert.is(report.records, c.messages.length);
  assert.ok(report.failed <= report.samples.length, `every decode failure is in the report's samples (${report.failed})`);
  const ae = new Autoencoder({ features: c.features, windows: c.windows, key: c.key, layers: [Math.max(2, Math.ceil(c.features.length / 2))], seed: c.seed, ...(c.sequence ? { sequence: c.sequence } : {}) });
  await ae.fit(c.training, { epochs: 2, batchSize: 64, validationSplit: 0.2, threshold: { percentile: 90 } });
  const modelDir = path.join(rig.tmp, `${topic}-model`);
  await ae.save(modelDir);
  const nb = await ae.scoreFeatures(df);
  const want = new Map<string, { problem?: string; score?: number }>();
  for (const s of report.samples) want.set(`${s.partition}:${s.offset}`, { problem: s.reason });
  recordsOf(df).forEach((r, i) => want.set(`${r._partition}:${r._offset}`, nb.problems[i] !== undefined ? { problem: nb.problems[i] } : { score: nb.scores[i] }));
  assert.is(want.size, c.messages.length, 'the notebook has a verdict for every record');

  // The app: the real process on the same topic, with this case's model.
  const app: AppProcess = await startAppProcess(rig.appDir, {
    KAFKA_BROKERS: rig.broker.bootstrap,
    INPUT_TOPIC: topic,
    OUTPUT_TOPIC: `${topic}-out`,
    DLQ_TOPIC: `${topic}-dlq`,
    GROUP_ID: `${topic}-scorer`,
    MODEL_DIR: modelDir,
    OUTPUT_MODE: 'all',
    TOP_FEATURES: '0',
    BATCH_SIZE: String(c.batchSize ?? 4096),
    SESSION_TIMEOUT_MS: '10000',
    ...(rig.registry ? { SCHEMA_REGISTRY_URL: rig.registry.url } : {}),
    ...c.env,
  });
  let got: Map<string, AppResult | { problem: string }>;
  try {
    await app.ready(60_000);
    got = await collect(kafka, topic, c.messages.length, 90_000);
  } finally {
    app.kill('SIGTERM');
    await app.exited;
  }

  const result: ParityResult = { records: c.messages.length, scored: 0, deadLettered: 0, anomalies: 0, maxDiff: 0, reasons: {} };
  const threshold = ae.threshold;
  for (const [id, w] of want) {
    const g = got.get(id);
    assert.ok(g, `record ${id}: no result from the app`);
    if (w.problem !== undefined) {
      assert.equal(g, { problem: w.problem }, `record ${id}: dead-lettered for the same reason`);
      result.deadLettered++;
      result.reasons[w.problem] = (result.reasons[w.problem] ?? 0) + 1;
      continue;
    }
    assert.ok(!('problem' in g!), `record ${id}: the app dead-lettered it (${(g as { problem: string }).problem}), the notebook scored it`);
    const a = g as AppResult;
    result.scored++;
    if (!Number.isFinite(w.score!)) {
      assert.is(a.score, null, `record ${id}: a non-finite score is null in JSON`);
      continue;
    }
    const diff = Math.abs(a.score! - w.score!);
    result.maxDiff = Math.max(result.maxDiff, diff);
    assert.ok(diff <= TOLERANCE * Math.max(1, Math.abs(w.score!)), `record ${id}: app ${a.score} vs notebook ${w.score}`);
    if (Math.abs(w.score! - threshold) > TOLERANCE * Math.max(1, threshold)) assert.is(a.anomaly, w.score! > threshold, `record ${id}: anomaly flag`);
    if (a.anomaly) result.anomalies++;
  }
  ae.dispose();
  return result;
}

/** The app's results and dead letters by source partition:offset, once there is one per input record. */
async function collect(kafka: KafkaConnection, topic: string, total: number, timeoutMs: number): Promise<Map<string, AppResult | { problem: string }>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = new Map<string, AppResult | { problem: string }>();
    const topics = await kafka.admin.listTopics();
    if (topics.includes(`${topic}-out`)) {
      for (const r of recordsOf(await kafka.topic(`${topic}-out`).read())) out.set(`${r['source.partition']}:${r['source.offset']}`, { score: r.score as number | null, anomaly: r.anomaly as boolean });
    }
    if (topics.includes(`${topic}-dlq`)) {
      for (const r of recordsOf(await kafka.topic(`${topic}-dlq`).read({ format: 'string', headers: true }))) {
        const h = JSON.parse(r._headers as string) as Record<string, string>;
        out.set(`${h['kafkalab.source.partition']}:${h['kafkalab.source.offset']}`, { problem: h['kafkalab.error'] });
      }
    }
    if (out.size >= total) return out;
    if (Date.now() > deadline) throw new Error(`the app gave ${out.size} of ${total} verdicts in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 300));
  }
}
