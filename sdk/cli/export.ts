/** `kafkalab export`: a saved model folder → a standalone streaming scoring app. */
import { promises } from 'fs';
import { parseFlags } from './args';
import type { Command } from './main';
import { KafkalabError } from '../util/errors';

const spec = {
  model: { type: 'string', alias: 'm' },
  out: { type: 'string', alias: 'o' },
  input: { type: 'string', alias: 'i' },
  output: { type: 'string' },
  dlq: { type: 'string' },
  group: { type: 'string' },
  name: { type: 'string' },
  outputMode: { type: 'string', default: 'all' },
  brokers: { type: 'string' },
  batchSize: { type: 'number', default: 4096 },
  batchMs: { type: 'number', default: 20 },
  topFeatures: { type: 'number', default: 3 },
  golden: { type: 'string' },
  force: { type: 'boolean', default: false },
} as const;

export const command: Command = {
  summary: 'generate a streaming scoring app from a saved model',
  usage: `Usage: kafkalab export --model DIR --out DIR --input TOPIC --output TOPIC [options]

Writes a standalone TypeScript project (package.json, src/, model/, test/, Dockerfile, README.md)
that scores the input topic with the saved model and publishes results to the output topic.
Then: cd OUT && npm install && npm run build && npm start

Options:
  -m, --model DIR          folder written by ae.save(dir) (model.json, weights, pipeline.json)
  -o, --out DIR            folder to create
  -i, --input TOPIC        topic to score
      --output TOPIC       topic for the results
      --dlq TOPIC          dead-letter topic (default: <input>-dlq)
      --group ID           consumer group (default: the app name)
      --name NAME          npm package name (default: from the folder name)
      --output-mode MODE   all (default) or anomalies
      --brokers LIST       default KAFKA_BROKERS baked in (default: localhost:9092)
      --batch-size N       rows per model call (default 4096)
      --batch-ms MS        longest wait for a micro-batch (default 20)
      --top-features N     contributing features named per result (default 3)
      --golden FILE        JSON array or JSON-lines file of records for the app's golden test
                           (default: synthetic records around the training distribution)
      --force              regenerate into an existing folder (keeps its node_modules)`,
  async run(argv) {
    const f = parseFlags(argv, spec, 'export');
    for (const k of ['model', 'out', 'input', 'output'] as const) {
      if (!f[k]) throw new KafkalabError(`--${k} is required`, { code: 'BAD_OPTION', hint: 'see `kafkalab export --help`' });
    }
    if (f.outputMode !== 'all' && f.outputMode !== 'anomalies') throw new KafkalabError(`--output-mode must be all or anomalies, got "${f.outputMode}"`, { code: 'BAD_OPTION' });
    const { exportScoringApp } = require('../export') as typeof import('../export');
    const golden = f.golden ? await readRecords(f.golden) : undefined;
    const result = await exportScoringApp(f.model, f.out, {
      input: f.input,
      output: f.output,
      dlq: f.dlq || undefined,
      group: f.group || undefined,
      name: f.name || undefined,
      outputMode: f.outputMode,
      brokers: f.brokers || undefined,
      batchSize: f.batchSize,
      batchMs: f.batchMs,
      topFeatures: f.topFeatures,
      golden,
      force: f.force,
    });
    process.stdout.write(
      `Exported ${result.name} to ${result.dir} (${result.files.length} files, ${result.goldenRecords} golden records)\n` +
        `Next: cd ${result.dir} && npm install && npm run build && npm test && KAFKA_BROKERS=localhost:9092 npm start\n`,
    );
    return 0;
  },
};

async function readRecords(file: string): Promise<Record<string, unknown>[]> {
  const text = await promises.readFile(file, 'utf8');
  try {
    const trimmed = text.trim();
    const rows = trimmed.startsWith('[') ? JSON.parse(trimmed) : trimmed.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
    if (!Array.isArray(rows)) throw new Error('not an array');
    return rows as Record<string, unknown>[];
  } catch (err) {
    throw new KafkalabError(`--golden ${file}: cannot read records (${(err as Error).message})`, { code: 'BAD_OPTION', hint: 'give a JSON array of objects or one JSON object per line' });
  }
}
