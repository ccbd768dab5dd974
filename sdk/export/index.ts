/**
 * Export: a trained model plus a generated, standalone streaming scoring app.
 *
 *   await exportScoringApp(savedModel('models/vibration'), 'apps/vibration-scorer', { input: 'car-sensors', output: 'car-anomalies' });
 *   await ae.export('apps/vibration-scorer', { input: 'car-sensors', output: 'car-anomalies' });
 *
 * The app's decoding and scoring are the notebook's own code: the runtime (sdk/runtime) packed
 * as `@kafkalab/runtime` into the app's vendor/ folder (runtime-package.ts), next to the saved
 * model and its `pipeline.json`. The app's src/ holds only what is the app's: configuration,
 * consumer group, batching, output, HTTP, logs.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { Autoencoder } from '../ml/autoencoder';
import { checkPipeline, Scorer, type PipelineSpec } from '../runtime';
import { KafkalabError } from '../util/errors';
import { checkOptions, optionKeys } from '../util/options';
import { buildGolden, syntheticRecords } from './goldens';
import { packRuntime, RUNTIME_PACKAGE } from './runtime-package';
import { packageRoot, renderTemplates } from './templates';

/** What the generator needs from a model: the notebook's Autoencoder provides it. */
export interface ExportableModel {
  /** The content of pipeline.json. */
  readonly spec: PipelineSpec;
  /** Writes model.json, the weight shards and pipeline.json into `dir` (TensorFlow.js layers format). */
  save(dir: string): Promise<void>;
  /** The model as the runtime scores with it (the golden verdicts); loaded from the saved files when absent. */
  scorer?(): Promise<Scorer>;
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

export const EXPORT_OPTIONS = optionKeys<ExportOptions>()([
  'input', 'output', 'dlq', 'group', 'name', 'outputMode', 'brokers', 'autoOffsetReset', 'batchSize', 'batchMs', 'topFeatures', 'golden', 'tolerance', 'force',
]);

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
  const root = packageRoot();
  const runtime = await packRuntime(root, target);

  const name = opts.name ?? npmName(path.basename(target));
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
    RUNTIME_PACKAGE: runtime.name,
    RUNTIME_VERSION: runtime.version,
    RUNTIME_TARBALL: runtime.file,
    TYPESCRIPT_VERSION: version('typescript'),
    TYPES_NODE_VERSION: version('@types/node'),
  };

  const files = await renderTemplates(target, values);
  files.push(path.join(...runtime.file.split('/')));

  const modelDir = path.join(target, 'model');
  await m.save(modelDir);
  try {
    await fs.access(path.join(modelDir, 'pipeline.json'));
  } catch {
    await fs.writeFile(path.join(modelDir, 'pipeline.json'), JSON.stringify(spec, null, 2) + '\n');
  }
  for (const f of await fs.readdir(modelDir)) files.push(path.join('model', f));

  const records = opts.golden ?? syntheticRecords(spec);
  const scorer = m.scorer ? await m.scorer() : await Scorer.load(modelDir);
  const golden = buildGolden(scorer, records, opts.tolerance ?? 1e-5);
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
  // Keep node_modules and the lock file so that regenerating does not reinstall from scratch,
  // except the runtime package: its tarball is new, and npm must take it afresh.
  for (const e of existing) await fs.rm(path.join(dir, e), { recursive: true, force: true });
  await fs.rm(path.join(dir, 'node_modules', ...RUNTIME_PACKAGE.split('/')), { recursive: true, force: true });
  const lockFile = path.join(dir, 'package-lock.json');
  try {
    const lock = JSON.parse(await fs.readFile(lockFile, 'utf8')) as { packages?: Record<string, unknown>; dependencies?: Record<string, unknown> };
    delete lock.packages?.[`node_modules/${RUNTIME_PACKAGE}`];
    delete lock.dependencies?.[RUNTIME_PACKAGE];
    await fs.writeFile(lockFile, JSON.stringify(lock, null, 2) + '\n');
  } catch {
    // no lock file (or not one npm wrote): npm install makes a new one
  }
}

function npmName(base: string): string {
  const n = base.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+/, '').slice(0, 200);
  return n || 'kafkalab-scorer';
}

function positiveInt(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1) throw new KafkalabError(`export: ${what} must be a positive integer, got ${n}`, { code: 'BAD_OPTION' });
  return n;
}

declare module '../ml/autoencoder' {
  interface Autoencoder {
    /** Generates a standalone scoring app (see the export section of the README). */
    export(dir: string, opts: ExportOptions): Promise<ExportResult>;
  }
}

// `ae.export()` lives here, not in ml: export depends on the model, never the other way round.
Autoencoder.prototype.export = async function (this: Autoencoder, dir: string, opts: ExportOptions): Promise<ExportResult> {
  checkOptions('export()', opts ?? null, EXPORT_OPTIONS);
  const scorer = new Scorer(this.spec, this.model);
  return exportScoringApp({ spec: this.spec, save: (d: string) => this.save(d), scorer: async () => scorer }, dir, opts);
};
