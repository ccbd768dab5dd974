// Training from a stream of micro-batches (an async generator, then a real topic on the
// embedded broker) reaches a loss comparable to training on the same rows as one DataFrame.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Autoencoder } from '../../sdk/ml/autoencoder';
import { tf } from '../../sdk/runtime/score/backend';
import type { Progress } from '../../sdk/ml/train';
import { CAR_FEATURES, carReadings, type CarReading } from '../../sdk/ingest/simulator';
import { frameFromRecords } from '../../sdk/frame/dataframe';
import { startBroker } from '../../sdk/broker';
import { connect } from '../../sdk/kafka';
import { Stream } from '../../sdk/stream/stream';

const rows = carReadings({ cars: 20, readingsPerCar: 1000, seed: 5, anomalyRate: 0 });
const heldOut = frameFromRecords(carReadings({ cars: 5, readingsPerCar: 1000, seed: 6, anomalyRate: 0 }) as never);
const options = { features: [...CAR_FEATURES], layers: [14, 7, 14], seed: 3 };

async function* batches(records: CarReading[], size: number) {
  for (let i = 0; i < records.length; i += size) {
    await new Promise((r) => setImmediate(r));
    yield frameFromRecords(records.slice(i, i + size) as never);
  }
}

let frameModel: Autoencoder;
let frameError = 0;

/**
 * Mean squared reconstruction error on the held-out rows in the frame model's units: each
 * model scales with its own scaler, so errors are converted before they are compared.
 */
async function heldOutError(ae: Autoencoder): Promise<number> {
  const { errors, rows } = await ae.scoreFeatures(heldOut);
  const own = ae.spec.scaler.scale;
  const ref = frameModel.spec.scaler.scale;
  const nf = own.length;
  let sum = 0;
  for (let i = 0; i < errors.length; i++) sum += errors[i] * (own[i % nf] / ref[i % nf]) ** 2;
  return sum / (rows * nf);
}

test('frame baseline', async () => {
  frameModel = new Autoencoder(options);
  await frameModel.fit(frameFromRecords(rows as never), { epochs: 3, batchSize: 256 });
  frameError = await heldOutError(frameModel);
  assert.ok(frameError > 0 && frameError < 0.5, String(frameError));
});

test('fit from an async iterable of DataFrames: comparable loss, progress, bounded by maxRows', async () => {
  const ae = new Autoencoder(options);
  const epochs: Progress[] = [];
  let batchCalls = 0;
  const h = await ae.fit(batches(rows, 1000), { epochs: 3, batchSize: 256, warmupRows: 2000, evaluateEvery: 5000, onEpoch: (p) => void epochs.push(p), onBatch: () => void batchCalls++ });
  assert.is(h.stopReason, 'end');
  assert.ok(h.epochs >= 3 && epochs.length === h.epochs, `${h.epochs} evaluations`);
  assert.ok(batchCalls > 50);
  assert.ok(epochs.every((p) => Number.isFinite(p.valLoss!) && p.rowsPerSec > 0));
  assert.ok(h.valLoss.at(-1)! < h.valLoss[0], 'validation loss falls');
  // ~10% of rows held out for validation, the rest trained on 3 times
  assert.ok(h.rows > rows.length * 0.85 * 3 && h.rows < rows.length * 0.95 * 3, String(h.rows));
  const streamError = await heldOutError(ae);
  console.log(`held-out mean error: frame ${frameError.toFixed(4)}, stream ${streamError.toFixed(4)}; stream valLoss ${h.valLoss.at(-1)!.toFixed(4)}`);
  assert.ok(streamError < frameError * 1.5, `stream ${streamError} vs frame ${frameError}`);
  assert.ok(Number.isFinite(ae.threshold) && ae.threshold > 0);
  ae.dispose();

  const bounded = new Autoencoder(options);
  const hb = await bounded.fit(batches(rows, 700), { maxRows: 5000, warmupRows: 1000 });
  assert.is(hb.stopReason, 'maxRows');
  // every row taken is used: ~90% trained on (the last, partial batch too), ~10% held out
  assert.ok(hb.rows > 4350 && hb.rows < 4650, String(hb.rows));
  bounded.dispose();
});

test('predictStream continues windows across micro-batches: same scores as one frame', async () => {
  const ae = new Autoencoder({ ...options, windows: [{ field: 'speed', size: 10, stats: ['mean', 'run'] }] });
  await ae.fit(rows.slice(0, 4000) as never, { epochs: 1 });
  const part = rows.slice(4000, 9000);
  const whole = await ae.score(part as never);
  const streamed: number[] = [];
  let batchesSeen = 0;
  for await (const p of ae.predictStream(batches(part, 777))) {
    batchesSeen++;
    const cols = p.columns as string[];
    for (const row of p.values as unknown[][]) streamed.push(row[cols.indexOf('score')] as number);
  }
  assert.is(batchesSeen, Math.ceil(part.length / 777));
  assert.equal(streamed, Array.from(whole));
  ae.dispose();
});

test('early stopping on a stream, and an abort signal', async () => {
  const ae = new Autoencoder(options);
  const forever = async function* () {
    for (let i = 0; ; i = (i + 500) % rows.length) {
      await new Promise((r) => setImmediate(r));
      yield rows.slice(i, i + 500);
    }
  };
  const h = await ae.fit(forever(), { evaluateEvery: 2000, earlyStopping: { patience: 2, minDelta: 1 } });
  assert.is(h.stopReason, 'earlyStopping');
  assert.is(h.epochs, 3);
  assert.is(h.bestEpoch, 1);
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 300);
  const h2 = await ae.fit(forever(), { signal: ac.signal });
  assert.is(h2.stopReason, 'signal');
  // A source that goes quiet: maxMs ends the wait, the Stream is stopped, training is kept.
  const quiet = async function* () {
    for (const r of rows.slice(0, 3000)) yield r as unknown as Record<string, unknown>;
    await new Promise(() => undefined);
  };
  const stream = Stream.from(quiet(), { size: 500, ms: 20 });
  const t0 = Date.now();
  const h3 = await ae.fit(stream, { maxMs: 1500, warmupRows: 1000 });
  assert.is(h3.stopReason, 'maxMs');
  assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
  assert.ok(h3.rows > 2400 && h3.rows < 3000, String(h3.rows));
  assert.ok(Number.isFinite(ae.threshold));
  const stuck = async function* () {
    yield rows.slice(0, 3000);
    await new Promise(() => undefined);
  };
  const ac2 = new AbortController();
  setTimeout(() => ac2.abort(), 500);
  assert.is((await ae.fit(stuck(), { signal: ac2.signal, warmupRows: 1000 })).stopReason, 'signal');

  const empty = async function* (): AsyncGenerator<CarReading[]> {};
  await ae.fit(empty()).then(
    () => assert.unreachable('trained on nothing'),
    (err: Error) => assert.match(err.message, /The stream ended before any rows arrived; read from 'earliest'/),
  );
  ae.dispose();
  assert.ok(tf.memory().numTensors < 50, `tensors left: ${tf.memory().numTensors}`);
});

test('fit from a real topic stream on the embedded broker', async () => {
  const broker = await startBroker({ port: 0 });
  const kafka = await connect({ brokers: broker.bootstrap });
  try {
    await kafka.createTopic('car-sensors', { partitions: 1 });
    const t = kafka.topic('car-sensors');
    await t.produce(rows as never, { key: 'carId', timestamp: 'ts' });
    const ae = new Autoencoder(options);
    const h = await ae.fit(t.stream({ from: 'earliest', batch: { size: 2000, ms: 200 } }), { epochs: 3, batchSize: 256, maxRows: rows.length, maxMs: 60_000 });
    assert.is(h.stopReason, 'maxRows');
    assert.ok(h.rows > rows.length * 0.87 * 3 && h.rows < rows.length * 0.93 * 3, String(h.rows));
    const topicError = await heldOutError(ae);
    console.log(`held-out mean error from the topic stream: ${topicError.toFixed(4)} (frame ${frameError.toFixed(4)})`);
    assert.ok(topicError < frameError * 1.5, `topic ${topicError} vs frame ${frameError}`);
    ae.dispose();
  } finally {
    await kafka.close();
    await broker.stop();
  }
  frameModel.dispose();
});

test.run();
