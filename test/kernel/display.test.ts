/** The kernel's display logic without Jupyter: bundles, tables, errors, live views through a recording bridge. */
import { test } from 'uvu';
import * as vm from 'vm';
import * as assert from 'uvu/assert';
import { DataFrame, Series } from 'danfojs-node';
import { formatError, MIME_HOOK, toMimeBundle } from '../../kernel/display';
import { KernelBridge, setKernelBridge, trainingProgress, watch, display } from '../../kernel/runtime';
import { MimeBundle } from '../../kernel/display';
import { plot, plotlyVersion } from '../../sdk/plot';
import { frameFromRecords, isMaterialized } from '../../sdk/frame/dataframe';
import { KafkalabError } from '../../sdk/util/errors';
import { KafkaConnection, Topic } from '../../sdk/kafka';

function bigFrame(n: number) {
  return new DataFrame({ id: Array.from({ length: n }, (_, i) => i), name: Array.from({ length: n }, (_, i) => `car-${i}`) });
}

test('a large DataFrame shows head, tail, shape and dtypes', () => {
  const b = toMimeBundle(bigFrame(1000))!;
  const html = String(b.data['text/html']);
  assert.match(html, /1,000 rows × 2 columns/);
  assert.match(html, /990 more rows/);
  assert.match(html, /<td>car-999<\/td>/);
  assert.not.match(html, /<td>car-500<\/td>/);
  assert.match(html, /int32/);
  assert.match(html, /column statistics/);
  const text = String(b.data['text/plain']);
  assert.match(text, /\[1,000 rows × 2 columns\]/);
  assert.match(text, /car-999/);
});

test('a large kafkalab frame displays and plots without building danfo row arrays', () => {
  const df = frameFromRecords(Array.from({ length: 60_000 }, (_, i) => ({ ts: 1.7e12 + i, v: i % 13, car: `car-${i % 5}` })));
  assert.is(isMaterialized(df), false);
  const b = toMimeBundle(df)!;
  assert.match(String(b.data['text/html']), /<th>59999<\/th><td>2023-11-14 22:14:19\.999<\/td><td>4<\/td><td>car-4<\/td>/);
  assert.match(String(b.data['text/html']), /60,000 rows × 3 columns/);
  plot.line(df, { x: 'ts', y: 'v' });
  assert.is(isMaterialized(df), false, 'still lazy');
  assert.equal(df.values[59_999], [1.7e12 + 59_999, 4, 'car-4'], 'same values once danfo builds them');
});

test('pandas-like cells: epoch-ms timestamps as dates, one number format per column, dtypes readable unstyled, History in one line', () => {
  const df = new DataFrame({ _timestamp: [1795132800082, 1795132801000], speed: [1.5, 120.25], n: [3, 4], _key: ['a', 'b'] });
  const html = String(toMimeBundle(df)!.data['text/html']);
  assert.match(html, /<td>2026-11-20 00:00:00\.082<\/td>/);
  assert.match(html, /_timestamp<br><span class="dtype">datetime \(UTC\)<\/span>/);
  assert.match(html, /<td>1\.500<\/td>/, 'same decimals as 120.250');
  assert.match(html, /<td>120\.250<\/td>/);
  assert.match(html, /<td>3<\/td>/);
  // Without styles (untrusted notebooks strip them) the name and dtype stay apart.
  const unstyled = html.replace(/<style>[^]*?<\/style>/, '').replace(/<br>/g, '\n').replace(/<[^>]+>/g, '');
  assert.match(unstyled, /_key\nstring/);
  const big = String(toMimeBundle(bigFrame(1000))!.data['text/html']);
  assert.match(big, /1,000 rows × 2 columns \(first 5 and last 5 shown; 990 more rows\)/);
  const history = { loss: [0.9, 0.5, 0.1], valLoss: [1, 0.6, 0.2], epochs: 3, rowsPerSec: 12345.6, rows: 300, elapsedMs: 1500, bestEpoch: 3, stopReason: 'epochs' };
  assert.equal(toMimeBundle(history)!.data, { 'text/plain': 'History: 3 epochs, loss 0.9 → 0.1, val_loss 1 → 0.2, best epoch 3, 1.5 s, 12,346 rows/s (.loss, .valLoss for the curves)' });
});

test('a small frame is shown whole; HTML is escaped', () => {
  const html = String(toMimeBundle(new DataFrame({ v: ['<b>x</b>', 'y'] }))!.data['text/html']);
  assert.match(html, /&lt;b&gt;x&lt;\/b&gt;/);
  assert.not.match(html, /more rows/);
});

test('a read report with failed records is shown under the table', () => {
  const df = bigFrame(3);
  Object.defineProperty(df, 'attrs', { value: { report: { topic: 'car-sensors', failed: 2, failures: { 'invalid JSON': 2 }, warnings: [] } } });
  assert.match(String(toMimeBundle(df)!.data['text/html']), /2 record\(s\) of car-sensors could not be decoded.*invalid JSON: 2/);
});

test('a Series renders as a one-column table', () => {
  assert.match(String(toMimeBundle(new Series([1.5, 2.5], { columns: ['speed'] }))!.data['text/html']), /speed/);
});

test('a Figure: plotly.js served by Jupyter by default (not in the notebook); embedded once per session with embedPlotly', () => {
  const fig = plot.loss({ loss: [0.4, 0.2] });
  const served = toMimeBundle(fig, { plotlyLoaded: false })!;
  const html = String(served.data['text/html']);
  assert.not.ok(html.includes('plotly.js v'), 'no bundle in the output');
  assert.ok(html.includes(`nbextensions/kafkalab/plotly-${plotlyVersion()}.min.js`));
  assert.ok(html.length < 40_000, `small output (${html.length} chars)`);
  // Its scripts are valid JavaScript (a template-literal escape once turned a regex into a comment).
  const scripts = [...html.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
  assert.ok(scripts.length >= 1);
  for (const js of scripts) new vm.Script(js);
  assert.match(html, /<img class="kafkalab-static" src="data:image\/svg\+xml,%3Csvg /, 'a static picture for pages without JavaScript');
  assert.equal(served.data['application/vnd.plotly.v1+json'], fig.toJSON());
  const state = { plotlyLoaded: false, embedPlotly: true };
  const first = toMimeBundle(fig, state)!;
  assert.ok(String(first.data['text/html']).includes('plotly.js v'));
  assert.is(state.plotlyLoaded, true);
  assert.ok(!String(toMimeBundle(fig, state)!.data['text/html']).includes('plotly.js v'));
});

test('evaluation results, the MIME hook, and plain values', () => {
  const e = toMimeBundle({ precision: 0.9, recall: 0.8, f1: 0.85, auc: 0.95, confusion: { tp: 8, fp: 1, tn: 90, fn: 2 } })!;
  assert.match(String(e.data['text/plain']), /F1\s+0\.8500/);
  assert.match(String(e.data['text/html']), /TP/);
  const custom = { [MIME_HOOK]: () => ({ 'text/markdown': '**hi**' }), toString: () => 'custom' };
  assert.is(toMimeBundle(custom)!.data['text/markdown'], '**hi**');
  assert.is(toMimeBundle(42), undefined);
  assert.is(toMimeBundle({ a: 1 }), undefined);
});

test('formatError: one line for KafkalabError (and subclasses), nothing for other errors', () => {
  class TopicError extends KafkalabError {}
  assert.is(formatError(new KafkalabError('Cannot reach Kafka at h:9092', { hint: 'set KAFKA_BROKERS' })), 'KafkalabError: Cannot reach Kafka at h:9092; set KAFKA_BROKERS');
  assert.match(formatError(new TopicError('no topic'))!, /no topic$/);
  assert.is(formatError(new TypeError('bug')), undefined);
});

function recordingBridge() {
  const sent: { bundle: MimeBundle; id?: string; update: boolean }[] = [];
  const listeners = new Set<() => void>();
  const bridge: KernelBridge = {
    state: { plotlyLoaded: false },
    send: (bundle, id, update) => (sent.push({ bundle, id, update }), true),
    onInterrupt: (l) => (listeners.add(l), () => listeners.delete(l)),
  };
  return { bridge, sent, interrupt: () => listeners.forEach((l) => l()) };
}

test('display(): one output, updated in place by its handle', () => {
  const r = recordingBridge();
  setKernelBridge(r.bridge);
  try {
    const h = display(bigFrame(2));
    h.update(plot.loss({ loss: [1] }));
    assert.is(r.sent.length, 2);
    assert.is(r.sent[0].id, h.id);
    assert.equal([r.sent[0].update, r.sent[1].update], [false, true]);
  } finally {
    setKernelBridge(undefined);
  }
});

test('watch(): a live table updated in place, stopped by an interrupt, stream released', async () => {
  const r = recordingBridge();
  setKernelBridge(r.bridge);
  let released = false;
  async function* endless() {
    try {
      for (let i = 0; ; i++) {
        yield new DataFrame({ v: [i, i + 0.5] });
        await new Promise((res) => setTimeout(res, 10));
      }
    } finally {
      released = true;
    }
  }
  try {
    setTimeout(r.interrupt, 300);
    const summary = await watch(endless(), { rows: 3, refreshMs: 0 });
    assert.is(summary.stoppedBy, 'interrupt');
    assert.ok(released, 'iterator returned');
    assert.ok(summary.batches > 3 && summary.rows === summary.batches * 2);
    const ids = new Set(r.sent.map((m) => m.id));
    assert.is(ids.size, 1, 'one output area');
    const last = String(r.sent[r.sent.length - 1].bundle.data['text/html']);
    assert.match(last, /stopped · \d+ batches/);
    assert.match(last, /3 rows × 1 columns/);
  } finally {
    setKernelBridge(undefined);
  }
});

test('watch(): a live chart with a batch limit', async () => {
  const r = recordingBridge();
  setKernelBridge(r.bridge);
  async function* readings() {
    for (let i = 0; i < 100; i++) yield new DataFrame({ _timestamp: [1.7e12 + i * 1000], speed: [i] });
  }
  try {
    const s = await watch(readings(), { y: 'speed', batches: 20, refreshMs: 0 });
    assert.is(s.stoppedBy, 'batches');
    assert.is(s.rows, 20);
    const charts = r.sent.filter((m) => m.bundle.data['application/vnd.plotly.v1+json']);
    assert.is(charts.length, 2, 'drawn whole twice: first batch and final state');
    assert.is((charts[0].bundle.data['application/vnd.plotly.v1+json'] as { data: { y: number[] }[] }).data[0].y.length, 1);
    const chart = charts[1].bundle.data['application/vnd.plotly.v1+json'] as { data: { y: number[] }[] };
    assert.equal(chart.data[0].y, Array.from({ length: 20 }, (_, i) => i));
    // In between, 19 deltas of one point each (refreshMs 0), then the feed is emptied.
    const deltas = r.sent.filter((m) => typeof m.bundle.data['application/javascript'] === 'string');
    assert.is(deltas.length, 19);
    assert.ok(deltas.every((d) => String(d.bundle.data['application/javascript']).length < 1000), 'each delta carries only its new points');
    assert.equal(r.sent[r.sent.length - 1].bundle.data, { 'text/plain': '' });
  } finally {
    setKernelBridge(undefined);
  }
});

test("watch(): `by` draws one line per key, each fed only its own rows; an unknown column is an error naming watch", async () => {
  const r = recordingBridge();
  setKernelBridge(r.bridge);
  // Three cars interleaved in every batch (a single line would zigzag between them).
  async function* readings() {
    for (let b = 0; b < 10; b++) {
      yield new DataFrame({ _timestamp: [0, 1, 2].map((c) => 1.7e12 + b * 1000 + c), carId: ['car-b', 'car-a', 'car-c'], engine_rpm: [0, 1, 2].map((c) => c * 1000 + b) });
    }
  }
  try {
    const s = await watch(readings(), { y: 'engine_rpm', by: 'carId', refreshMs: 0 });
    assert.is(s.rows, 30);
    const charts = r.sent.filter((m) => m.bundle.data['application/vnd.plotly.v1+json']);
    const last = charts[charts.length - 1].bundle.data['application/vnd.plotly.v1+json'] as { data: { name: string; y: number[] }[] };
    assert.equal(last.data.map((t) => t.name), ['car-a', 'car-b', 'car-c']);
    assert.equal(last.data.map((t) => t.y), [[1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [2000, 2001, 2002, 2003, 2004, 2005, 2006, 2007, 2008, 2009]]);
    // Deltas address the right line: car-a is trace 0 and gets 1000+b.
    const js = r.sent.filter((m) => typeof m.bundle.data['application/javascript'] === 'string').map((m) => String(m.bundle.data['application/javascript']));
    assert.ok(js.length >= 9);
    assert.match(js[0], /\{"i":0,"s":1,"x":\[1700000001001\],"y":\[1001\]\}/);
    await watch(readings(), { y: 'rpm', by: 'carId' }).then(
      () => assert.unreachable('an unknown column'),
      (e: Error) => assert.match(e.message, /^watch: no column "rpm" \(did you mean "engine_rpm"\?\)/),
    );
  } finally {
    setKernelBridge(undefined);
  }
});

test('trainingProgress(): the first time-left estimate comes from training pace, not start-up time', async () => {
  const r = setKernelBridgeRecording();
  try {
    const p = trainingProgress({ epochs: 10, refreshMs: 0 });
    // A slow start (TensorFlow compiling), then batches at a steady pace of ~10 ms.
    await new Promise((res) => setTimeout(res, 600));
    p.onBatch({ epoch: 0, batch: 0, batches: 10, loss: 1 });
    let text = '';
    for (let b = 1; b < 10; b++) {
      await new Promise((res) => setTimeout(res, 12));
      p.onBatch({ epoch: 0, batch: b, batches: 10, loss: 1 });
    }
    p.onEpoch({ epoch: 0, epochs: 10, loss: 0.5 });
    text = String(r.sent.filter((m) => String(m.bundle.data['text/html']).includes('<progress')).pop()!.bundle.data['text/plain']);
    // 9 epochs left at ~0.1 s each: about 1 s, not the ~6 s that counting the 0.6 s start-up gives.
    const left = Number(/(\d+) s left/.exec(text)?.[1]);
    assert.ok(left >= 1 && left <= 3, text);
    const first = String(r.sent.filter((m) => String(m.bundle.data['text/html']).includes('<progress'))[0].bundle.data['text/plain']);
    assert.not.match(first, /s left/, 'no estimate from the first batch alone');
  } finally {
    setKernelBridge(undefined);
  }
});

function setKernelBridgeRecording() {
  const r = recordingBridge();
  setKernelBridge(r.bridge);
  return r;
}

test('trainingProgress(): progress bar and live loss curve', () => {
  const r = recordingBridge();
  setKernelBridge(r.bridge);
  try {
    const p = trainingProgress({ epochs: 2, chartRefreshMs: 0 });
    p.onBatch({ epoch: 1, batch: 0, batches: 4, loss: 0.5 });
    p.onEpoch({ epoch: 1, epochs: 2, loss: 0.4, valLoss: 0.45, rowsPerSec: 120_000 });
    p.onEpoch({ epoch: 2, epochs: 2, loss: 0.3, valLoss: NaN, rowsPerSec: 130_000 });
    const bars = r.sent.filter((m) => String(m.bundle.data['text/html']).includes('<progress'));
    assert.match(String(bars[bars.length - 1].bundle.data['text/plain']), /epoch 2\/2 · loss 0\.3 · 130,000 rows\/s · done in/);
    let charts = r.sent.filter((m) => m.bundle.data['application/vnd.plotly.v1+json']);
    assert.is(charts.length, 1, 'drawn whole after the first epoch only');
    const deltas = r.sent.filter((m) => typeof m.bundle.data['application/javascript'] === 'string');
    assert.is(deltas.length, 1, 'epoch 2 as a delta');
    assert.match(String(deltas[0].bundle.data['application/javascript']), /"x":\[2\],"y":\[0\.3\]/);
    p.done();
    p.done();
    charts = r.sent.filter((m) => m.bundle.data['application/vnd.plotly.v1+json']);
    assert.is(charts.length, 2, 'and once more at the end (done() twice draws once)');
    assert.is(charts[1].update, true);
    assert.equal((charts[1].bundle.data['application/vnd.plotly.v1+json'] as { data: { y: number[] }[] }).data[0].y, [0.4, 0.3]);
  } finally {
    setKernelBridge(undefined);
  }
});

test('KafkaConnection and Topic render as one line (duck-typed, any copy of kafkalab)', () => {
  const conn = Object.create(KafkaConnection.prototype, { brokers: { value: ['localhost:19092'] }, embedded: { value: {} } });
  assert.equal(toMimeBundle(conn)!.data, { 'text/plain': 'KafkaConnection localhost:19092 (embedded broker)' });
  assert.equal(toMimeBundle(new Topic(conn, 'car-sensors'))!.data, { 'text/plain': 'Topic "car-sensors" on localhost:19092' });
  const reused = Object.create(KafkaConnection.prototype, {
    brokers: { value: ['localhost:9092'] },
    origin: { value: { kind: 'reused', description: 'the kafkalab broker of process 4242 (data dir /d) on localhost:9092' } },
  });
  assert.equal(toMimeBundle(reused)!.data, { 'text/plain': 'KafkaConnection localhost:9092 (the kafkalab broker of process 4242 (data dir /d))' });
  class Topic2 {
    name = 'x';
  }
  assert.is(toMimeBundle(new Topic2()), undefined);
});

test.run();
