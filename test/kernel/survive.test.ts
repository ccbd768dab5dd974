/**
 * The kernel survives heavy output through real Jupyter (jupyter_client): more than 10,000
 * outputs (display updates, console lines, a 300-epoch fit with its progress bar and loss
 * curve) and an interrupt in the middle of a fit. zeromq 6 refuses a send while another is in
 * progress (EBUSY); before kernel/zmq-sends.ts every one of these cells could kill the kernel.
 * Needs `npm run build` and /usr/bin/python3 with jupyter_client.
 */
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { displays, errors, JupyterSession, PYTHON, results, tempKernelPath, textOf } from './session';
import { joined, readNotebook, run } from '../notebooks/helpers';
import { missingPython, needing } from '../helpers/skip';

let cwd: string;
let s: JupyterSession;
const test = needing(uvuTest, missingPython('jupyter_client, ipykernel, nbconvert', 'apt-get install -y jupyter-client python3-ipykernel jupyter-nbconvert'));

/** Outputs the kernel sent, counted in the cells below (the front end may see fewer: updates coalesce). */
let outputsSent = 0;
const settle = () => new Promise((r) => setTimeout(r, 400));

async function alive(): Promise<void> {
  assert.is((await s.send<{ alive: boolean }>({ op: 'alive' })).alive, true, 'the kernel process is alive');
  const r = await s.execute(`2 + 3`);
  assert.is(results(r)[0]?.data?.['text/plain'], '5', 'and answers the next cell');
}

test.before(() => {
  cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-survive-'));
  s = new JupyterSession(cwd);
});

test.after(async () => {
  await s.close();
  fs.rmSync(cwd, { recursive: true, force: true });
});

test('10,000 updates of one display: the kernel lives, the last state arrives', async () => {
  const r = await s.execute(`import { display } from 'kafkalab';
const h = display('step 0'); for (let i = 1; i <= 10000; i++) h.update('step ' + i)`, 120);
  outputsSent += 10_001;
  assert.is(r.status, 'ok', JSON.stringify(r.outputs).slice(0, 1000));
  const shown = displays(r);
  assert.ok(shown.length >= 2, 'shown, then updated');
  assert.ok(shown.length <= 10_001);
  assert.is(shown[shown.length - 1].data!['text/plain'], 'step 10000', 'the latest state wins');
  assert.is(new Set(shown.map((o) => o.transient?.display_id)).size, 1, 'one output area');
  await alive();
});

test('5,000 console lines in one cell and 2,000 from timers arrive complete and in order', async () => {
  const r = await s.execute(`for (let i = 0; i < 5000; i++) console.log('line ' + i); console.error('to stderr'); console.log('after')`, 120);
  outputsSent += 5002;
  assert.is(r.status, 'ok');
  const out = textOf(r, 'stdout').split('\n').filter(Boolean);
  assert.is(out.length, 5001);
  assert.is(out[0], 'line 0');
  assert.is(out[4999], 'line 4999');
  assert.is(out[5000], 'after');
  assert.is(textOf(r, 'stderr').trim(), 'to stderr');
  const timed = await s.execute(`await new Promise<void>((done) => { let n = 0; const t = setInterval(() => { for (let k = 0; k < 100; k++) console.log('tick ' + n++); if (n >= 2000) (clearInterval(t), done()); }, 1); })`, 120);
  outputsSent += 2000;
  const ticks = textOf(timed, 'stdout').split('\n').filter(Boolean);
  assert.is(ticks.length, 2000);
  assert.is(ticks[1999], 'tick 1999');
  await alive();
});

test('a 300-epoch fit with its live progress bar and loss curve', async () => {
  const r = await s.execute(`import { Autoencoder, frameFromRecords } from 'kafkalab';
const rows = frameFromRecords(Array.from({ length: 400 }, (_, i) => ({ a: Math.sin(i / 7), b: Math.cos(i / 5), c: (i % 13) / 13 })));
const ae = new Autoencoder({ features: ['a', 'b', 'c'], layers: [4, 2, 4], seed: 3 });
const history = await ae.fit(rows, { epochs: 300, batchSize: 50, validationSplit: 0.1 });
history.loss.length`, 300);
  assert.is(r.status, 'ok', JSON.stringify(r.outputs).slice(0, 1000));
  const charts = displays(r).filter((o) => o.data?.['application/vnd.plotly.v1+json']);
  const bars = displays(r).filter((o) => String(o.data?.['text/plain']).startsWith('training'));
  outputsSent += charts.length + bars.length;
  assert.ok(charts.length >= 1, 'a loss curve');
  assert.match(String(bars[bars.length - 1]?.data?.['text/plain']), /training ✓ epoch 300\/300/);
  assert.is(results(r)[0]?.data?.['text/plain'], '300');
  await alive();
});

test('interrupting a fit mid-way stops training, keeps the variables, and the kernel answers', async () => {
  const { msg_id } = await s.send<{ msg_id: string }>({
    op: 'submit',
    code: `const long = new Autoencoder({ features: ['a', 'b', 'c'], layers: [4, 2, 4], seed: 4 });
await long.fit(rows, { epochs: 100000, batchSize: 20 })`,
  });
  await new Promise((r) => setTimeout(r, 4000));
  await s.send({ op: 'interrupt' });
  const r = await s.send<{ status: string; outputs: { type: string; ename?: string; data?: Record<string, unknown> }[] }>({ op: 'collect', msg_id, timeout: 60 });
  assert.is(r.status, 'error');
  assert.equal(r.outputs.filter((o) => o.type === 'error').map((o) => o.ename), ['Interrupted']);
  outputsSent += r.outputs.length;
  assert.ok(r.outputs.some((o) => String(o.data?.['text/plain']).startsWith('training')), 'the fit was showing progress');
  await settle();
  const after = await s.execute(`history.loss.length`);
  assert.is(results(after)[0]?.data?.['text/plain'], '300', 'earlier variables are kept');
  // The interrupted fit stopped: no more progress arrives for it.
  const quiet = await s.execute(`await new Promise((r) => setTimeout(r, 1500)); 'quiet'`);
  assert.is(quiet.outputs.filter((o) => o.type !== 'execute_result').length, 0, JSON.stringify(quiet.outputs).slice(0, 500));
  await alive();
});

test('jupyter nbconvert --execute: display updates, 500 console lines and a 300-epoch fit; the saved notebook holds the final states', async () => {
  const { jupyterPath, dir } = tempKernelPath();
  const nbFile = path.join(cwd, 'heavy.ipynb');
  const cell = (source: string) => ({ cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source });
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'kafkalab', display_name: 'kafkalab', language: 'typescript' } },
    cells: [
      cell(`import { display, Autoencoder, frameFromRecords } from 'kafkalab';\nconst h = display('step 0'); for (let i = 1; i <= 3000; i++) h.update('step ' + i)`),
      cell(`for (let i = 0; i < 500; i++) console.log('line ' + i)`),
      cell(`const rows = frameFromRecords(Array.from({ length: 300 }, (_, i) => ({ a: Math.sin(i / 7), b: Math.cos(i / 5) })));\nconst ae = new Autoencoder({ features: ['a', 'b'], layers: [3, 1, 3], seed: 2 });\n(await ae.fit(rows, { epochs: 300, batchSize: 100 })).loss.length`),
    ],
  };
  fs.writeFileSync(nbFile, JSON.stringify(nb));
  try {
    const r = await run(PYTHON, ['-m', 'jupyter', 'nbconvert', '--to', 'notebook', '--execute', '--inplace', '--ExecutePreprocessor.kernel_name=kafkalab', '--ExecutePreprocessor.timeout=300', nbFile], {
      cwd,
      env: { ...process.env, JUPYTER_PATH: jupyterPath, PYDEVD_DISABLE_FILE_VALIDATION: '1' },
      timeoutMs: 360_000,
    });
    assert.is(r.code, 0, r.output.slice(-2000));
    outputsSent += 3001 + 500 + 300;
    const done = readNotebook(nbFile);
    const [updates, lines, fit] = done.cells.map((c) => c.outputs ?? []);
    assert.is(joined(updates[0]?.data?.['text/plain']), 'step 3000', 'nbconvert applied the last update');
    assert.is(joined(lines.map((o) => joined(o.text)).join('')).split('\n').filter(Boolean).length, 500);
    assert.match(joined(fit.find((o) => joined(o.data?.['text/plain']).startsWith('training'))?.data?.['text/plain']), /training ✓ epoch 300\/300/);
    assert.is(joined(fit.find((o) => o.output_type === 'execute_result')?.data?.['text/plain']), '300');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('all of it: more than 10,000 outputs were sent and the kernel never died', async () => {
  assert.ok(outputsSent >= 10_000, `${outputsSent} outputs`);
  assert.is(errors(await s.execute(`'still here'`)).length, 0);
  await alive();
});

test.run();
