/**
 * Golden records with the verdicts the notebook computed at export time: this app, with its own
 * install (the runtime package, TensorFlow.js), must reproduce them, each record going through
 * the same decoding as a message from Kafka.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'fs';
import * as path from 'path';
import { Scorer } from '@kafkalab/runtime';
import type { KafkaMessage } from 'kafkajs';
import { ChunkDecoder } from '../src/chunk';

interface Golden {
  tolerance: number;
  threshold: number;
  records: unknown[];
  scores: (number | null)[];
  problems: (string | null)[];
}

const root = path.join(__dirname, '..', '..');
const golden = JSON.parse(readFileSync(path.join(root, 'test', 'golden.json'), 'utf8')) as Golden;

/** The golden records as Kafka messages at offsets 0.., decoded and scored as the app does. */
async function verdicts(scorer: Scorer) {
  const messages = golden.records.map((r, i) => ({ key: null, value: Buffer.from(JSON.stringify(r)), offset: String(i), timestamp: '0', headers: {} }) as unknown as KafkaMessage);
  const chunk = new ChunkDecoder(scorer, []).decode(messages, 0, scorer.newState());
  const scores: (number | null)[] = new Array(messages.length).fill(null);
  const s = scorer.scores(chunk.input, scorer.reconstruct(chunk.input, chunk.rows));
  chunk.source.forEach((m, k) => (scores[Number(m.offset)] = s[k]));
  const problems: (string | null)[] = new Array(messages.length).fill(null);
  for (const d of chunk.dead) problems[Number(d.message.offset)] = d.reason;
  return { scores, problems };
}

test('scores the golden records as the notebook did', async () => {
  const scorer = await Scorer.load(path.join(root, 'model'));
  const { scores, problems } = await verdicts(scorer);
  assert.equal(scores.length, golden.scores.length);
  assert.deepEqual(problems, golden.problems, 'the same records are dead-lettered, for the same reasons');
  let worst = 0;
  for (let i = 0; i < scores.length; i++) {
    const want = golden.scores[i];
    if (want === null) continue;
    const diff = Math.abs(scores[i]! - want);
    worst = Math.max(worst, diff);
    assert.ok(diff <= golden.tolerance * Math.max(1, Math.abs(want)), `record ${i}: score ${scores[i]} differs from the notebook's ${want} by ${diff}`);
  }
  assert.equal(scorer.threshold, golden.threshold);
  console.log(`golden: ${scores.length} records on ${scorer.backend}, max abs diff ${worst.toExponential(2)}`);
});

test('flags the golden anomalies', async () => {
  const scorer = await Scorer.load(path.join(root, 'model'));
  const { scores } = await verdicts(scorer);
  golden.scores.forEach((want, i) => {
    // Scores within the tolerance of the threshold may fall either side of it.
    if (want === null || Math.abs(want - golden.threshold) <= golden.tolerance) return;
    assert.equal(scorer.isAnomaly(scores[i]!), want > golden.threshold, `record ${i}`);
  });
});
