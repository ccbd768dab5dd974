import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { exportScoringApp } from '../../sdk/export';
import { importClosure } from '../../sdk/export/runtime-package';
import { main } from '../../sdk/cli/main';
import { saveSmallModel } from './model-fixture';

const run = promisify(execFile);
const root = path.resolve(__dirname, '..', '..');
let tmp = '';
let modelDir = '';

test.before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'kafkalab-export-'));
  modelDir = path.join(tmp, 'model');
  await saveSmallModel(modelDir, { epochs: 5 });
});
test.after(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function listFiles(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(path.join(dir, rel), { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist') continue;
    if (e.isDirectory()) out.push(...(await listFiles(dir, path.join(rel, e.name))));
    else out.push(path.join(rel, e.name));
  }
  return out.sort();
}

test('writes the whole project, placeholders filled, the runtime as a vendored package', async () => {
  const app = path.join(tmp, 'Vibration Scorer');
  const result = await exportScoringApp(modelDir, app, { input: 'car-sensors', output: 'car-anomalies', outputMode: 'anomalies', batchSize: 512 });
  assert.is(result.name, 'vibration-scorer');
  const files = await listFiles(app);
  assert.equal(files, result.files);
  for (const f of ['package.json', 'tsconfig.json', 'Dockerfile', 'README.md', '.dockerignore', 'src/main.ts', 'src/app.ts', 'src/chunk.ts', 'model/model.json', 'model/weights.bin', 'model/pipeline.json', 'test/golden.json', 'test/golden.test.ts', 'vendor/kafkalab-runtime-0.1.0.tgz']) {
    assert.ok(files.includes(f), `missing ${f}`);
  }
  for (const f of files.filter((f) => !f.endsWith('.bin') && !f.endsWith('.tgz'))) {
    assert.not.match(await fs.readFile(path.join(app, f), 'utf8'), /\{\{[A-Z_]+\}\}/, `unfilled placeholder in ${f}`);
  }
  // No copies of kafkalab's code in the app's own source: decoding, pipeline and model call come from the package.
  for (const f of files.filter((f) => f.startsWith('src/'))) {
    const text = await fs.readFile(path.join(app, f), 'utf8');
    assert.not.match(text, /from '\.\.\/\.\.\//, `${f} reaches outside the app`);
    assert.not.match(text, /JSON\.parse\(m\.value|class FeatureState|function jsonNumber/, `${f} decodes or scores by itself`);
  }
  for (const gone of ['src/pipeline.ts', 'src/flatjson.ts', 'src/json-number.ts', 'src/scorer.ts', 'src/model.ts']) assert.not.ok(files.includes(gone), `${gone} is no longer the app's`);
  const pkg = JSON.parse(await fs.readFile(path.join(app, 'package.json'), 'utf8'));
  assert.is(pkg.dependencies['@kafkalab/runtime'], 'file:vendor/kafkalab-runtime-0.1.0.tgz');
  // The tarball holds the runtime's compiled closure (JS and types) under package/, and a manifest with its real dependencies.
  const tgz = path.join(app, 'vendor/kafkalab-runtime-0.1.0.tgz');
  const listing = (await run('tar', ['-tzf', tgz])).stdout.trim().split('\n').sort();
  const closure = importClosure(path.join(root, 'dist'));
  assert.equal(listing, ['package/package.json', ...closure.files.map((f) => `package/${f}`)].sort());
  assert.ok(listing.includes('package/sdk/runtime/decode/json-scan.js') && listing.includes('package/sdk/runtime/score/scorer.d.ts'));
  const manifest = JSON.parse((await run('tar', ['-xzOf', tgz, 'package/package.json'])).stdout);
  assert.is(manifest.name, '@kafkalab/runtime');
  assert.is(manifest.main, 'sdk/runtime/index.js');
  assert.equal(Object.keys(manifest.dependencies).sort(), ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'ajv', 'avsc', 'kafkajs', 'protobufjs']);
  const ours = JSON.parse(await fs.readFile(path.join(root, 'node_modules/kafkajs/package.json'), 'utf8'));
  assert.is(pkg.dependencies.kafkajs, ours.version, 'dependencies pinned to the versions kafkalab uses');
  assert.is(pkg.dependencies['@tensorflow/tfjs'], '4.22.0');
  const defaults = await fs.readFile(path.join(app, 'src/defaults.ts'), 'utf8');
  assert.match(defaults, "outputMode: 'anomalies'");
  assert.match(defaults, "dlqTopic: 'car-sensors-dlq'");
  assert.match(defaults, "batchSize: Number('512')");

  const golden = JSON.parse(await fs.readFile(path.join(app, 'test/golden.json'), 'utf8'));
  assert.is(golden.records.length, golden.scores.length);
  assert.is(golden.scores.filter((s: number | null) => s === null).length, 1, 'the synthetic set holds one record to reject');
  assert.ok(golden.scores.some((s: number | null) => s !== null && s > golden.threshold), 'some golden records are anomalies');
  assert.ok(golden.scores.some((s: number | null) => s !== null && s < golden.threshold), 'some golden records are normal');
});

test('the generated project passes tsc --strict and its own golden tests', async () => {
  const app = path.join(tmp, 'Vibration Scorer');
  // The app's dependencies are kafkalab's own (same pinned versions): link them instead of
  // installing, all but the runtime package, unpacked from the app's tarball as npm would.
  const own = path.join(app, 'node_modules', '@kafkalab', 'runtime');
  await fs.mkdir(own, { recursive: true });
  await run('tar', ['-xzf', path.join(app, 'vendor/kafkalab-runtime-0.1.0.tgz'), '-C', own, '--strip-components=1']);
  for (const entry of await fs.readdir(path.join(root, 'node_modules'))) {
    if (entry === '.bin' || entry === '@kafkalab') continue;
    await fs.symlink(path.join(root, 'node_modules', entry), path.join(app, 'node_modules', entry), 'dir');
  }
  const tsc = await run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: app });
  assert.is(tsc.stdout.trim(), '');
  const tsconfig = JSON.parse(await fs.readFile(path.join(app, 'tsconfig.json'), 'utf8'));
  assert.is(tsconfig.compilerOptions.strict, true);
  // File names, not the folder: from Node 21 `node --test` takes glob patterns and a bare folder matches nothing.
  const testFiles = (await fs.readdir(path.join(app, 'dist', 'test'))).filter((f) => f.endsWith('.test.js')).map((f) => `dist/test/${f}`);
  const t = await run(process.execPath, ['--test', '--test-reporter=tap', ...testFiles], { cwd: app }); // spec is the default from Node 23
  assert.match(t.stdout, /# pass 4\n/);
  assert.match(t.stdout, /# fail 0\n/);
  assert.match(t.stdout, /golden: 121 records on wasm/);
  // The app resolved the runtime from its own node_modules (the tarball), not from kafkalab's tree.
  assert.match(await fs.readFile(path.join(app, 'dist/src/chunk.js'), 'utf8'), /require\("@kafkalab\/runtime"\)/);
});

test('refuses a non-empty folder without force, and checks topics', async () => {
  const app = path.join(tmp, 'Vibration Scorer');
  try {
    await exportScoringApp(modelDir, app, { input: 'car-sensors', output: 'car-anomalies' });
    assert.unreachable('should refuse');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'EXPORT_EXISTS');
    assert.match(String(err), '--force');
  }
  try {
    await exportScoringApp(modelDir, path.join(tmp, 'y'), { input: 'same', output: 'same' });
    assert.unreachable('should refuse');
  } catch (err) {
    assert.match(String(err), 'same topic');
  }
  try {
    await exportScoringApp(path.join(tmp, 'nothing'), path.join(tmp, 'z'), { input: 'a', output: 'b' });
    assert.unreachable('should refuse');
  } catch (err) {
    assert.match(String(err), 'not a saved kafkalab model');
  }
});

test('kafkalab export on the command line, with golden records from a JSON-lines file', async () => {
  const app = path.join(tmp, 'cli-app');
  const goldenFile = path.join(tmp, 'golden.jsonl');
  const rows = [
    { carId: 'car-1', coolant_temp: 90, engine_vibration_amplitude: 0.2 },
    { carId: 'car-1', coolant_temp: 91, engine_vibration_amplitude: 5 },
    { nothing: true },
  ];
  await fs.writeFile(goldenFile, rows.map((r) => JSON.stringify(r)).join('\n'));
  const lines: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((s: string) => lines.push(s) > 0) as unknown as typeof process.stdout.write;
  let code: number;
  try {
    code = await main(['export', '--model', modelDir, '--out', app, '--input', 'in', '--output', 'out', '--group', 'g1', '--golden', goldenFile]);
  } finally {
    process.stdout.write = write;
  }
  assert.is(code, 0);
  assert.match(lines.join(''), 'Exported cli-app');
  const golden = JSON.parse(await fs.readFile(path.join(app, 'test/golden.json'), 'utf8'));
  assert.equal(golden.records, rows);
  assert.is(golden.scores[2], null);
  assert.is(golden.problems[2], 'record has no "carId"');
  assert.ok(golden.scores[1] > golden.scores[0]);
  assert.match(await fs.readFile(path.join(app, 'src/defaults.ts'), 'utf8'), "groupId: 'g1'");
});

test.run();
