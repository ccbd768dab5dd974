// Training from a group stream commits only when fit returns, and only what the model was
// trained on or held out: a fit that fails commits nothing, a fit bounded by maxRows commits
// exactly the rows it took.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Autoencoder } from '../../sdk/ml/autoencoder';
import { carReadings } from '../../sdk/ingest/simulator';
import type { KafkaConnection } from '../../sdk/kafka/connect';
import { startEmbeddedKafka, stopEmbeddedKafka, type EmbeddedKafka } from '../kafka/helpers';

let env: EmbeddedKafka;
let kafka: KafkaConnection;

test.before(async () => {
  env = await startEmbeddedKafka({ groups: { initialRebalanceDelayMs: 0 } });
  kafka = env.kafka;
  await kafka.createTopic('fit-in', { partitions: 1 });
  await kafka.topic('fit-in').produce(carReadings({ cars: 5, readingsPerCar: 2000, seed: 3, anomalyRate: 0 }) as never, { key: 'carId', timestamp: 'ts' });
});

test.after(() => stopEmbeddedKafka(env ?? {}));

async function committed(group: string): Promise<number> {
  const c = await kafka.admin.fetchOffsets({ groupId: group, topics: ['fit-in'] });
  return Number(c[0].partitions[0].offset);
}

test('a fit that fails commits nothing', async () => {
  const ae = new Autoencoder({ features: ['no_such_sensor'], layers: [4, 2, 4], seed: 1 });
  const err = await ae.fit(kafka.topic('fit-in').stream({ group: 'fit-fail', from: 'earliest', batch: { size: 1000, ms: 50 } }), { maxRows: 3000 }).then(
    () => undefined,
    (e: Error) => e,
  );
  assert.ok(err, 'the fit fails on an unknown feature');
  assert.is(await committed('fit-fail'), -1);
});

test('a fit bounded by maxRows commits the rows it took, and the next fit in the group starts after them', async () => {
  const ae = new Autoencoder({ features: ['speed', 'engine_rpm', 'coolant_temp'], layers: [4, 2, 4], seed: 1 });
  const stream = () => kafka.topic('fit-in').stream({ group: 'fit-g', from: 'earliest', batch: { size: 1700, ms: 50 } });
  const h = await ae.fit(stream(), { maxRows: 3000, warmupRows: 1000, batchSize: 128 });
  assert.is(h.stopReason, 'maxRows');
  assert.is(await committed('fit-g'), 3000, 'the second micro-batch was taken in part: committed up to the last row taken');
  const h2 = await ae.fit(stream(), { maxRows: 2000, warmupRows: 1000, batchSize: 128 });
  assert.is(h2.stopReason, 'maxRows');
  assert.is(await committed('fit-g'), 5000);
  ae.dispose();
});

test.run();
