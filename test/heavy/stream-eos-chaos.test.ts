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
  // 60 µs of work a row: ~12 s of backlog, so the faults strike a busy job (without it a quiet
  // machine finished the backlog before the first fault, and every fault hit an idle job).
  const r = await runChaos({ kafka: env.kafka, bootstrap: env.broker.bootstrap, records, partitions: 4, faults, seed, name: `${process.pid}`, guarantee: 'exactly-once', paceUs: 60, log: (l) => console.log(l) });
  assert.is(r.trials.length, faults.length);
  for (const [i, t] of r.trials.entries()) assert.is(t.lost, 0, `trial ${i + 1} (${t.fault}): ${t.lost} committed records never written`);
  assert.is(r.lost, 0, `${r.lost} of ${records} records lost`);
  assert.is(r.duplicates, 0, `${r.duplicates} duplicates in the read_committed output`);
  assert.is(r.outTotal, records);
});

test('exactly-once filter job (drops a tenth of its input and the end of every partition), killed -9 and stopped: every kept input once, every input committed', async () => {
  const records = Number(process.env.CHAOS_FILTER_RECORDS ?? 100_000);
  const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 100_000);
  const faults = (process.env.CHAOS_EOS_FILTER_FAULTS ?? 'kill,stop,kill').split(',') as Fault[];
  const dropTail = Math.floor(records / 20);
  console.log(`exactly-once filter chaos: ${records} records (filter drops seq % 10 = 3 and the last ${dropTail}), 4 partitions, faults ${faults.join(',')}, seed ${seed}`);
  // The recovery run waits until the group committed every input: the dropped tail commits only in offsets-only transactions.
  const r = await runChaos({ kafka: env.kafka, bootstrap: env.broker.bootstrap, records, partitions: 4, faults, seed, name: `${process.pid}-f`, guarantee: 'exactly-once', dropTail, paceUs: 120, log: (l) => console.log(l) });
  for (const [i, t] of r.trials.entries()) assert.is(t.lost, 0, `trial ${i + 1} (${t.fault}): ${t.lost} committed records never written`);
  assert.is(r.kept, records - dropTail - Math.ceil((records - dropTail - 3) / 10));
  assert.is(r.lost, 0, `${r.lost} of ${r.kept} kept records lost`);
  assert.is(r.duplicates, 0, `${r.duplicates} duplicates in the read_committed output`);
  assert.is(r.strays, 0, `${r.strays} outputs of dropped inputs`);
  assert.is(r.outTotal, r.kept);
});

test.run();
