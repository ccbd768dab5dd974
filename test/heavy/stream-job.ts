/**
 * A stream job as a user runs it, in its own process so that a test can kill -9 it:
 * `topic.stream({ group, from: 'earliest' }).map(f).to(out)`. Prints `RUNNING` once the job
 * runs; the line `stop` on stdin calls `job.stop()`, then it prints `STOPPED` and exits.
 * Each output row names the input record it came from (`p`, `o`), so a test can tell which
 * committed input never reached the output.
 * With WINDOW=1 the job is `.window({ size: '10s', by: 'k' }).agg({ seq: ['count', 'sum'] })`
 * instead of the map. With TO=latest it is a bounded run: it ends by itself at the end offsets
 * of its start (flushing open windows), prints `DONE` and exits.
 * Environment: BOOTSTRAP, IN, OUT, GROUP, BATCH (rows per micro-batch, default 1000),
 * GUARANTEE (`exactly-once` for `.to(out, { guarantee: 'exactly-once' })`) and DROP_FROM (a
 * filter before the map: seqs ending in 3 and seqs from DROP_FROM on are dropped) and PACE_US
 * (CPU time each mapped row costs).
 */
import { connect } from '../../sdk/kafka/connect';

async function main(): Promise<void> {
  const env = (name: string): string => {
    const v = process.env[name];
    if (!v) throw new Error(`${name} is not set`);
    return v;
  };
  const kafka = await connect({ brokers: env('BOOTSTRAP') });
  const stream = kafka
    .topic(env('IN'))
    .stream({ group: env('GROUP'), from: 'earliest', to: process.env.TO === 'latest' ? 'latest' : undefined, batch: { size: Number(process.env.BATCH ?? 1000), ms: 100 } });
  // DROP_FROM: a filter drops seqs ending in 3 and every seq from DROP_FROM on (the partitions' ends).
  const dropFrom = process.env.DROP_FROM ? Number(process.env.DROP_FROM) : undefined;
  const kept = dropFrom === undefined ? stream : stream.filter((r) => (r.seq as number) % 10 !== 3 && (r.seq as number) < dropFrom);
  // PACE_US: each mapped row costs this much CPU (as a real transformation would), so that a fast
  // machine is still mid-backlog when a fault strikes.
  const pace = Number(process.env.PACE_US ?? 0) / 1000;
  const work = () => {
    if (!pace) return;
    const until = performance.now() + pace;
    while (performance.now() < until);
  };
  const pipeline = process.env.WINDOW ? stream.window({ size: '10s', by: 'k' }).agg({ seq: ['count', 'sum'] }) : kept.map((r) => (work(), { seq: r.seq, k: r.k, p: r._partition, o: r._offset }));
  const job = await pipeline.to(env('OUT'), { guarantee: process.env.GUARANTEE === 'exactly-once' ? 'exactly-once' : 'at-least-once' });
  process.stdout.write('RUNNING\n');
  if (process.env.TO === 'latest') {
    await job.done;
    await kafka.close();
    process.stdout.write('DONE\n');
    process.exit(0);
  }
  let input = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', async (chunk: string) => {
    input += chunk;
    if (!input.includes('stop\n')) return;
    input = '';
    await job.stop();
    await kafka.close();
    process.stdout.write(`STOPPED ${JSON.stringify(job.stats.committed ?? null)}\n`);
    process.exit(0);
  });
  job.done.catch((e) => {
    process.stderr.write(`job failed: ${e?.stack ?? e}\n`);
    process.exit(2);
  });
}

main().catch((e) => {
  process.stderr.write(`${e?.stack ?? e}\n`);
  process.exit(1);
});
