/**
 * Export: a trained model plus a generated, standalone streaming scoring app.
 *
 *   await exportScoringApp(savedModel('models/vibration'), 'apps/vibration-scorer', { input: 'car-sensors', output: 'car-anomalies' });
 *
 * The app's scoring is the notebook's to the bit: kafkalab's `sdk/ml/pipeline.ts` is copied
 * verbatim into the app, next to the saved model and its `pipeline.json`.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { KafkalabError } from '../util/errors';
import { checkPipeline, type PipelineSpec } from '../ml/pipeline';
import { buildGolden, referenceScorer, syntheticRecords, type ScoreRecords } from './goldens';
import { packageRoot, renderTemplates } from './templates';

/** What the generator needs from a model: the notebook's Autoencoder provides it. */
export interface ExportableModel {
  /** The content of pipeline.json. */
  readonly spec: PipelineSpec;
  /** Writes model.json, the weight shards and pipeline.json into `dir` (TensorFlow.js layers format). */
  save(dir: string): Promise<void>;
  /** Scores records in order from fresh window state (the golden scores); kafkalab's own pipeline and TensorFlow.js when absent. */
  scoreRecords?: ScoreRecords;
}

export interface ExportOptions {
  /** Input topic (records to score). */
  input: string;
  /** Output topic (scores). */
  output: string;
  /** Dead-letter topic; default `<input>-dlq`. */
  dlq?: string;
  /** Consumer group; default the app name. */
  group?: string;
  /** npm package name of the app; default derived from the folder name. */
  name?: string;
  /** 'all' (default) publishes a result per record, 'anomalies' only the records over the threshold. */
  outputMode?: 'all' | 'anomalies';
  /** Default KAFKA_BROKERS baked into the app (default localhost:9092). */
  brokers?: string;
  /** Where a new consumer group starts: 'earliest' (default) or 'latest'. */
  autoOffsetReset?: 'earliest' | 'latest';
  /** Micro-batch bounds: rows per model call (default 4096) and the longest wait for a batch (default 20 ms). */
  batchSize?: number;
  batchMs?: number;
  /** Features named per output record as the largest contributors (default 3). */
  topFeatures?: number;
  /** Records for the app's golden test, scored now; deterministic synthetic records when absent. */
  golden?: Record<string, unknown>[];
  /** Largest relative score difference the golden test accepts (default 1e-5). */
  tolerance?: number;
  /** Replace an existing non-empty folder (its node_modules is kept, to make reinstalling fast). */
  force?: boolean;
}

export interface ExportResult {
  dir: string;
  name: string;
  files: string[];
  goldenRecords: number;
}

/** kafkalab source files an exported app carries as they are: [kafkalab path, app path]. Each imports nothing but kafkajs and the others (raw-produce.ts: adapter.ts). */
export const SHARED_SOURCES: readonly [string, string][] = [
  ['sdk/ml/pipeline.ts', 'src/pipeline.ts'],
  ['sdk/protocol/crc32c.ts', 'src/crc32c.ts'],
  ['sdk/protocol/batch-encoding.ts', 'src/batch-encoding.ts'],
  ['sdk/kafka/raw-produce.ts', 'src/raw-produce.ts'],
  ['sdk/kafka/adapter.ts', 'src/adapter.ts'],
  ['sdk/protocol/errors.ts', 'src/kafka-errors.ts'],
  ['sdk/util/retry.ts', 'src/retry.ts'],
  ['sdk/frame/json-number.ts', 'src/json-number.ts'],
];

/** A model folder written by `ae.save(dir)`: model.json, weights and pipeline.json. */
export async function savedModel(dir: string): Promise<ExportableModel> {
  const specPath = path.join(dir, 'pipeline.json');
  let spec: PipelineSpec;
  try {
    spec = checkPipeline(JSON.parse(await fs.readFile(specPath, 'utf8')) as PipelineSpec);
    await fs.access(path.join(dir, 'model.json'));
  } catch (err) {
    throw new KafkalabError(`${dir} is not a saved kafkalab model (${(err as Error).message})`, {
      code: 'EXPORT_MODEL',
      hint: 'pass the folder written by `await ae.save(dir)`, which holds model.json, its weights and pipeline.json',
      cause: err,
    });
  }
  return {
    spec,
    save: async (dest) => {
      await fs.mkdir(dest, { recursive: true });
      for (const f of await fs.readdir(dir)) if ((await fs.stat(path.join(dir, f))).isFile()) await fs.copyFile(path.join(dir, f), path.join(dest, f));
    },
  };
}

export async function exportScoringApp(model: ExportableModel | string, dir: string, opts: ExportOptions): Promise<ExportResult> {
  const m = typeof model === 'string' ? await savedModel(model) : model;
  const spec = checkPipeline(m.spec);
  for (const [k, v] of [['input', opts.input], ['output', opts.output]] as const) {
    if (!v || !/^[a-zA-Z0-9._-]{1,249}$/.test(v)) throw new KafkalabError(`export: option "${k}" must be a Kafka topic name, got ${JSON.stringify(v)}`, { code: 'BAD_OPTION', hint: "e.g. { input: 'car-sensors', output: 'car-anomalies' }" });
  }
  if (opts.input === opts.output) throw new KafkalabError(`export: input and output are the same topic "${opts.input}"`, { code: 'BAD_OPTION', hint: 'write scores to a topic of their own, e.g. car-anomalies' });
  const target = path.resolve(dir);
  await prepareFolder(target, opts.force ?? false);

  const name = opts.name ?? npmName(path.basename(target));
  const root = packageRoot();
  const version = (pkg: string) => (JSON.parse(require('fs').readFileSync(require.resolve(`${pkg}/package.json`, { paths: [root] }), 'utf8')) as { version: string }).version;
  const values: Record<string, string> = {
    APP_NAME: name,
    BROKERS: opts.brokers ?? 'localhost:9092',
    INPUT_TOPIC: opts.input,
    OUTPUT_TOPIC: opts.output,
    DLQ_TOPIC: opts.dlq ?? `${opts.input}-dlq`,
    GROUP_ID: opts.group ?? name,
    OUTPUT_MODE: opts.outputMode ?? 'all',
    AUTO_OFFSET_RESET: opts.autoOffsetReset ?? 'earliest',
    BATCH_SIZE: String(positiveInt(opts.batchSize ?? 4096, 'batchSize')),
    BATCH_MS: String(opts.batchMs ?? 20),
    TOP_FEATURES: String(opts.topFeatures ?? 3),
    THRESHOLD: String(spec.threshold.value),
    FEATURES: spec.features.map((f) => `\`${f}\``).join(', '),
    FEATURE_COUNT: String(spec.features.length),
    KEY_FIELD: spec.key ?? '(none: one global window state)',
    KAFKALAB_VERSION: (JSON.parse(await fs.readFile(path.join(root, 'package.json'), 'utf8')) as { version: string }).version,
    EXPORTED_AT: new Date().toISOString(),
    KAFKAJS_VERSION: version('kafkajs'),
    TFJS_VERSION: version('@tensorflow/tfjs'),
    TFJS_WASM_VERSION: version('@tensorflow/tfjs-backend-wasm'),
    TYPESCRIPT_VERSION: version('typescript'),
    TYPES_NODE_VERSION: version('@types/node'),
  };

  const files = await renderTemplates(target, values);
  // Verbatim, never forked: the app's arithmetic is the notebook's, its record batches and
  // partitions are the bridge's (the template's same-named files only re-export these for kafkalab's tests).
  for (const [from, to] of SHARED_SOURCES) {
    await fs.copyFile(path.join(root, ...from.split('/')), path.join(target, ...to.split('/')));
    if (!files.includes(path.join(...to.split('/')))) files.push(path.join(...to.split('/')));
  }

  const modelDir = path.join(target, 'model');
  await m.save(modelDir);
  try {
    await fs.access(path.join(modelDir, 'pipeline.json'));
  } catch {
    await fs.writeFile(path.join(modelDir, 'pipeline.json'), JSON.stringify(spec, null, 2) + '\n');
  }
  for (const f of await fs.readdir(modelDir)) files.push(path.join('model', f));

  const records = opts.golden ?? syntheticRecords(spec);
  const score = m.scoreRecords ?? (await referenceScorer(modelDir, spec));
  const golden = await buildGolden(spec, records, score, opts.tolerance ?? 1e-5);
  await fs.writeFile(path.join(target, 'test', 'golden.json'), JSON.stringify(golden) + '\n');
  files.push(path.join('test', 'golden.json'));

  return { dir: target, name, files: files.sort(), goldenRecords: records.length };
}

async function prepareFolder(dir: string, force: boolean): Promise<void> {
  let entries: string[] = [];
  try {
    entries = await fs.readdir(dir);
  } catch {
    await fs.mkdir(dir, { recursive: true });
    return;
  }
  const existing = entries.filter((e) => e !== 'node_modules' && e !== 'package-lock.json');
  if (existing.length && !force) {
    throw new KafkalabError(`export: ${dir} is not empty`, { code: 'EXPORT_EXISTS', hint: 'choose a new folder, or pass { force: true } (CLI: --force) to regenerate it' });
  }
  // Keep node_modules and the lock file so that regenerating does not reinstall from scratch.
  for (const e of existing) await fs.rm(path.join(dir, e), { recursive: true, force: true });
}

function npmName(base: string): string {
  const n = base.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+/, '').slice(0, 200);
  return n || 'kafkalab-scorer';
}

function positiveInt(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1) throw new KafkalabError(`export: ${what} must be a positive integer, got ${n}`, { code: 'BAD_OPTION' });
  return n;
}
