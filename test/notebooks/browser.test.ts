/**
 * The executed notebooks as readers see them: converted to HTML with `jupyter nbconvert --to
 * html`, opened in headless Chromium driven through the DevTools protocol. Every Plotly chart
 * must draw (a `.main-svg` in each chart div) and the page must log no console errors. A
 * screenshot of each page goes to test-output/notebooks/.
 *
 * Uses the copies an earlier notebooks.test.ts run executed (test-output/notebooks/) when they are
 * newer than the committed notebooks, else the committed notebooks (executed by notebooks/run.sh);
 * test/run.js runs this file before notebooks.test.ts.
 */
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import WebSocket from 'ws';
import { killGroup, killProcessesMentioning, notebookFiles, NOTEBOOKS_DIR, OUTPUT_DIR, PYTHON, run } from './helpers';
import { missingCommand, missingPython, needing } from '../helpers/skip';

const CHROMIUM = '/usr/bin/chromium';
const missing = missingCommand(CHROMIUM, 'apt-get install -y chromium') ?? missingPython('nbconvert', 'apt-get install -y python3-nbconvert jupyter-nbconvert');
const test = needing(uvuTest, missing);
const tmp = missing ? '' : fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-browser-'));
let chromium: ChildProcess | undefined;
let ws: WebSocket | undefined;
let nextId = 1;
const pending = new Map<number, { resolve(v: any): void; reject(e: Error): void }>();
const consoleErrors: string[] = [];

function send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<any> {
  const id = nextId++;
  ws!.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    setTimeout(() => pending.has(id) && (pending.delete(id), reject(new Error(`${method} timed out`))), 60_000).unref();
  });
}

function source(file: string): string {
  const fresh = path.join(OUTPUT_DIR, file);
  const committed = path.join(NOTEBOOKS_DIR, file);
  return fs.existsSync(fresh) && fs.statSync(fresh).mtimeMs > fs.statSync(committed).mtimeMs ? fresh : committed;
}

test.before(async () => {
  const profile = path.join(tmp, 'profile');
  fs.mkdirSync(profile);
  chromium = spawn(CHROMIUM, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--no-first-run', '--disable-dev-shm-usage', `--user-data-dir=${profile}`, '--remote-debugging-port=0', '--window-size=1280,900', 'about:blank',
  ], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  chromium.stderr!.resume();
  const portFile = path.join(profile, 'DevToolsActivePort');
  for (let i = 0; i < 300 && !fs.existsSync(portFile); i++) await new Promise((r) => setTimeout(r, 100));
  const [port, wsPath] = fs.readFileSync(portFile, 'utf8').trim().split('\n');
  ws = new WebSocket(`ws://127.0.0.1:${port}${wsPath}`, { maxPayload: 256 * 1024 * 1024 });
  await new Promise((resolve, reject) => (ws!.once('open', resolve), ws!.once('error', reject)));
  ws.on('message', (raw) => {
    const msg = JSON.parse(raw.toString());
    if (msg.id && pending.has(msg.id)) {
      const p = pending.get(msg.id)!;
      pending.delete(msg.id);
      if (msg.error) p.reject(new Error(JSON.stringify(msg.error)));
      else p.resolve(msg.result);
    } else if (msg.method === 'Runtime.consoleAPICalled' && msg.params.type === 'error') {
      consoleErrors.push(msg.params.args.map((a: { value?: unknown; description?: string }) => a.value ?? a.description).join(' '));
    } else if (msg.method === 'Runtime.exceptionThrown') {
      consoleErrors.push(msg.params.exceptionDetails.exception?.description ?? msg.params.exceptionDetails.text);
    } else if (msg.method === 'Log.entryAdded' && msg.params.entry.level === 'error') {
      consoleErrors.push(`${msg.params.entry.text} ${msg.params.entry.url ?? ''}`);
    }
  });
});

test.after(async () => {
  ws?.close();
  if (chromium?.pid) killGroup(chromium.pid);
  killProcessesMentioning(tmp);
  fs.rmSync(tmp, { recursive: true, force: true });
});

for (const file of notebookFiles()) {
  test(`${file}: every chart draws in Chromium, no console errors`, async () => {
    const nb = source(file);
    const htmlDir = path.join(tmp, 'html');
    const r = await run(PYTHON, ['-m', 'jupyter', 'nbconvert', '--to', 'html', '--output-dir', htmlDir, nb], { cwd: tmp, timeoutMs: 180_000 });
    assert.is(r.code, 0, r.output.slice(-2000));
    const html = path.join(htmlDir, file.replace(/\.ipynb$/, '.html'));
    const expected = (fs.readFileSync(html, 'utf8').match(/class="kafkalab-figure"/g) ?? []).length;
    assert.ok(expected > 0, 'the HTML has chart divs');

    const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
    consoleErrors.length = 0;
    try {
      await send('Runtime.enable', {}, sessionId);
      await send('Log.enable', {}, sessionId);
      await send('Page.enable', {}, sessionId);
      await send('Emulation.setDeviceMetricsOverride', { width: 1280, height: 900, deviceScaleFactor: 1, mobile: false }, sessionId);
      await send('Page.navigate', { url: `file://${html}` }, sessionId);
      // Charts draw when plotly.js has loaded; poll (bounded) until every chart div has its SVG.
      let drawn = 0;
      let total = 0;
      for (let i = 0; i < 240; i++) {
        const res = await send('Runtime.evaluate', {
          expression: `(() => { const divs = [...document.querySelectorAll('div.kafkalab-figure')]; return JSON.stringify({ total: divs.length, drawn: divs.filter((d) => d.querySelector('.main-svg')).length, ready: document.readyState }); })()`,
          returnByValue: true,
        }, sessionId);
        const v = JSON.parse(res.result.value);
        drawn = v.drawn;
        total = v.total;
        if (v.ready === 'complete' && total > 0 && drawn === total) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const undrawn = await send('Runtime.evaluate', {
        expression: `[...document.querySelectorAll('div.kafkalab-figure')].filter((d) => !d.querySelector('.main-svg')).map((d) => d.id + ': ' + d.textContent.slice(0, 100)).join('; ')`,
        returnByValue: true,
      }, sessionId);
      // The screenshot shows the first chart (the top of a notebook is code and text).
      await send('Runtime.evaluate', { expression: `document.querySelector('div.kafkalab-figure')?.scrollIntoView({ block: 'center' })` }, sessionId);
      await new Promise((r) => setTimeout(r, 300));
      const shot = await send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: false }, sessionId);
      fs.mkdirSync(OUTPUT_DIR, { recursive: true });
      fs.writeFileSync(path.join(OUTPUT_DIR, file.replace(/\.ipynb$/, '.png')), Buffer.from(shot.data, 'base64'));
      assert.is(total, expected, 'chart divs in the page');
      assert.is(drawn, total, `charts drawn (not drawn: ${undrawn.result.value})`);
      // nbconvert's template loads require.js and MathJax (from CDNs, or from Debian's
      // /usr/share/javascript when libjs-requirejs/libjs-mathjax are installed); their absence is not ours.
      const ours = consoleErrors.filter((e) => !/(https:\/\/(cdnjs\.cloudflare\.com|cdn\.jsdelivr\.net|unpkg\.com)\/|file:\/\/\/usr\/share\/javascript\/)/.test(e));
      assert.equal(ours, [], 'console errors');
    } finally {
      await send('Target.closeTarget', { targetId }).catch(() => undefined);
    }
  });
}

test.run();
