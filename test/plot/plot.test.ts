import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DataFrame } from 'danfojs-node';
import { Figure, isFigure, plot } from '../../sdk/plot';
import { minMaxDecimate } from '../../sdk/plot/data';
import { KafkalabError } from '../../sdk/util/errors';

const t0 = Date.parse('2026-11-20T00:00:00Z');
function frame(n: number) {
  const ts: number[] = [], vib: number[] = [], car: string[] = [], anomaly: boolean[] = [], score: number[] = [];
  for (let i = 0; i < n; i++) {
    ts.push(t0 + i * 100);
    const spike = i % 97 === 0;
    vib.push(Math.sin(i / 10) + (spike ? 8 : 0));
    car.push(`car-${i % 3}`);
    anomaly.push(spike);
    score.push(spike ? 0.9 : 0.01 * (i % 7));
  }
  return new DataFrame({ _timestamp: ts, engine_vibration_amplitude: vib, carId: car, anomaly, score });
}

test('line on a DataFrame: date axis, one trace per y, plain JSON', () => {
  const fig = plot.line(frame(500), { x: '_timestamp', y: ['engine_vibration_amplitude', 'score'] });
  assert.ok(fig instanceof Figure && isFigure(fig));
  const json = fig.toJSON();
  assert.is(json.data.length, 2);
  assert.ok(Array.isArray(json.data[0].x), 'typed arrays become arrays');
  assert.is((json.data[0].x as number[]).length, 500);
  assert.is((json.layout.xaxis as { type?: string }).type, 'date');
  assert.equal(JSON.parse(JSON.stringify(fig)), json);
});

test('line decimates long series with min-max buckets and says so', () => {
  const n = 300_000;
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = Math.sin(i / 1000);
  y[123_457] = 50; // one spike must survive
  const fig = plot.line({ t: Float64Array.from({ length: n }, (_, i) => i), v: y }, { x: 't', y: 'v', maxPoints: 2000 });
  const trace = fig.toJSON().data[0] as { x: number[]; y: number[] };
  assert.ok(trace.y.length <= 2000 && trace.y.length > 1000, `${trace.y.length} points`);
  assert.ok(trace.y.includes(50), 'spike kept');
  assert.ok(trace.x.every((v, i) => i === 0 || v > trace.x[i - 1]), 'x order kept');
  assert.match(JSON.stringify(fig.layout.title), /min-max decimated/);
  assert.ok(JSON.stringify(fig).length < 120_000, 'figure stays small');
});

test('minMaxDecimate keeps order and extremes per bucket', () => {
  const d = minMaxDecimate(Float64Array.from([0, 1, 2, 3, 4, 5, 6, 7]), Float64Array.from([5, 1, 9, 3, 2, 8, 0, 4]), 4);
  assert.equal(Array.from(d.x), [1, 2, 5, 6]);
  assert.equal(Array.from(d.y), [1, 9, 8, 0]);
});

test('line by group makes one line per key', () => {
  const fig = plot.line(frame(300), { y: 'engine_vibration_amplitude', by: 'carId' });
  assert.equal(fig.data.map((t) => t.name), ['car-0', 'car-1', 'car-2']);
});

test('unknown column: KafkalabError with a suggestion', () => {
  try {
    plot.line(frame(10), { y: 'engine_vibration_amplitud' });
    assert.unreachable();
  } catch (e) {
    assert.ok(e instanceof KafkalabError);
    assert.match((e as Error).message, /did you mean "engine_vibration_amplitude"/);
  }
});

test('histogram bins a Float32Array and counts values above the threshold', () => {
  const scores = new Float32Array(100_000);
  for (let i = 0; i < scores.length; i++) scores[i] = (i % 1000) / 1000;
  const fig = plot.histogram(scores, { threshold: 0.95, bins: 40 });
  const bar = fig.toJSON().data[0] as { y: number[] };
  assert.is(bar.y.length, 40);
  assert.is(bar.y.reduce((a, b) => a + b, 0), 100_000);
  const meta = (fig.layout.meta as { kafkalab: { above: number } }).kafkalab;
  assert.is(meta.above, 4900); // 0.951 … 0.999 → 49 of every 1000
  assert.is((fig.layout.shapes as unknown[]).length, 1);
  assert.ok(JSON.stringify(fig).length < 20_000);
});

test('histogram of a DataFrame column', () => {
  const fig = plot.histogram(frame(1000), { column: 'score', bins: 10 });
  assert.is((fig.toJSON().data[0] as { y: number[] }).y.reduce((a, b) => a + b, 0), 1000);
});

test('scatter samples and colours by category', () => {
  const fig = plot.scatter(frame(3000), { x: 'engine_vibration_amplitude', y: 'score', color: 'carId', maxPoints: 900 });
  assert.is(fig.data.length, 3);
  assert.is(fig.data.reduce((a, t) => a + (t.x as unknown[]).length, 0), 900);
});

test('anomalies: markers on flagged rows, score panel with threshold', () => {
  const df = frame(970);
  const fig = plot.anomalies(df, { x: '_timestamp', y: 'engine_vibration_amplitude', threshold: 0.5 });
  const json = fig.toJSON();
  const markers = json.data.find((t) => t.name === 'anomaly') as { x: number[] };
  assert.is(markers.x.length, 10); // i = 0, 97, …, 873
  assert.ok(json.data.some((t) => t.yaxis === 'y2'));
  assert.is((json.layout.shapes as { y0: number }[])[0].y0, 0.5);
});

test('loss accepts epoch records and Keras-style histories', () => {
  const a = plot.loss([{ epoch: 1, loss: 0.5, valLoss: 0.6 }, { epoch: 2, loss: 0.3, valLoss: 0.4 }]);
  assert.is(a.data.length, 2);
  const b = plot.loss({ history: { loss: [0.5, 0.2], val_loss: [0.6, 0.3] } });
  assert.equal(b.toJSON().data[1].y, [0.6, 0.3]);
  assert.is(plot.loss({ loss: [1, 0.5] }).data.length, 1);
});

test('confusion from an evaluate() result puts the metrics in the title', () => {
  const fig = plot.confusion({ precision: 0.9, recall: 0.8, f1: 0.847, auc: 0.97, confusion: { tp: 80, fp: 9, tn: 900, fn: 20 } });
  assert.equal(fig.data[0].customdata, [[900, 9], [20, 80]]);
  assert.match(JSON.stringify(fig.layout.title), /F1 0\.847/);
  assert.throws(() => plot.confusion({} as never), /tp, fp, tn, fn/);
});

test('featureErrors sorts features, largest on top, with a comparison set', () => {
  const fig = plot.featureErrors({ coolant_temp: 0.1, vibration: 0.9, speed: 0.3 }, { compare: { coolant_temp: 0.05, vibration: 0.1, speed: 0.1 }, names: ['anomalous', 'normal'] });
  assert.equal(fig.data[0].y, ['coolant_temp', 'speed', 'vibration']);
  assert.equal(fig.data[1].x, [0.05, 0.1, 0.1]);
});

test('toHTML is a standalone page with plotly.js inline', () => {
  const html = plot.line(frame(50), { y: 'score' }).toHTML();
  assert.match(html, /^<!DOCTYPE html>/);
  assert.ok(html.includes('plotly.js v'), 'bundle embedded');
  assert.ok(html.length > 4_000_000);
  assert.ok(!plot.line(frame(5), { y: 'score', title: '</script><b>' }).toDiv('x').includes('</script><b>'), 'title escaped in script');
});

test.run();
