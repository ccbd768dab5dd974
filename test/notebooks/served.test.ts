/**
 * The kernel under heavy output as a browser user drives it: a classic Notebook 6 server, the
 * notebook page in headless Chromium, cells run from the page (Jupyter.notebook's own API) over
 * the server's websocket. More than 10,000 outputs (display updates, console lines, a 300-epoch
 * fit with its live progress and loss curve), then a fit interrupted from the page (the ■
 * button's call): the kernel must stay the same process and answer the next cell, and the page
 * must end with the final states (the last update, the full 300-epoch curve).
 */
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chromium, CHROMIUM, NotebookServer, writeNotebook, type Page } from '../helpers/browser';
import { missingCommand, missingPython, needing } from '../helpers/skip';

const missing = missingCommand(CHROMIUM, 'apt-get install -y chromium') ?? missingPython('notebook', 'apt-get install -y jupyter-notebook');
const test = needing(uvuTest, missing);
const dir = missing ? '' : fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-served-'));
let server: NotebookServer;
let chromium: Chromium;
let page: Page;

const cells = [
  `import { Autoencoder, display, frameFromRecords } from 'kafkalab';\nprocess.pid`,
  `const h = display('step 0'); for (let i = 1; i <= 10000; i++) h.update('step ' + i); 'updated'`,
  `for (let i = 0; i < 2000; i++) console.log('line ' + i); 'logged'`,
  `const rows = frameFromRecords(Array.from({ length: 400 }, (_, i) => ({ a: Math.sin(i / 7), b: Math.cos(i / 5), c: (i % 13) / 13 })));
const ae = new Autoencoder({ features: ['a', 'b', 'c'], layers: [4, 2, 4], seed: 3 });
(await ae.fit(rows, { epochs: 300, batchSize: 50, validationSplit: 0.1 })).loss.length`,
  `const long = new Autoencoder({ features: ['a', 'b', 'c'], layers: [4, 2, 4], seed: 4 });\nawait long.fit(rows, { epochs: 100000, batchSize: 20 })`,
  `process.pid`,
];

test.before(async () => {
  writeNotebook(path.join(dir, 'heavy.ipynb'), cells);
  server = await NotebookServer.start(dir);
  chromium = await Chromium.launch();
  page = await chromium.page();
  await page.send('Page.navigate', { url: server.url('heavy.ipynb') });
  await Chromium.until(page, `!!(window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel && Jupyter.notebook.kernel.is_connected() && !Jupyter.notebook.kernel_busy)`, 'the kernel', 120_000);
});

test.after(async () => {
  await page?.close();
  await chromium?.close();
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs cell i from the page and waits for its prompt number; returns its outputs' text. */
async function run(i: number, timeoutMs = 300_000): Promise<string> {
  await page.evaluate(`Jupyter.notebook.get_cell(${i}).execute(), true`);
  await Chromium.until(page, `typeof Jupyter.notebook.get_cell(${i}).input_prompt_number === 'number'`, `cell ${i}`, timeoutMs, 250);
  return page.evaluate<string>(`Jupyter.notebook.get_cell(${i}).output_area.element[0].innerText`);
}


test('10,000 display updates, 2,000 console lines and a 300-epoch live fit in the browser; then an interrupted fit; the kernel answers', async () => {
  const pid = (await run(0, 300_000)).trim().split('\n').pop();
  assert.match(pid ?? '', /^\d+$/);

  const updated = await run(1);
  assert.match(updated, /step 10000/, 'the page shows the last update');
  assert.not.match(updated, /step 9999\b/);

  const logged = await run(2);
  assert.match(logged, /line 0\n/);
  assert.match(logged, /line 1999\n/);
  assert.is((logged.match(/^line \d+$/gm) ?? []).length, 2000, 'every console line, once');

  const fitted = await run(3, 600_000);
  assert.match(fitted, /training ✓ epoch 300\/300/);
  assert.match(fitted, /300\s*$/);
  // The final full drawing may still be waiting for plotly.js (loaded once per page from the server).
  const pointsExpr = `(() => { const d = [...Jupyter.notebook.get_cell(3).output_area.element[0].querySelectorAll('div.kafkalab-figure')].pop(); return d && d.data && d.data[0] ? d.data[0].x.length : 0; })()`;
  await Chromium.until(page, `${pointsExpr} === 300`, 'the loss curve to hold 300 epochs', 120_000).catch(() => undefined);
  assert.is(await page.evaluate<number>(pointsExpr), 300, 'the loss curve in the page holds all 300 epochs');

  // Interrupt from the page (what the ■ button calls) while the long fit runs.
  await page.evaluate(`Jupyter.notebook.get_cell(4).execute(), true`);
  await new Promise((r) => setTimeout(r, 8000));
  await page.evaluate(`Jupyter.notebook.kernel.interrupt(), true`);
  await Chromium.until(page, `typeof Jupyter.notebook.get_cell(4).input_prompt_number === 'number'`, 'the interrupted cell to end', 120_000, 250);
  const interrupted = await page.evaluate<string>(`Jupyter.notebook.get_cell(4).output_area.element[0].innerText`);
  assert.match(interrupted, /Interrupted|stopped by signal/);

  const again = (await run(5, 60_000)).trim().split('\n').pop();
  assert.is(again, pid, 'the same kernel process answers the next cell');
  assert.is(await page.evaluate<boolean>(`Jupyter.notebook.kernel.is_connected()`), true);
  const dead = server.log.match(/KernelRestarter: restarting kernel|Kernel died|EBUSY/g) ?? [];
  assert.equal(dead, [], 'the server saw no kernel death');
});

test.run();
