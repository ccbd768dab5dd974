/**
 * Golden records with the scores the notebook computed at export time: this app, with its own
 * installed TensorFlow.js, must reproduce them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'fs';
import * as path from 'path';
import { Scorer } from '../src/scorer';

interface Golden {
  tolerance: number;
  threshold: number;
  records: unknown[];
  scores: (number | null)[];
}

const root = path.join(__dirname, '..', '..');
const golden = JSON.parse(readFileSync(path.join(root, 'test', 'golden.json'), 'utf8')) as Golden;

test('scores the golden records as the notebook did', async () => {
  const scorer = await Scorer.load(path.join(root, 'model'));
  const { scores, problems } = await scorer.scoreRecords(golden.records);
  assert.equal(scores.length, golden.scores.length);
  let worst = 0;
  for (let i = 0; i < scores.length; i++) {
    const want = golden.scores[i];
    if (want === null) {
      assert.ok(problems[i], `record ${i} should have been rejected`);
      continue;
    }
    assert.equal(problems[i], undefined, `record ${i} rejected: ${problems[i]}`);
    const diff = Math.abs(scores[i] - want);
    worst = Math.max(worst, diff);
    assert.ok(diff <= golden.tolerance * Math.max(1, Math.abs(want)), `record ${i}: score ${scores[i]} differs from the notebook's ${want} by ${diff}`);
  }
  assert.equal(scorer.threshold, golden.threshold);
  console.log(`golden: ${scores.length} records on ${scorer.backend}, max abs diff ${worst.toExponential(2)}`);
});

test('flags the golden anomalies', async () => {
  const scorer = await Scorer.load(path.join(root, 'model'));
  const { scores } = await scorer.scoreRecords(golden.records);
  golden.scores.forEach((want, i) => {
    // Scores within the tolerance of the threshold may fall either side of it.
    if (want === null || Math.abs(want - golden.threshold) <= golden.tolerance) return;
    assert.equal(scorer.isAnomaly(scores[i]), want > golden.threshold, `record ${i}`);
  });
});
