/**
 * npm run bench:display — what showing a large frame costs in the kernel: the table bundle
 * (head, tail, shape, dtypes) and a line chart of two columns for a ROWS x 10 frame as
 * `topic.read()` returns it (typed columns, danfo row arrays built lazily), against the same
 * work on danfo's row arrays (the baseline: the path a display takes that asks danfo for
 * `values` or `$getColumnData`). Also prints the size of the chart's JSON.
 * Options: ROWS=n (default 1000000), RUNS=n (best of, default 3).
 */
import { frameFromRecords, isMaterialized } from '../sdk/frame/dataframe';
import { toMimeBundle } from '../kernel/display';
import { plot } from '../sdk/plot';

const ROWS = Number(process.env.ROWS ?? 1_000_000);
const RUNS = Number(process.env.RUNS ?? 3);

function frame() {
  const records = Array.from({ length: ROWS }, (_, i) => ({
    _timestamp: 1.7e12 + i * 100, speed: (i % 1200) / 10, rpm: 800 + (i % 5000), vib: Math.sin(i / 50), temp: 90 + (i % 7),
    a: i % 3, b: i % 11, c: i / ROWS, d: i, carId: `car-${i % 100}`,
  }));
  return frameFromRecords(records);
}

function best(f: () => void): number {
  let min = Infinity;
  for (let r = 0; r < RUNS; r++) {
    const t = process.hrtime.bigint();
    f();
    min = Math.min(min, Number(process.hrtime.bigint() - t) / 1e6);
  }
  return min;
}

const df = frame();
if (isMaterialized(df)) throw new Error('expected a lazily materialized frame (ROWS >= 50000)');
let json = 0;
const table = best(() => void toMimeBundle(df, { plotlyLoaded: true }));
const chart = best(() => (json = JSON.stringify(plot.line(df, { y: ['speed', 'vib'] }).toJSON()).length));
const lazy = isMaterialized(df) ? 'no (built)' : 'yes';

// Baseline: the same display on danfo's row arrays, including building them once (what the first
// danfo-based access costs), then on the built arrays.
const t0 = process.hrtime.bigint();
void (df as unknown as { values: unknown }).values;
const build = Number(process.hrtime.bigint() - t0) / 1e6;
const tableRows = best(() => void toMimeBundle(df, { plotlyLoaded: true }));
const chartRows = best(() => void plot.line(df, { y: ['speed', 'vib'] }));

const ms = (v: number) => `${v.toFixed(0)} ms`;
console.log(`bench:display  ${ROWS.toLocaleString('en-US')} rows x 10 columns, best of ${RUNS}`);
console.log(`  kafkalab (typed columns)   table bundle ${ms(table)}   plot.line 2 columns ${ms(chart)}   frame still lazy: ${lazy}   chart JSON ${(json / 1024).toFixed(0)} KiB`);
console.log(`  baseline (danfo row arrays) building them ${ms(build)}, then table bundle ${ms(tableRows)}   plot.line ${ms(chartRows)}`);
console.log(`  first display: ${ms(table)} vs ${ms(build + tableRows)} (${((build + tableRows) / table).toFixed(1)}x)`);
