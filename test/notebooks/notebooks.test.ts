/**
 * Executes every notebook headless with Jupyter on the kafkalab kernel, in order, as copies in a
 * temporary folder (the committed notebooks are never touched), against a kafkalab broker this
 * test starts on a free port (KAFKA_BROKERS), and checks that no cell failed and that the key
 * outputs are there. The executed copies are kept in test-output/notebooks/ for the browser test.
 */
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startBroker } from '../../sdk/broker';
import type { Broker } from '../../sdk/broker';
import { installKernel } from '../../kernel/install';
import { allText, killProcessesMentioning, settle, mimeOutputs, Notebook, notebookFiles, NOTEBOOKS_DIR, OUTPUT_DIR, printed, problems, PYTHON, readNotebook, run, ROOT } from './helpers';
import { missingPython, needing } from '../helpers/skip';

const missing = missingPython('nbclient, nbconvert, ipykernel, jupyter_client', 'apt-get install -y python3-nbclient python3-nbconvert jupyter-client jupyter-nbconvert python3-ipykernel');
const test = needing(uvuTest, missing);
const tmp = missing ? '' : fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-notebooks-'));
const work = path.join(tmp, 'work');
let broker: Broker | undefined;
const executed = new Map<string, Notebook>();
let env: NodeJS.ProcessEnv = {};

test.before(async () => {
  assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'kernel', 'launcher.js')), 'run `npm run build` first');
  fs.mkdirSync(work, { recursive: true });
  // Copies without the committed outputs: every output checked below comes from this run.
  for (const f of notebookFiles()) {
    const copy = readNotebook(path.join(NOTEBOOKS_DIR, f));
    for (const c of copy.cells) if (c.cell_type === 'code') Object.assign(c, { outputs: [], execution_count: null });
    fs.writeFileSync(path.join(work, f), JSON.stringify(copy, null, 1));
  }
  installKernel({ location: { prefix: path.join(tmp, 'jupyter') } });
  broker = await startBroker({ port: 0, dataDir: path.join(tmp, 'kafka-data') });
  env = {
    ...process.env,
    KAFKA_BROKERS: broker.bootstrap,
    JUPYTER_PATH: path.join(tmp, 'jupyter', 'share', 'jupyter'),
    // Connection files (named on the kernels' command lines) live here, which is how `after` finds strays.
    JUPYTER_RUNTIME_DIR: path.join(tmp, 'runtime'),
    JUPYTER_CONFIG_DIR: path.join(tmp, 'config'),
    PYDEVD_DISABLE_FILE_VALIDATION: '1',
  };
});

test.after(async () => {
  killProcessesMentioning(tmp);
  await broker?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

for (const file of notebookFiles()) {
  test(`${file} runs top to bottom without errors`, async () => {
    const nbPath = path.join(work, file);
    const started = Date.now();
    // --allow-errors: a failing cell's message (the kernel writes it to stderr) is kept in the
    // notebook, where problems() reports it; the remaining cells still run, each bounded.
    const r = await run(PYTHON, ['-m', 'jupyter', 'nbconvert', '--to', 'notebook', '--execute', '--inplace', '--allow-errors', '--ExecutePreprocessor.kernel_name=kafkalab', '--ExecutePreprocessor.timeout=600', file], { cwd: work, env, timeoutMs: 15 * 60_000 });
    // Whatever happened, nothing this notebook started may keep running into the next one
    // (nbconvert shuts its kernel down; give it a moment, then kill what is left).
    const strays = await settle(tmp);
    killProcessesMentioning(tmp);
    const nb = readNotebook(nbPath);
    executed.set(file, nb);
    fs.mkdirSync(OUTPUT_DIR, { recursive: true });
    fs.copyFileSync(nbPath, path.join(OUTPUT_DIR, file));
    process.stderr.write(`  ${file}: ${((Date.now() - started) / 1000).toFixed(0)} s, ${(fs.statSync(nbPath).size / 1e6).toFixed(1)} MB\n`);
    assert.equal(problems(nb), [], 'error output in cells');
    assert.is(r.code, 0, `nbconvert failed:\n${r.output.slice(-4000)}`);
    assert.equal(strays, [], 'processes left running after the notebook (kernel or app)');
    // plotly.js is served by Jupyter, never in the notebook; every chart carries a static picture
    // for readers without JavaScript (untrusted notebooks, GitHub, nbviewer).
    const loaders = mimeOutputs(nb, 'text/html').filter((h) => h.includes('if(!window.Plotly)')).length;
    assert.is(loaders, 0, 'no plotly.js bundle in the notebook');
    const figures = mimeOutputs(nb, 'text/html').filter((h) => h.includes('class="kafkalab-figure"'));
    assert.ok(figures.length > 0 && figures.every((h) => h.includes('<img class="kafkalab-static" src="data:image/svg+xml,')), 'every chart has its static image');
    assert.ok(fs.statSync(nbPath).size < 2.5e6, `output size ${fs.statSync(nbPath).size} bytes`);
  });
}

const nb = (prefix: string): Notebook => {
  const key = [...executed.keys()].find((k) => k.startsWith(prefix));
  assert.ok(key, `notebook ${prefix} did not run`);
  return executed.get(key!)!;
};
const charts = (n: Notebook) => mimeOutputs(n, 'application/vnd.plotly.v1+json').map((j) => JSON.parse(j) as { data: { type?: string }[]; layout: { title?: { text?: string } } });
const tables = (n: Notebook) => mimeOutputs(n, 'text/html').filter((h) => h.includes('<table'));

test('01: ingestion, topics table, a time-range frame, charts, a live view, windowed features', () => {
  const n = nb('01');
  assert.is(printed(n, 'published'), 100_800);
  assert.is(printed(n, 'produced'), 100_800, 'every published reading reached Kafka');
  assert.is(printed(n, 'deadLettered'), 0);
  assert.ok(tables(n).some((h) => h.includes('car-sensors') && h.includes('lastTimestamp')), 'kafka.topics() as an HTML table');
  assert.ok(tables(n).some((h) => h.includes('engine_vibration_amplitude') && h.includes('_offset')), 'the read frame as an HTML table');
  const rows = Number(/\[(\d[\d,]*) rows/.exec(allText(n))?.[1]?.replace(/,/g, '') ?? NaN);
  assert.ok(charts(n).length >= 4, `charts: ${charts(n).length}`);
  assert.ok(charts(n).some((c) => c.data.length >= 10 && c.data.every((t) => t.type === 'scatter')), 'a line per car');
  assert.ok(charts(n).some((c) => c.data.some((t) => t.type === 'bar')), 'a histogram');
  assert.match(allText(n), /stoppedBy: 'duration'/, 'the live view stopped after its duration');
  assert.ok(printed(n, 'rows') > 0, `stream rows ${printed(n, 'rows')}`);
  assert.ok(rows > 0 || Number.isNaN(rows));
  assert.is(printed(n, 'late'), 0, 'no window input dropped as late');
});

test('02: training progress, evaluation figures, charts, saved model', () => {
  const n = nb('02');
  const text = allText(n);
  assert.match(text, /car autoencoder ✓ epoch 12\/12/, 'the progress bar finished');
  const f1 = Number(/F1\s+([0-9.]+)/.exec(text)?.[1]);
  const auc = Number(/AUC\s+([0-9.]+)/.exec(text)?.[1]);
  const precision = Number(/precision\s+([0-9.]+)/.exec(text)?.[1]);
  const recall = Number(/recall\s+([0-9.]+)/.exec(text)?.[1]);
  assert.ok(f1 > 0.7 && f1 <= 1, `F1 ${f1}`);
  assert.ok(auc > 0.95 && auc <= 1, `AUC ${auc}`);
  assert.ok(precision > 0.7 && recall > 0.6, `precision ${precision}, recall ${recall}`);
  assert.ok(tables(n).some((h) => h.includes('bearing_wear') && h.includes('stuck_sensor')), 'per-type metrics table');
  const kinds = charts(n).map((c) => c.data.map((t) => t.type).join(','));
  assert.ok(kinds.some((k) => k === 'heatmap'), 'confusion matrix');
  assert.ok(kinds.some((k) => k === 'bar'), 'score histogram');
  assert.ok(kinds.some((k) => k === 'bar,bar'), 'feature errors');
  assert.ok(charts(n).some((c) => /Anomalies of car-/.test(c.layout.title?.text ?? '')), 'anomalies on a time line');
  assert.ok(fs.existsSync(path.join(work, 'models', 'car-ae', 'pipeline.json')), 'model saved');
});

test('03: exported app built, two instances scored everything, same scores as the notebook', () => {
  const n = nb('03');
  assert.ok(fs.existsSync(path.join(work, 'apps', 'car-scorer', 'dist', 'src', 'main.js')), 'app built');
  assert.ok(tables(n).some((h) => h.includes('Dockerfile') && h.includes('tsconfig.json')), 'generated files listed');
  const instances = tables(n).find((h) => h.includes('recordsOut'));
  assert.ok(instances, 'per-instance table');
  assert.ok(printed(n, 'compared') > 1000, 'scores compared');
  assert.ok(printed(n, 'maxAbsDifference') < 1e-4, `app vs notebook score difference ${printed(n, 'maxAbsDifference')}`);
  assert.ok(charts(n).some((c) => /as scored by the app/.test(c.layout.title?.text ?? '')), 'anomalies chart');
});

test('04: replay, backtest figures, live replay chart', () => {
  const n = nb('04');
  const replayed = printed(n, 'replayed');
  assert.is(replayed, 57_600, 'the labelled hour');
  assert.is(printed(n, 'scoredByApp'), replayed, 'the app scored every replayed record');
  const text = allText(n);
  const f1 = Number(/F1\s+([0-9.]+)/.exec(text)?.[1]);
  assert.ok(f1 > 0.7, `backtest F1 ${f1}`);
  assert.ok(charts(n).length >= 3, 'confusion, per-minute, live replay');
  assert.match(text, /replayed at 120x/);
});

test.run();
