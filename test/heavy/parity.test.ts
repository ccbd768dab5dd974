/**
 * Parity with the real exported app process, more cases than `npm test` runs: the app installed
 * with its own `npm install` (the vendored runtime tarball), the motors data set with another
 * seed, and PARITY_APP_CASES (default 10) generated topics of 100 to 300 records.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { caseArb, capDecodeFailures } from '../runtime/payloads';
import { generatedCase, motorsCase } from '../export/parity-cases';
import { runCase, startRig, type Rig } from '../export/parity-rig';

let rig: Rig;
test.before(async () => {
  rig = await startRig('npm');
});
test.after(() => rig?.stop());

test('motors, another seed', async () => {
  const r = await runCase(rig, motorsCase('motors-heavy', 31));
  console.log(`motors: ${JSON.stringify(r)}`);
  assert.is(r.scored, 800);
});

test('generated topics', async () => {
  const cases = fc.sample(caseArb(100, 300).map((c) => capDecodeFailures(c)), { numRuns: Number(process.env.PARITY_APP_CASES ?? 10), seed: Number(process.env.PARITY_SEED ?? 777) });
  let records = 0;
  for (const [i, c] of cases.entries()) {
    const r = await runCase(rig, generatedCase(`heavy-${i}`, c, 100 + i, 1 + ((i * 53) % 200)));
    console.log(`heavy-${i}: ${r.records} records, ${r.scored} scored, ${r.deadLettered} dead-lettered, ${r.anomalies} anomalies, max |diff| ${r.maxDiff}`);
    records += r.records;
  }
  console.log(`${cases.length} generated topics, ${records} records: every verdict the same`);
});

test.run();
