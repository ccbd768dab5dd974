/**
 * Models in production, notebook side, against the embedded broker over TCP: ae.publish writes a
 * model version to a compacted topic, the runtime's ModelFeed follows it (what the exported app
 * runs), a candidate is promoted, a bad record is skipped, and ae.watch follows drift on a topic.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Autoencoder, carReadings, CAR_FEATURES, promoteModel, modelVersions } from '../../sdk';
import { decodeModelVersion, ModelFeed, readModelVersion, Scorer, type ModelRole, type ModelVersion } from '../../sdk/runtime';
import { startEmbeddedKafka, stopEmbeddedKafka, type EmbeddedKafka } from '../kafka/helpers';

let env: EmbeddedKafka;
let tmp = '';
const rows = (seed: number, cars = 10, n = 200, firstCar = 1) => carReadings({ cars, readingsPerCar: n, anomalyRate: 0.02, seed, firstCar }) as unknown as Record<string, unknown>[];

async function trained(seed: number, epochs = 2): Promise<Autoencoder> {
  const ae = new Autoencoder({ features: [...CAR_FEATURES], windows: [{ field: 'engine_vibration_amplitude', size: 5, stats: ['mean', 'std'] }], key: 'carId', seed });
  await ae.fit(rows(seed), { epochs });
  return ae;
}

test.before(async () => {
  env = await startEmbeddedKafka();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'kafkalab-models-'));
});

test.after(async () => {
  await stopEmbeddedKafka(env);
  await fs.rm(tmp, { recursive: true, force: true });
});

test('publish: a compacted topic, a record that scores exactly like the notebook, the same version as save()', async () => {
  const ae = await trained(1);
  const r = await ae.publish(env.kafka, 'models');
  assert.is(r.created, true);
  assert.is(r.key, 'model:live');
  assert.match(r.version, /^[0-9a-f]{12}$/);
  const admin = env.kafka.kafka.admin();
  await admin.connect();
  const cfg = await admin.describeConfigs({ resources: [{ type: 2, name: 'models', configNames: ['cleanup.policy'] }], includeSynonyms: false });
  await admin.disconnect();
  assert.is(cfg.resources[0].configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue, 'compact');

  const { live } = await modelVersions(env.kafka, 'models');
  assert.is(live!.version, r.version);
  assert.is(live!.pipeline.metadata?.modelVersion, r.version);
  assert.ok((live!.metrics as { training: { epochs: number } }).training.epochs === 2);
  const scorer = await Scorer.fromVersion(live!);
  const test = rows(9);
  const names = Object.keys(test[0]);
  const cols = Object.fromEntries(names.map((n) => [n, test.map((x) => x[n])]));
  const fromTopic = scorer.scoreRows(cols, test.length, scorer.newState()).scores;
  assert.equal(Array.from(fromTopic), Array.from(await ae.score(test)), 'bit-identical scores');

  // The same model again: the same version, the topic already there.
  const again = await ae.publish(env.kafka, 'models');
  assert.is(again.version, r.version);
  assert.is(again.created, false);
  await ae.save(path.join(tmp, 'm1'));
  assert.is((await readModelVersion(path.join(tmp, 'm1'))).version, r.version, 'save() and publish() name the model alike');
  assert.throws(() => decodeModelVersion('{"format":"x"}'), /Not a model version record/);
  ae.dispose();
});

test('the feed: latest versions at start, then each change in order; a candidate promoted; a bad record skipped', async () => {
  const topic = 'models-feed';
  const a = await trained(2);
  const b = await trained(3);
  const c = await trained(4);
  const va = (await a.publish(env.kafka, topic, { name: 'vib' })).version;
  await b.publish(env.kafka, topic, { name: 'other' }); // another model on the same topic: ignored
  const changes: [ModelRole, string | undefined][] = [];
  const errors: unknown[] = [];
  let wake: () => void = () => {};
  const feed = new ModelFeed(env.kafka.kafka, {
    topic,
    name: 'vib',
    pollMs: 100,
    onChange: async (role, v?: ModelVersion) => {
      changes.push([role, v?.version]);
      wake();
    },
    onError: (err) => errors.push(err),
  });
  const start = await feed.start();
  assert.is(start.live?.version, va);
  assert.is(start.candidate, undefined);
  const until = async (n: number) => {
    const deadline = Date.now() + 20_000;
    while (changes.length < n && Date.now() < deadline) await new Promise<void>((r) => ((wake = r), setTimeout(r, 200)));
    assert.is(changes.length, n, JSON.stringify(changes));
  };
  try {
    const vb = (await b.publish(env.kafka, topic, { name: 'vib' })).version;
    await until(1);
    const vc = (await c.publish(env.kafka, topic, { name: 'vib', role: 'candidate', version: 'c-1' })).version;
    assert.is(vc, 'c-1');
    await until(2);
    const producer = await env.kafka.producer();
    await producer.send({ topic, messages: [{ key: 'vib:live', value: 'not a model' }] });
    const promoted = await promoteModel(env.kafka, topic, { name: 'vib' });
    assert.is(promoted.version, 'c-1');
    await until(4);
    assert.equal(changes, [['live', vb], ['candidate', 'c-1'], ['live', 'c-1'], ['candidate', undefined]]);
    assert.is(errors.length, 1, 'the bad record');
    assert.match(String((errors[0] as Error).message), /Not a model version record/);
    await promoteModel(env.kafka, topic, { name: 'vib' }).then(
      () => assert.unreachable('nothing to promote'),
      (e: Error) => assert.match(e.message, /No candidate of model "vib"/),
    );
  } finally {
    await feed.stop();
  }
  for (const m of [a, b, c]) m.dispose();
});

test('watch: drift of a topic stream rises when the fleet changes', async () => {
  // Cars start cold: the first 15 minutes (engines warming up) are left out of both fleets.
  const warm = (r: Record<string, unknown>[]) => r.filter((x) => (x.ts as number) >= (r[0].ts as number) + 900_000);
  const fleet = warm(carReadings({ cars: 20, readingsPerCar: 1800, anomalyRate: 0, seed: 5 }) as unknown as Record<string, unknown>[]);
  const pick = fleet.map((_, i) => Math.imul(i + 1, 2654435761) >>> 31);
  const ae = new Autoencoder({ features: [...CAR_FEATURES], seed: 5 });
  await ae.fit(fleet.filter((_, i) => pick[i] === 0), { epochs: 1 });
  const t = env.kafka.topic('fleet');
  const same = fleet.filter((_, i) => pick[i] === 1);
  await t.produce(same, { key: 'carId' });
  await t.produce(warm(carReadings({ cars: 20, readingsPerCar: 1800, anomalyRate: 0, seed: 8, firstCar: 200 }) as unknown as Record<string, unknown>[]), { key: 'carId' });
  const points: Record<string, number | string>[] = [];
  let seen = 0;
  for await (const p of ae.watch(t.stream({ from: 'earliest', batch: { size: 2000, ms: 200 } }), { window: 4000 })) {
    points.push(p);
    seen += p.batchRows as number;
    if (seen >= same.length + 8000) break;
  }
  const before = points.filter((_, i) => (i + 1) * 2000 <= same.length && i >= 1).map((p) => p.psi_max as number);
  const last = points[points.length - 1];
  console.log(`PSI max, training fleet: ${before.map((x) => x.toFixed(3)).join(' ')}; another fleet: ${(last.psi_max as number).toFixed(3)} (${last.psi_max_feature})`);
  assert.ok(Math.max(...before) < 0.25, `the training fleet: ${before}`);
  assert.ok((last.psi_max as number) > 2 * Math.max(...before), `after the fleet changed: ${last.psi_max} (${last.psi_max_feature}) vs ${before}`);
  assert.ok(typeof points[0].psi_coolant_temp === 'number');
  ae.dispose();
});

test.run();
