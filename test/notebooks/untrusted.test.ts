/**
 * The committed notebooks as someone who just cloned the repository sees them: served by a
 * classic Notebook server (whose signature database has never seen them, so they open
 * untrusted: Jupyter strips every script and style from their HTML outputs, as GitHub and
 * nbviewer do) in headless Chromium. Every chart must still show something: its static picture.
 * The first chart's area in a screenshot is checked pixel by pixel (not blank, the trace colour
 * present). Then one notebook signed with `jupyter trust` must draw interactively with the
 * plotly.js the server serves from nbextensions/kafkalab/ (not from the notebook).
 * Screenshots go to test-output/notebooks/*-untrusted.png.
 */
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { notebookFiles, NOTEBOOKS_DIR, OUTPUT_DIR } from './helpers';
import { Chromium, CHROMIUM, decodePNG, NotebookServer, type Page } from '../helpers/browser';
import { missingCommand, missingPython, needing } from '../helpers/skip';

const missing = missingCommand(CHROMIUM, 'apt-get install -y chromium') ?? missingPython('notebook', 'apt-get install -y jupyter-notebook');
const test = needing(uvuTest, missing);
const dir = missing ? '' : fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-untrusted-'));
let server: NotebookServer;
let chromium: Chromium;

test.before(async () => {
  for (const f of notebookFiles()) fs.copyFileSync(path.join(NOTEBOOKS_DIR, f), path.join(dir, f));
  server = await NotebookServer.start(dir);
  chromium = await Chromium.launch();
});

test.after(async () => {
  await chromium?.close();
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function open(file: string): Promise<Page> {
  const page = await chromium.page();
  await page.send('Page.navigate', { url: server.url(file) });
  await Chromium.until(page, `!!(window.Jupyter && Jupyter.notebook && Jupyter.notebook._fully_loaded)`, `${file} to load`, 120_000);
  return page;
}

/** Share of non-white pixels, and of pixels near a trace colour, in a screenshot region. */
async function pixels(page: Page, selector: string, shot: string): Promise<{ inked: number; traced: number; width: number; height: number }> {
  const box = await page.evaluate<{ x: number; y: number; width: number; height: number }>(`(() => {
    const el = document.querySelector(${JSON.stringify(selector)}); el.scrollIntoView({ block: 'center' });
    const r = el.getBoundingClientRect(); return { x: r.x, y: r.y, width: r.width, height: r.height }; })()`);
  await new Promise((r) => setTimeout(r, 300));
  const full = await page.screenshot(shot);
  const { width, rgba } = decodePNG(full);
  let inked = 0;
  let traced = 0;
  let n = 0;
  const trace = [
    [0x1f, 0x77, 0xb4],
    [0xff, 0x7f, 0x0e],
    [0x08, 0x30, 0x6b],
  ];
  for (let y = Math.max(0, Math.floor(box.y)); y < Math.floor(box.y + box.height); y++) {
    for (let x = Math.max(0, Math.floor(box.x)); x < Math.min(width, Math.floor(box.x + box.width)); x++) {
      const i = (y * width + x) * 4;
      const [r, g, b] = [rgba[i], rgba[i + 1], rgba[i + 2]];
      n++;
      if (r < 235 || g < 235 || b < 235) inked++;
      if (trace.some(([tr, tg, tb]) => Math.abs(r - tr) + Math.abs(g - tg) + Math.abs(b - tb) < 60)) traced++;
    }
  }
  return { inked: inked / Math.max(1, n), traced: traced / Math.max(1, n), width: box.width, height: box.height };
}

for (const file of notebookFiles()) {
  test(`${file} opened untrusted in classic Notebook: every chart shows its static picture, not a blank area`, async () => {
    const page = await open(file);
    try {
      assert.is(await page.evaluate<boolean>(`Jupyter.notebook.trusted`), false, 'the notebook opened untrusted');
      const state = await Chromium.until<{ figures: number; images: number; loaded: number; drawn: number }>(
        page,
        `(() => { const imgs = [...document.querySelectorAll('.output_html img.kafkalab-static')];
          const s = { figures: document.querySelectorAll('.output_html .kafkalab-figure, .output_html img.kafkalab-static').length, images: imgs.length,
            loaded: imgs.filter((i) => i.complete && i.naturalWidth > 100).length, drawn: document.querySelectorAll('.main-svg').length };
          return s.images > 0 && s.loaded === s.images ? s : null; })()`,
        'the charts\' pictures to load',
        60_000,
      );
      const expected = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')).cells.flatMap((c: { outputs?: { data?: Record<string, unknown> }[] }) => c.outputs ?? []).filter((o: { data?: Record<string, unknown> }) => o.data?.['application/vnd.plotly.v1+json']).length;
      assert.ok(expected > 0, 'the notebook has charts');
      assert.is(state.images, expected, 'one picture per chart output');
      assert.is(state.drawn, 0, 'no script ran (untrusted)');
      const shot = path.join(OUTPUT_DIR, file.replace(/\.ipynb$/, '-untrusted.png'));
      const px = await pixels(page, '.output_html img.kafkalab-static', shot);
      assert.ok(px.width > 300 && px.height > 150, `chart area ${px.width}x${px.height}`);
      assert.ok(px.inked > 0.01, `chart area not blank: ${(100 * px.inked).toFixed(1)}% of its pixels are not white`);
      assert.ok(px.traced > 0.002, `trace colours drawn: ${(100 * px.traced).toFixed(2)}% of the pixels`);
      process.stdout.write(`  ${file}: ${state.images} charts shown as pictures; first chart ${Math.round(px.width)}x${Math.round(px.height)} px, ${(100 * px.inked).toFixed(1)}% inked, ${(100 * px.traced).toFixed(2)}% trace colour\n`);
    } finally {
      await page.close();
    }
  });
}

test('trusted (signed as `jupyter trust` does): the charts draw interactively with the plotly.js the server serves', async () => {
  const file = notebookFiles().find((f) => f.startsWith('02')) ?? notebookFiles()[0];
  server.trust(path.join(dir, file));
  const page = await open(file);
  try {
    assert.is(await page.evaluate<boolean>(`Jupyter.notebook.trusted`), true);
    const r = await Chromium.until<{ figures: number; drawn: number; src: string }>(
      page,
      `(() => { const f = [...document.querySelectorAll('div.kafkalab-figure')]; const s = [...document.scripts].map((x) => x.src).find((x) => x.includes('nbextensions/kafkalab/')) || '';
        return f.length && f.every((d) => d.querySelector('.main-svg')) ? { figures: f.length, drawn: f.filter((d) => d.querySelector('.main-svg')).length, src: s } : null; })()`,
      'every chart to draw',
      90_000,
    );
    assert.ok(r.figures > 0);
    assert.match(r.src, /\/nbextensions\/kafkalab\/plotly-[\d.]+\.min\.js$/);
    // The application/vnd.plotly.v1+json outputs, drawn the way JupyterLab's Plotly renderer does
    // (jupyterlab-plotly: `const { data, layout, frames, config } = model.data[mime]; Plotly.react(node, data, layout, config)`)
    // and VS Code's (nteract transform-plotly: `Plotly.newPlot(div, figure.data, figure.layout)`):
    // every one must be plain JSON of that shape and draw.
    const mime = await page.evaluate<{ total: number; ok: number; bad: string[] }>(`(async () => {
      const figs = Jupyter.notebook.get_cells().flatMap((c) => (c.output_area ? c.output_area.outputs : [])).map((o) => o.data && o.data['application/vnd.plotly.v1+json']).filter(Boolean);
      const bad = []; let ok = 0;
      for (const f of figs) {
        const shapeOk = Array.isArray(f.data) && f.data.every((t) => t && typeof t === 'object') && typeof f.layout === 'object' && (f.config === undefined || typeof f.config === 'object') && JSON.stringify(JSON.parse(JSON.stringify(f))) === JSON.stringify(f);
        const lab = document.createElement('div'); lab.style.width = '600px'; lab.style.height = '300px'; document.body.appendChild(lab);
        const code = document.createElement('div'); code.style.width = '600px'; code.style.height = '300px'; document.body.appendChild(code);
        try {
          const { data, layout, frames, config } = f;
          await Plotly.react(lab, data, layout, config);
          await Plotly.newPlot(code, JSON.parse(JSON.stringify(f.data)), JSON.parse(JSON.stringify(f.layout)));
          if (shapeOk && lab.querySelector('.main-svg') && code.querySelector('.main-svg')) ok++; else bad.push(JSON.stringify(f.layout.title || '').slice(0, 80));
        } catch (e) { bad.push(String(e)); }
        lab.remove(); code.remove();
      }
      return { total: figs.length, ok, bad };
    })()`);
    assert.ok(mime.total >= r.figures, `plotly MIME outputs: ${mime.total}`);
    assert.equal(mime.bad, [], 'MIME bundles that do not draw as JupyterLab / VS Code would');
    process.stdout.write(`  ${file}: ${mime.ok}/${mime.total} application/vnd.plotly.v1+json bundles drawn as JupyterLab's and VS Code's renderers do\n`);
    const ours = page.errors.filter((e) => !/mathjax|MathJax|favicon/i.test(e));
    assert.equal(ours, [], 'console errors');
  } finally {
    await page.close();
  }
});

test.run();
