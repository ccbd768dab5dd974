/**
 * A 10,000-deep JSON record among good ones: read() and stream() count it as a decode failure
 * (the reason the exported app dead-letters it with) and go on; a consumer-group `.to()` job
 * counts it, writes the good rows and commits past it instead of stalling.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DECODE_FAILURE } from '../../sdk/runtime/decode/values';
import { readReport } from '../../sdk/frame/dataframe';
import { startEmbeddedKafka, stopEmbeddedKafka, type EmbeddedKafka } from './helpers';

let env: EmbeddedKafka;
const DEEP = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
const DEEP_ARRAY = '{"a":' + '['.repeat(10_000) + ']'.repeat(10_000) + '}';
const GOOD = 60;

test.before(async () => {
  env = await startEmbeddedKafka();
  await env.kafka.createTopic('deep', { partitions: 2 });
  const producer = await env.kafka.producer();
  const messages = Array.from({ length: GOOD }, (_, i) => ({ key: `k${i % 4}`, value: JSON.stringify({ seq: i, v: { x: i / 2 } }) }));
  messages.splice(20, 0, { key: 'k0', value: DEEP });
  messages.splice(41, 0, { key: 'k1', value: DEEP_ARRAY });
  await producer.send({ topic: 'deep', messages });
});
test.after(() => stopEmbeddedKafka(env));

test('read(): the deep records are counted failures with their reason, the rest is read', async () => {
  const df = await env.kafka.topic('deep').read();
  const report = readReport(df)!;
  assert.is(df.shape[0], GOOD);
  assert.is(report.failed, 2);
  assert.equal(report.failures, { [DECODE_FAILURE.tooDeep]: 2 });
  assert.ok((df.columns as string[]).includes('v.x'));
});

test('stream(): the same, batch after batch', async () => {
  const s = env.kafka.topic('deep').stream({ from: 'earliest', batch: { size: 16, ms: 50 } });
  const df = await s.take(GOOD);
  assert.is(df.shape[0], GOOD);
  assert.equal(s.stats.failures, { [DECODE_FAILURE.tooDeep]: 2 });
});

test('a group .to() job counts them, writes every good row and commits to the end', async () => {
  const { kafka } = env;
  await kafka.createTopic('deep-out');
  const job = await kafka.topic('deep').stream({ group: 'deep-job', from: 'earliest', batch: { size: 16, ms: 50 } }).map((r) => ({ seq: r.seq, x: r['v.x'] })).to('deep-out');
  const ends = await kafka.admin.fetchTopicOffsets('deep');
  const total = ends.reduce((n, p) => n + Number(p.high), 0);
  const deadline = Date.now() + 60_000;
  let committed = 0;
  while (Date.now() < deadline) {
    committed = Object.values(job.stats.committed).reduce((n, o) => n + o, 0);
    if (committed >= total) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await job.stop();
  assert.is(committed, total, `committed ${committed} of ${total}: the job must not stall on the deep record`);
  assert.equal(job.stats.failures, { [DECODE_FAILURE.tooDeep]: 2 });
  const out = await kafka.topic('deep-out').read();
  assert.is(out.shape[0], GOOD);
});

test.run();
