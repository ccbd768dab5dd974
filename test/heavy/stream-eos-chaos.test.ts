/**
 * Exactly-once under faults: a group stream job written with `.to(out, { guarantee:
 * 'exactly-once' })` over 200,000 records on 4 partitions, killed -9 and stopped with job.stop()
 * at random moments and restarted in the same group each time: the read_committed output holds
 * every input record exactly once (0 lost, 0 duplicates); no fault leaves a committed input
 * without its output. Same harness as stream-chaos.test.ts (stream-chaos.ts).
 * CHAOS_RECORDS, CHAOS_SEED and CHAOS_EOS_FAULTS (e.g. "kill,stop,kill") change the run.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startEmbeddedKafka, stopEmbeddedKafka, type EmbeddedKafka } from '../kafka/helpers';
import { runChaos, type Fault } from './stream-chaos';

let env: EmbeddedKafka;
test.before(async () => void (env = await startEmbeddedKafka()));
test.after(() => stopEmbeddedKafka(env));

test('exactly-once stream job killed -9 and stopped at random moments: 0 lost, 0 duplicates read_committed', async () => {
  const records = Number(process.env.CHAOS_RECORDS ?? 200_000);
  const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 100_000);
  const faults = (process.env.CHAOS_EOS_FAULTS ?? 'kill,stop,kill,stop,kill').split(',') as Fault[];
  console.log(`exactly-once stream chaos: ${records} records, 4 partitions, faults ${faults.join(',')}, seed ${seed}`);
  const r = await runChaos({ kafka: env.kafka, bootstrap: env.broker.bootstrap, records, partitions: 4, faults, seed, name: `${process.pid}`, guarantee: 'exactly-once', log: (l) => console.log(l) });
  assert.is(r.trials.length, faults.length);
  for (const [i, t] of r.trials.entries()) assert.is(t.lost, 0, `trial ${i + 1} (${t.fault}): ${t.lost} committed records never written`);
  assert.is(r.lost, 0, `${r.lost} of ${records} records lost`);
  assert.is(r.duplicates, 0, `${r.duplicates} duplicates in the read_committed output`);
  assert.is(r.outTotal, records);
});

test.run();
