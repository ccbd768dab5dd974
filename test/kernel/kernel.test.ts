/**
 * The kafkalab kernel through real Jupyter (jupyter_client): rich display, errors, completion,
 * inspection, interrupting a running stream cell, restart. Needs `npm run build` (the kernelspec
 * starts dist/kernel/launcher.js) and /usr/bin/python3 with jupyter_client.
 */
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { displays, errors, JupyterSession, PYTHON, results, textOf } from './session';
import { missingPython, needing } from '../helpers/skip';

/** tslab cancels cells queued within 200 ms after a failed one (like Jupyter's stop-on-error). */
const settle = () => new Promise((r) => setTimeout(r, 400));

let cwd: string;
let s: JupyterSession;
const test = needing(uvuTest, missingPython('jupyter_client, ipykernel', 'apt-get install -y jupyter-client python3-ipykernel'));

test.before(async () => {
  cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-nb-'));
  s = new JupyterSession(cwd);
});

test.after(async () => {
  await s.close();
  fs.rmSync(cwd, { recursive: true, force: true });
});

test('cells import kafkalab from a folder without node_modules; a DataFrame renders as a table', async () => {
  const r = await s.execute(
    `import { plot, display, watch, KafkalabError } from 'kafkalab';
import * as dfd from 'danfojs-node';
const df = new dfd.DataFrame({ speed: Array.from({ length: 100 }, (_, i) => i * 1.5), carId: Array.from({ length: 100 }, (_, i) => 'car-' + (i % 4)) });
df`,
  );
  assert.is(r.status, 'ok', JSON.stringify(r.outputs).slice(0, 2000));
  const [d] = displays(r);
  const html = String(d.data!['text/html']);
  assert.match(html, /<table class="kafkalab-table">/);
  assert.match(html, /100 rows × 2 columns/);
  assert.match(html, /float32|int32/);
  assert.match(html, /97 more rows|90 more rows/);
  assert.match(String(d.data!['text/plain']), /\[100 rows × 2 columns\]/);
});

test('a Figure renders as a chart: plotly.js served by Jupyter (never in the notebook), a static picture, the Plotly JSON', async () => {
  const first = displays(await s.execute(`plot.line(df, { y: 'speed' })`))[0];
  assert.ok(first.data!['application/vnd.plotly.v1+json'], 'plotly mime type');
  assert.ok(!String(first.data!['text/html']).includes('plotly.js v'), 'no bundle in the chart');
  assert.match(String(first.data!['text/html']), /nbextensions\/kafkalab\/plotly-[\d.]+\.min\.js/);
  assert.match(String(first.data!['text/html']), /<img class="kafkalab-static" src="data:image\/svg\+xml,/);
  const second = displays(await s.execute(`console.log(plot.histogram([1, 2, 2, 3], { threshold: 2.5 }))`))[0];
  assert.ok(!String(second.data!['text/html']).includes('plotly.js v'), 'bundle not repeated');
  assert.match(String(second.data!['text/html']), /Plotly\.newPlot/);
  const viaDisplay = displays(await s.execute(`display(plot.scatter(df, { x: 'speed', y: 'speed' })); 1`))[0];
  assert.ok(viaDisplay.data!['application/vnd.plotly.v1+json']);
});

test('every cell gets an execution count: execute_input and execute_reply carry it, counting up', async () => {
  const a = await s.execute(`const counted = 1`);
  const b = await s.execute(`counted + 1`);
  assert.is(a.reply.input_counts?.length, 1, 'one execute_input');
  assert.is(a.reply.input_counts![0], a.reply.execution_count);
  assert.is(b.reply.execution_count, a.reply.execution_count! + 1);
  assert.is(b.reply.input_counts![0], b.reply.execution_count);
  assert.equal(b.outputs, [{ type: 'execute_result', data: { 'text/plain': '2' }, metadata: {}, execution_count: b.reply.execution_count }]);
  const c = await s.execute(`console.log(plot.loss({ loss: [0.3, 0.2] })); console.log(counted); ({ counted, label: 'x' })`);
  assert.equal(c.outputs.map((o) => o.type), ['display_data', 'stream', 'execute_result'], 'logged values are not results');
  assert.is(results(c)[0].execution_count, c.reply.execution_count);
  assert.is(results(c)[0].data!['text/plain'], "{ counted: 1, label: 'x' }");
});

test('KafkalabError is an error message with one clean line, other errors keep their stack', async () => {
  const r = await s.execute(`throw new KafkalabError('Topic "car-sensor" does not exist (did you mean "car-sensors"?)', { code: 'UNKNOWN_TOPIC' })`);
  assert.is(r.status, 'error');
  const [e] = errors(r);
  assert.is(e?.ename, 'KafkalabError');
  assert.is(e.evalue, 'Topic "car-sensor" does not exist (did you mean "car-sensors"?)');
  assert.equal(e.traceback, ['KafkalabError: Topic "car-sensor" does not exist (did you mean "car-sensors"?)']);
  assert.is(r.reply.ename, 'KafkalabError');
  assert.is(r.reply.evalue, e.evalue);
  assert.is(textOf(r, 'stderr'), '', 'not also printed as stderr');
  await settle();
  const other = await s.execute(`function boom(): number { throw new RangeError('plain bug') }\nboom()`);
  const [o] = errors(other);
  assert.is(o?.ename, 'RangeError');
  assert.is(o.evalue, 'plain bug');
  // The name in red (ANSI, as IPython does), the cell's frames, none of the kernel's own.
  assert.match(o.traceback!.join('\n'), /^\x1b\[0;31mRangeError\x1b\[0m: plain bug\n\s+at boom \(cell:\d+:\d+\)/);
  assert.not.match(o.traceback!.join('\n'), /tslab|node:internal|evalmachine|kernel[\\/]/);
  assert.is(other.reply.status, 'error');
  await settle();
  const logged = await s.execute(`console.error(new Error('only logged')); await new Promise((r) => setTimeout(r, 100)); console.log('later')`);
  assert.is(logged.status, 'ok');
  assert.is(errors(logged).length, 0);
  const streams = logged.outputs.filter((o) => o.type === 'stream');
  assert.match(streams[0]?.text ?? '', /Error: only logged/, 'printed when logged, before later output');
  assert.is(streams[0].name, 'stderr');
  assert.is(textOf(logged, 'stdout').trim(), 'later');
});

test('type errors are an error message carrying the diagnostics', async () => {
  const r = await s.execute(`const n: number = 'text';`);
  assert.is(r.status, 'error');
  const [e] = errors(r);
  assert.is(e?.ename, 'TypeScript error');
  assert.match(e.evalue!, /1:7 - Type 'string' is not assignable to type 'number'/);
  assert.match(e.traceback!.join('\n'), /not assignable/);
  assert.is(r.reply.ename, 'TypeScript error');
  assert.is(textOf(r, 'stderr'), '');
  await settle();
});

test('shorthand properties reach top-level names of earlier cells', async () => {
  await s.execute(`const broker = 'localhost:9092'; let tries = 3; function label() { return 'lab' }`);
  const r = await s.execute(`const cfg = { broker, tries, label }; const { tries: t2 = 0 } = { tries }; let x = 0; ({ x } = { x: tries });
console.log(JSON.stringify(cfg), cfg.label(), t2, x, [{ broker }].length)`);
  assert.is(r.status, 'ok', JSON.stringify(r.outputs).slice(0, 1000));
  assert.is(textOf(r, 'stdout').trim(), '{"broker":"localhost:9092","tries":3} lab 3 3 1');
  const typed = await s.execute(`const wrong: { broker: number } = { broker };`);
  assert.match(errors(typed)[0]?.evalue ?? '', /not assignable to type 'number'/, 'type checking still sees the property');
  await settle();
});

test('a KafkaConnection and a Topic left as the cell value show as one short line', async () => {
  const r = await s.execute(`import { startBroker, connect } from 'kafkalab';
const testBroker = await startBroker({ port: 0 });
const kafka = await connect({ brokers: testBroker.bootstrap });
kafka`);
  assert.is(r.status, 'ok', JSON.stringify(r.outputs).slice(0, 1000));
  const port = /localhost:\d+/.exec(String(displays(r)[0]?.data?.['text/plain']))?.[0];
  assert.is(String(displays(r)[0].data!['text/plain']), `KafkaConnection ${port}`);
  const t = await s.execute(`await kafka.createTopic('shown-topic', { partitions: 2 })`);
  assert.is(t.status, 'ok', JSON.stringify(t.outputs).slice(0, 1000));
  assert.equal(
    t.outputs.map((o) => o.data?.['text/plain'] ?? o.text),
    [`Topic "shown-topic" on ${port}`],
  );
  const closed = await s.execute(`await kafka.close(); await testBroker.stop(); kafka`);
  assert.is(String(displays(closed)[0]?.data?.['text/plain']), `KafkaConnection ${port} (closed)`);
});

test('completion and inspection', async () => {
  const c = await s.send<{ matches: string[]; status: string }>({ op: 'complete', code: 'plot.', cursor: 5 });
  for (const name of ['line', 'scatter', 'histogram', 'anomalies', 'loss', 'confusion', 'featureErrors']) assert.ok(c.matches.includes(name), `completes plot.${name}`);
  const i = await s.send<{ found: boolean; data: Record<string, string> }>({ op: 'inspect', code: 'plot.histogram', cursor: 8 });
  assert.ok(i.found);
  assert.match(i.data['text/plain'], /histogram: \(values: .*HistogramOptions.*\) => Figure/);
  // Shift-Tab on an options parameter lists the options (HistogramOptions extends CommonOptions).
  assert.match(i.data['text/plain'], /HistogramOptions:\n  column\?\s+string\n\s+Column to histogram/);
  assert.match(i.data['text/plain'], /\n  title\?\s+string/, 'inherited options too');
  await s.execute(`import { connect } from 'kafkalab';\ndeclare const kafkaConn: Awaited<ReturnType<typeof connect>>;`);
  const code = `kafkaConn.topic('t').read(`;
  const r = await s.send<{ found: boolean; data: Record<string, string> }>({ op: 'inspect', code, cursor: code.length });
  assert.ok(r.found, 'Shift-Tab inside read(|)');
  assert.match(r.data['text/plain'], /ReadOptions:[^]*?\n  from\?\s+Position\n\s+First position to read[^]*\n  limit\?\s+number/, r.data['text/plain']);
  const k = await s.send<{ matches: string[] }>({ op: 'complete', code: 'kafkaConn.', cursor: 10 });
  for (const name of ['topics', 'topic', 'createTopic', 'deleteTopic', 'close']) assert.ok(k.matches.includes(name), `completes kafka.${name}`);
  for (const name of ['call', 'track', 'explain', 'requireTopic', 'producer']) assert.not.ok(k.matches.includes(name), `hides kafka.${name}`);
});

test('interrupting a running stream cell stops it, releases the stream and keeps state', async () => {
  await s.execute(`let released = false; let batches = 0; const keep = 'still here';
async function* endless() { try { for (;;) { batches++; yield new dfd.DataFrame({ v: [batches] }); await new Promise((r) => setTimeout(r, 50)); } } finally { released = true; } }`);
  const { msg_id } = await s.send<{ msg_id: string }>({ op: 'submit', code: `await watch(endless(), { rows: 3 })` });
  await new Promise((r) => setTimeout(r, 2500));
  await s.send({ op: 'interrupt' });
  const r = await s.send<{ status: string; outputs: { type: string; name?: string; text?: string }[] }>({ op: 'collect', msg_id, timeout: 30 });
  assert.is(r.status, 'error');
  assert.equal(
    r.outputs.filter((o) => o.type === 'error').map((o) => (o as { ename?: string }).ename),
    ['Interrupted'],
  );
  assert.ok(r.outputs.some((o) => o.type === 'update_display_data'), 'the live table was updated in place');
  await settle();
  const after = await s.execute(`await new Promise((r) => setTimeout(r, 200)); console.log(released, batches > 5, keep)`);
  assert.is(textOf(after, 'stdout').trim(), 'true true still here');
  assert.is((await s.send<{ alive: boolean }>({ op: 'alive' })).alive, true);
});

test('a stream left as the cell value renders as a live table', async () => {
  const r = await s.execute(`import { Stream } from 'kafkalab';\nStream.from(Array.from({ length: 50 }, (_, i) => ({ v: i })), { size: 10, ms: 0 })`);
  assert.is(r.status, 'ok');
  const [first] = displays(r);
  assert.ok(first?.transient?.display_id, 'an updatable output');
  assert.match(String(first.data!['text/html']), /(live|stopped) · \d+ batch/);
});

test('interrupting a busy synchronous loop', async () => {
  const { msg_id } = await s.send<{ msg_id: string }>({ op: 'submit', code: `let spins = 0; while (true) { spins++; }` });
  await new Promise((r) => setTimeout(r, 1500));
  await s.send({ op: 'interrupt' });
  const r = await s.send<{ status: string; outputs: { text?: string; evalue?: string }[] }>({ op: 'collect', msg_id, timeout: 30 });
  assert.is(r.status, 'error');
  assert.match(r.outputs.map((o) => o.text ?? o.evalue).join(''), /interrupted/i);
  await settle();
  assert.is(textOf(await s.execute(`console.log(keep)`), 'stdout').trim(), 'still here');
});

test('training in the kernel shows a progress bar and a live loss curve without any callbacks', async () => {
  const r = await s.execute(
    `import { Autoencoder, frameFromRecords } from 'kafkalab';
const ae = new Autoencoder({ features: ['a', 'b'], layers: [3, 2, 3], seed: 1 });
const h = await ae.fit(frameFromRecords(Array.from({ length: 1000 }, (_, i) => ({ a: Math.sin(i), b: Math.cos(i) }))), { epochs: 2, batchSize: 100 });
h.loss.length`,
    180,
  );
  assert.is(r.status, 'ok', JSON.stringify(r.outputs).slice(0, 1000));
  const bar = displays(r).filter((o) => String(o.data?.['text/html']).includes('<progress'));
  assert.ok(bar.length >= 2 && new Set(bar.map((o) => o.transient?.display_id)).size === 1, 'one progress area, updated');
  assert.match(String(bar[bar.length - 1].data!['text/plain']), /training ✓ epoch 2\/2 · loss [\d.]+ · val [\d.]+ · [\d,]+ rows\/s · done in/);
  const curves = displays(r).filter((o) => o.data?.['application/vnd.plotly.v1+json']);
  assert.is(curves.length, 2);
  assert.is(curves[1].type, 'update_display_data');
  assert.is(results(r)[0]?.data?.['text/plain'], '2');
});

test('restart clears the state and the kernel works again', async () => {
  await s.send({ op: 'restart' });
  const r = await s.execute(`typeof keep`);
  assert.is(r.status, 'error');
  assert.match(errors(r)[0]?.evalue ?? '', /Cannot find name 'keep'/);
  await settle();
  const again = await s.execute(`import { plot } from 'kafkalab';\nplot.loss({ loss: [0.3, 0.2] })`);
  assert.is(again.status, 'ok');
  assert.ok(!String(displays(again)[0].data!['text/html']).includes('plotly.js v'), 'a new session does not embed plotly.js again (it is served)');
});

test.run();
