/**
 * Every chart type drawn by real plotly.js in headless Chromium, from the page `Figure` builds:
 * each figure must produce its `.main-svg`, and the page must log no errors. A screenshot is
 * kept in test-output/plot-gallery.png.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { plot, plotlyBundle } from '../../sdk/plot';
import { skip } from '../helpers/skip';

const CHROMIUM = ['chromium', 'chromium-browser', 'google-chrome'].find((c) => {
  try {
    return require('child_process').spawnSync(c, ['--version']).status === 0;
  } catch {
    return false;
  }
});

function chromium(args: string[], userDir: string): Promise<{ stdout: string; stderr: string }> {
  const base = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', `--user-data-dir=${userDir}`];
  return new Promise((resolve, reject) =>
    execFile(CHROMIUM!, [...base, ...args], { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => (err ? reject(Object.assign(err, { stderr })) : resolve({ stdout, stderr }))),
  );
}

function gallery() {
  const n = 20_000;
  const ts = Array.from({ length: n }, (_, i) => Date.parse('2026-11-20T08:00:00Z') + i * 100);
  const vib = Array.from({ length: n }, (_, i) => Math.sin(i / 200) + (i % 1500 === 0 ? 6 : 0));
  const score = vib.map((v) => Math.abs(v) / 6);
  const anomaly = vib.map((v) => v > 3);
  const car = Array.from({ length: n }, (_, i) => `car-${i % 3}`);
  const df = { _timestamp: ts, engine_vibration_amplitude: vib, score, anomaly, carId: car };
  return [
    plot.line(df, { y: 'engine_vibration_amplitude', by: 'carId', maxPoints: 1000 }),
    plot.scatter(df, { x: 'engine_vibration_amplitude', y: 'score', color: 'carId', maxPoints: 2000 }),
    plot.histogram(Float32Array.from(score), { threshold: 0.5 }),
    plot.anomalies(df, { y: 'engine_vibration_amplitude', threshold: 0.5 }),
    plot.loss([{ epoch: 1, loss: 0.5, valLoss: 0.55 }, { epoch: 2, loss: 0.3, valLoss: 0.33 }, { epoch: 3, loss: 0.2, valLoss: 0.24 }]),
    plot.confusion({ precision: 0.9, recall: 0.85, f1: 0.874, auc: 0.97, confusion: { tp: 85, fp: 9, tn: 9890, fn: 15 } }),
    plot.featureErrors({ coolant_temp: 0.02, engine_vibration_amplitude: 0.31, speed: 0.05 }, { compare: { coolant_temp: 0.01, engine_vibration_amplitude: 0.02, speed: 0.02 } }),
  ];
}

test('every chart type draws in Chromium without errors', async () => {
  if (!CHROMIUM) return skip('no chromium (apt-get install -y chromium)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-plot-'));
  try {
    const figs = gallery();
    // Errors from any script, and console.error, go into the DOM where --dump-dom shows them.
    const trap = `<script>window.__errors=[];function __rec(m){var d=document.getElementById('errors');if(d){d.textContent+=m+'\\n';}else{window.__errors.push(m);}}` +
      `window.addEventListener('error',function(e){__rec('error: '+e.message);});var __ce=console.error;console.error=function(){__rec('console.error: '+Array.prototype.join.call(arguments,' '));__ce.apply(console,arguments);};</script>`;
    const html =
      `<!DOCTYPE html><html><head><meta charset="utf-8">${trap}<script>${plotlyBundle()}</script></head><body>` +
      `<pre id="errors"></pre><script>window.__errors.forEach(__rec)</script>` +
      figs.map((f, i) => f.toDiv(`fig${i}`, '420px')).join('\n') +
      `</body></html>`;
    const page = path.join(dir, 'gallery.html');
    fs.writeFileSync(page, html);
    const { stdout } = await chromium(['--virtual-time-budget=15000', '--dump-dom', `file://${page}`], path.join(dir, 'profile1'));
    for (let i = 0; i < figs.length; i++) {
      const start = stdout.indexOf(`id="fig${i}"`);
      assert.ok(start >= 0, `figure ${i} in the DOM`);
      const end = i + 1 < figs.length ? stdout.indexOf(`id="fig${i + 1}"`) : stdout.length;
      assert.ok(stdout.slice(start, end).includes('main-svg'), `figure ${i} (${figs[i].data[0].type}) drew its svg`);
    }
    const errors = /<pre id="errors">([^<]*)<\/pre>/.exec(stdout)?.[1] ?? '';
    assert.is(errors.trim(), '', 'no errors in the page');
    fs.mkdirSync(path.join(__dirname, '..', '..', 'test-output'), { recursive: true });
    const shot = path.resolve(__dirname, '..', '..', 'test-output', 'plot-gallery.png');
    await chromium(['--virtual-time-budget=15000', '--window-size=1200,3200', `--screenshot=${shot}`, `file://${page}`], path.join(dir, 'profile2'));
    assert.ok(fs.statSync(shot).size > 20_000, 'screenshot written');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
