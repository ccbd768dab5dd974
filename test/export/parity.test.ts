/**
 * Parity with the real exported app process, a bounded number of cases (the heavy suite runs
 * more: test/heavy/parity.test.ts): the motors data set, then generated topics. Every record's
 * app score equals the notebook's within 1e-5, every anomaly flag and dead-letter reason match.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { caseArb, capDecodeFailures } from '../runtime/payloads';
import { generatedCase, motorsCase } from './parity-cases';
import { runCase, startRig, type Rig } from './parity-rig';

let rig: Rig;
test.before(async () => {
  rig = await startRig('link');
});
test.after(() => rig?.stop());

test('motors (nested vib.x/y/z, temp.*): the app scores every record as the notebook does', async () => {
  const r = await runCase(rig, motorsCase('motors', 7));
  console.log(`motors: ${JSON.stringify(r)}`);
  assert.is(r.records, 803);
  assert.is(r.scored, 800);
  assert.ok(r.anomalies > 0 && r.anomalies < r.scored, `${r.anomalies} anomalies`);
  assert.equal(r.reasons, { 'invalid JSON': 1, 'null value': 1, 'record has no "motor"': 1 });
});

test('motors with a sequence model (windows of 6 readings per motor): the app scores every record as the notebook does', async () => {
  const r = await runCase(rig, { ...motorsCase('motors-seq', 8), sequence: { length: 6 } });
  console.log(`motors, sequence model: ${JSON.stringify(r)}`);
  assert.is(r.scored, 800, 'every score and flag matched the notebook (runCase asserts each)');
  assert.is(r.maxDiff <= 1e-5, true);
});

test('generated topics: every record, the same verdict in the app and the notebook', async () => {
  const cases = fc.sample(caseArb(40, 120).map((c) => capDecodeFailures(c)), { numRuns: Number(process.env.PARITY_APP_CASES ?? 2), seed: Number(process.env.PARITY_SEED ?? 20261206) });
  for (const [i, c] of cases.entries()) {
    const r = await runCase(rig, generatedCase(`generated-${i}`, c, 11 + i, 1 + ((i * 37) % 50)));
    console.log(`generated-${i}: ${JSON.stringify(r)}`);
    assert.is(r.scored + r.deadLettered, r.records);
  }
});

test.run();
