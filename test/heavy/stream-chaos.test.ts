/**
 * At-least-once under faults: a group stream job (`stream({ group, from: 'earliest' }).map(f)
 * .to(out)`) over 200,000 records on 4 partitions, killed -9 and stopped with job.stop() at
 * random moments and restarted in the same group each time, loses nothing: the group never
 * commits an input record whose output Kafka has not acknowledged. Duplicates are allowed
 * (what was written after the last commit is written again) and counted.
 * The same for a keyed 10 s window job over 100,000 records: every window emitted, each one
 * whole (duplicates allowed, never a window emitted again from part of its records).
 * CHAOS_RECORDS, CHAOS_SEED and CHAOS_FAULTS (e.g. "kill,stop,kill") change the run;
 * CHAOS_WINDOW_RECORDS and CHAOS_WINDOW_FAULTS the window one.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startEmbeddedKafka, stopEmbeddedKafka, type EmbeddedKafka } from '../kafka/helpers';
import { runChaos, runWindowChaos, type Fault } from './stream-chaos';

let env: EmbeddedKafka;
test.before(async () => void (env = await startEmbeddedKafka()));
test.after(() => stopEmbeddedKafka(env));

test('stream job killed -9 and stopped at random moments: 0 records lost', async () => {
  const records = Number(process.env.CHAOS_RECORDS ?? 200_000);
  const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 100_000);
  const faults = (process.env.CHAOS_FAULTS ?? 'kill,stop,kill,kill,stop,kill').split(',') as Fault[];
  console.log(`stream chaos: ${records} records, 4 partitions, faults ${faults.join(',')}, seed ${seed}`);
  const r = await runChaos({ kafka: env.kafka, bootstrap: env.broker.bootstrap, records, partitions: 4, faults, seed, name: `${process.pid}`, log: (l) => console.log(l) });
  assert.is(r.trials.length, faults.length);
  for (const [i, t] of r.trials.entries()) assert.is(t.lost, 0, `trial ${i + 1} (${t.fault}): ${t.lost} committed records never written`);
  assert.is(r.lost, 0, `${r.lost} of ${records} records lost`);
  assert.ok(r.outTotal >= records);
});

test('window job killed -9 and stopped at random moments: every window emitted, whole', async () => {
  const records = Number(process.env.CHAOS_WINDOW_RECORDS ?? 100_000);
  const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 100_000);
  const faults = (process.env.CHAOS_WINDOW_FAULTS ?? 'kill,stop,kill,kill').split(',') as Fault[];
  console.log(`window chaos: ${records} records, 4 partitions, 97 keys, 10 s windows, faults ${faults.join(',')}, seed ${seed}`);
  const r = await runWindowChaos({ kafka: env.kafka, bootstrap: env.broker.bootstrap, records, partitions: 4, faults, seed, name: `${process.pid}`, log: (l) => console.log(l) });
  assert.is(r.missing, 0, `${r.missing} of ${r.windows} windows never emitted`);
  assert.is(r.partial, 0, `${r.partial} windows emitted from part of their records`);
});

test.run();
