/**
 * npm run bench:live-chart — what a 300-epoch live fit costs the browser, in classic Jupyter
 * Notebook served to headless Chromium: the largest main-thread stall (the longest task, from
 * the DevTools protocol's long-task timing), the largest gap between 50 ms timer ticks, and how
 * far the chart lags behind the kernel when the cell finishes (time until it shows all 300
 * epochs). Two cells in the same notebook and run:
 * - live: `await ae.fit(rows, { epochs: 300 })`, the kernel's own progress view (the loss curve
 *   drawn once, then extended by deltas of new epochs, at most every 500 ms);
 * - baseline: the same fit redrawing the whole loss figure every epoch through one display
 *   (`h.update(plot.loss(history))`, as the kernel did before), 1 tick per epoch on the x axis.
 * A setup cell draws a small chart first, so plotly.js (served by Jupyter, loaded once per page)
 * is loaded before either run. Options: EPOCHS=n (default 300).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chromium, NotebookServer, writeNotebook, type Page } from '../test/helpers/browser';

const EPOCHS = Number(process.env.EPOCHS ?? 300);

const setup = `import { Autoencoder, frameFromRecords, display, plot } from 'kafkalab';
const rows = frameFromRecords(Array.from({ length: 400 }, (_, i) => ({ a: Math.sin(i / 7), b: Math.cos(i / 5), c: (i % 13) / 13 })));
plot.loss({ loss: [1, 0.5] })`;
const live = `const ae = new Autoencoder({ features: ['a', 'b', 'c'], layers: [4, 2, 4], seed: 3 });
(await ae.fit(rows, { epochs: ${EPOCHS}, batchSize: 50, validationSplit: 0.1 })).loss.length`;
const baseline = `const ae2 = new Autoencoder({ features: ['a', 'b', 'c'], layers: [4, 2, 4], seed: 3 });
const hist: any[] = [];
const h = display('starting');
(await ae2.fit(rows, { epochs: ${EPOCHS}, batchSize: 50, validationSplit: 0.1, onEpoch: (e: any) => {
  hist.push(e);
  h.update(plot.loss(hist, { epochs: ${EPOCHS} }).updateLayout({ xaxis: { dtick: 1 } }));
} })).loss.length`;

interface Measure {
  wallMs: number;
  maxLongTaskMs: number;
  longTasks: number;
  longTaskTotalMs: number;
  maxTickGapMs: number;
  behindMs: number;
  points: number;
}

/** Runs cell `index`, measuring the page while it runs and until its chart shows every epoch. */
async function measure(page: Page, index: number): Promise<Measure> {
  await page.evaluate(`(() => {
    const s = window.__stall = { long: [], maxGap: 0, last: performance.now() };
    s.obs = new PerformanceObserver((l) => l.getEntries().forEach((e) => s.long.push(e.duration)));
    s.obs.observe({ entryTypes: ['longtask'] });
    s.timer = setInterval(() => { const t = performance.now(); s.maxGap = Math.max(s.maxGap, t - s.last - 50); s.last = t; }, 50);
    s.start = performance.now();
    Jupyter.notebook.get_cell(${index}).execute();
    return true;
  })()`);
  await Chromium.until(page, `typeof Jupyter.notebook.get_cell(${index}).input_prompt_number === 'number' && (window.__stall.done = window.__stall.done || performance.now())`, 'the cell to finish', 900_000, 50);
  const pointsExpr = `(() => { const c = Jupyter.notebook.get_cell(${index}).output_area.element[0]; const d = [...c.querySelectorAll('div.kafkalab-figure')].pop(); return d && d.data && d.data[0] ? d.data[0].x.length : 0; })()`;
  await Chromium.until(page, `${pointsExpr} >= ${EPOCHS} && (window.__stall.shown = performance.now())`, `the chart to show ${EPOCHS} epochs`, 300_000, 50).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 500));
  const m = await page.evaluate<Omit<Measure, 'points'>>(`(() => { const s = window.__stall; clearInterval(s.timer); s.obs.disconnect();
    return { wallMs: s.done - s.start, maxLongTaskMs: Math.max(0, ...s.long), longTasks: s.long.length, longTaskTotalMs: s.long.reduce((a, b) => a + b, 0), maxTickGapMs: s.maxGap, behindMs: s.shown ? Math.max(0, s.shown - s.done) : -1 }; })()`);
  return { ...m, points: await page.evaluate<number>(pointsExpr) };
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-bench-live-'));
  writeNotebook(path.join(dir, 'live.ipynb'), [setup, live, baseline]);
  const server = await NotebookServer.start(dir);
  const chromium = await Chromium.launch();
  try {
    const page = await chromium.page();
    await page.send('Page.navigate', { url: server.url('live.ipynb') });
    await Chromium.until(page, `!!(window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel && Jupyter.notebook.kernel.is_connected() && !Jupyter.notebook.kernel_busy)`, 'the kernel', 120_000);
    await page.evaluate(`Jupyter.notebook.get_cell(0).execute(), true`);
    await Chromium.until(page, `typeof Jupyter.notebook.get_cell(0).input_prompt_number === 'number'`, 'the setup cell', 300_000);
    // The setup cell draws a chart: plotly.js (served once per page) is loaded and compiled
    // before anything is measured, so neither run pays that one-time cost.
    await Chromium.until(page, `!!document.querySelector('.main-svg')`, 'plotly.js to load', 120_000);
    const a = await measure(page, 1);
    const b = await measure(page, 2);
    const row = (name: string, m: Measure) =>
      `${name.padEnd(40)} largest stall ${m.maxLongTaskMs.toFixed(0).padStart(5)} ms   long tasks ${String(m.longTasks).padStart(4)} (${m.longTaskTotalMs.toFixed(0)} ms)   ` +
      `largest 50 ms-tick gap ${m.maxTickGapMs.toFixed(0).padStart(5)} ms   chart behind at the end ${m.behindMs < 0 ? 'never caught up' : `${m.behindMs.toFixed(0)} ms`}   points ${m.points}   cell ${(m.wallMs / 1000).toFixed(1)} s`;
    console.log(`${EPOCHS}-epoch live fit in classic Notebook ${server.port ? '6' : ''}, headless Chromium (load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}, ${os.cpus().length} cores)`);
    console.log(row('kafkalab (drawn once, extendTraces deltas)', a));
    console.log(row('baseline (whole figure every epoch)', b));
    console.log(`largest stall: ${a.maxLongTaskMs.toFixed(0)} ms vs ${b.maxLongTaskMs.toFixed(0)} ms; main-thread long tasks ${a.longTaskTotalMs.toFixed(0)} ms vs ${b.longTaskTotalMs.toFixed(0)} ms`);
    await page.close();
  } finally {
    await chromium.close();
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
