/**
 * The executed notebooks as readers see them: exported for offline reading with `kafkalab
 * notebook html` (nbconvert plus plotly.js embedded once), opened in headless Chromium driven
 * through the DevTools protocol. Every Plotly chart
 * must draw (a `.main-svg` in each chart div) and the page must log no console errors. A
 * screenshot of each page goes to test-output/notebooks/.
 *
 * Uses the copies an earlier notebooks.test.ts run executed (test-output/notebooks/) when they are
 * newer than the committed notebooks, else the committed notebooks (executed by notebooks/run.sh);
 * test/run.js runs this file before notebooks.test.ts.
 */
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { killProcessesMentioning, notebookFiles, NOTEBOOKS_DIR, OUTPUT_DIR } from './helpers';
import { Chromium, CHROMIUM } from '../helpers/browser';
import { notebookHTML } from '../../kernel/export-html';
import { missingCommand, missingPython, needing } from '../helpers/skip';

const missing = missingCommand(CHROMIUM, 'apt-get install -y chromium') ?? missingPython('nbconvert', 'apt-get install -y python3-nbconvert jupyter-nbconvert');
const test = needing(uvuTest, missing);
const tmp = missing ? '' : fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-browser-'));
let chromium: Chromium;

function source(file: string): string {
  const fresh = path.join(OUTPUT_DIR, file);
  const committed = path.join(NOTEBOOKS_DIR, file);
  return fs.existsSync(fresh) && fs.statSync(fresh).mtimeMs > fs.statSync(committed).mtimeMs ? fresh : committed;
}

test.before(async () => {
  chromium = await Chromium.launch();
});

test.after(async () => {
  await chromium?.close();
  killProcessesMentioning(tmp);
  fs.rmSync(tmp, { recursive: true, force: true });
});

for (const file of notebookFiles()) {
  test(`${file}: every chart draws in Chromium, no console errors`, async () => {
    const html = notebookHTML(source(file), { output: path.join(tmp, 'html', file.replace(/\.ipynb$/, '.html')), python: '/usr/bin/python3' });
    const text = fs.readFileSync(html, 'utf8');
    const expected = (text.match(/class="kafkalab-figure"/g) ?? []).length;
    assert.ok(expected > 0, 'the HTML has chart divs');
    assert.is((text.match(/data-kafkalab-plotly/g) ?? []).length, 1, 'plotly.js embedded once, by the export');

    const page = await chromium.page();
    try {
      await page.send('Page.navigate', { url: `file://${html}` });
      // Charts draw when plotly.js has loaded; poll (bounded) until every chart div has its SVG.
      let drawn = 0;
      let total = 0;
      for (let i = 0; i < 240; i++) {
        const v = JSON.parse(await page.evaluate<string>(`(() => { const divs = [...document.querySelectorAll('div.kafkalab-figure')]; return JSON.stringify({ total: divs.length, drawn: divs.filter((d) => d.querySelector('.main-svg')).length, ready: document.readyState }); })()`));
        drawn = v.drawn;
        total = v.total;
        if (v.ready === 'complete' && total > 0 && drawn === total) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const undrawn = await page.evaluate<string>(`[...document.querySelectorAll('div.kafkalab-figure')].filter((d) => !d.querySelector('.main-svg')).map((d) => d.id + ': ' + d.textContent.slice(0, 100)).join('; ')`);
      // The screenshot shows the first chart (the top of a notebook is code and text).
      await page.evaluate(`document.querySelector('div.kafkalab-figure')?.scrollIntoView({ block: 'center' }), true`);
      await new Promise((r) => setTimeout(r, 300));
      await page.screenshot(path.join(OUTPUT_DIR, file.replace(/\.ipynb$/, '.png')));
      assert.is(total, expected, 'chart divs in the page');
      assert.is(drawn, total, `charts drawn (not drawn: ${undrawn})`);
      // nbconvert's template loads require.js and MathJax (from CDNs, or from Debian's
      // /usr/share/javascript when libjs-requirejs/libjs-mathjax are installed); their absence is not ours.
      const ours = page.errors.filter((e) => !/(https:\/\/(cdnjs\.cloudflare\.com|cdn\.jsdelivr\.net|unpkg\.com)\/|file:\/\/\/usr\/share\/javascript\/)/.test(e));
      assert.equal(ours, [], 'console errors');
    } finally {
      await page.close();
    }
  });
}

test.run();
