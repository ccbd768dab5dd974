/** `kafkalab kernel install|uninstall` through the built CLI, checked with Jupyter's own kernelspec listing. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { missingPython, skip } from '../helpers/skip';
import { plotlyAssetName, plotlyBundlePath } from '../../sdk/plot/figure';

const root = path.resolve(__dirname, '..', '..');
const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(root, 'bin', 'kafkalab.js'), 'kernel', ...args], { encoding: 'utf8' });

test('install into a prefix: argv runs our launcher with this node; uninstall removes it', () => {
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-prefix-'));
  try {
    const r = cli('install', '--prefix', prefix);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /Installed kernel "kafkalab" \(kafkalab \(TypeScript\)\)/);
    const spec = JSON.parse(fs.readFileSync(path.join(prefix, 'share/jupyter/kernels/kafkalab/kernel.json'), 'utf8'));
    assert.equal(spec.argv, [process.execPath, path.join(root, 'dist/kernel/launcher.js'), '--config-path', '{connection_file}']);
    assert.is(spec.display_name, 'kafkalab (TypeScript)');
    assert.is(spec.language, 'typescript');
    // plotly.js once per Jupyter, served at nbextensions/kafkalab/ (the charts do not carry it).
    const asset = path.join(prefix, 'share/jupyter/nbextensions/kafkalab', plotlyAssetName());
    assert.is(fs.statSync(asset).size, fs.statSync(plotlyBundlePath()).size);
    const u = cli('uninstall', '--prefix', prefix);
    assert.is(u.status, 0);
    assert.ok(!fs.existsSync(path.join(prefix, 'share/jupyter/kernels/kafkalab')));
    assert.ok(!fs.existsSync(asset), 'the served plotly.js goes with the last kafkalab kernelspec');
  } finally {
    fs.rmSync(prefix, { recursive: true, force: true });
  }
});

test("Jupyter's own kernelspec listing finds the installed kernel", () => {
  const missing = missingPython('jupyter_client', 'apt-get install -y jupyter-client');
  if (missing) return skip(missing);
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-prefix-'));
  try {
    assert.is(cli('install', '--prefix', prefix).status, 0);
    const list = spawnSync('/usr/bin/python3', ['-m', 'jupyter_client.kernelspecapp', 'list', '--json'], { encoding: 'utf8', env: { ...process.env, JUPYTER_PATH: path.join(prefix, 'share/jupyter') } });
    assert.is(list.status, 0, list.stderr);
    assert.is(JSON.parse(list.stdout).kernelspecs.kafkalab.spec.display_name, 'kafkalab (TypeScript)');
  } finally {
    fs.rmSync(prefix, { recursive: true, force: true });
  }
});

test('--user honours JUPYTER_DATA_DIR; conflicting and unknown options are errors', () => {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-data-'));
  try {
    const r = spawnSync(process.execPath, [path.join(root, 'bin', 'kafkalab.js'), 'kernel', 'install', '--user', '--name', 'kafkalab-dev', '--display-name', 'kafkalab dev'], { encoding: 'utf8', env: { ...process.env, JUPYTER_DATA_DIR: data } });
    assert.is(r.status, 0, r.stderr);
    assert.is(JSON.parse(fs.readFileSync(path.join(data, 'kernels/kafkalab-dev/kernel.json'), 'utf8')).display_name, 'kafkalab dev');
  } finally {
    fs.rmSync(data, { recursive: true, force: true });
  }
  const both = cli('install', '--user', '--prefix', '/tmp/x');
  assert.is(both.status, 1);
  assert.match(both.stderr, /choose one of --user, --sys-prefix, --prefix/);
  assert.match(cli('install', '--prefx', '/tmp').stderr, /unknown option --prefx/);
  assert.match(cli('frobnicate').stderr, /unknown kernel command "frobnicate"; use install, uninstall or start/);
});

test.run();
