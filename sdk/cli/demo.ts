/**
 * `kafkalab demo`: the whole pipeline from a terminal, on the embedded brokers (or on the
 * cluster in KAFKA_BROKERS): cars over MQTT into Kafka, a topic read as a DataFrame, an
 * autoencoder trained and evaluated, a scoring app exported, built and run against the topic.
 */
import * as path from 'path';
import type { Command } from './main';
import { parseFlags } from './args';
import { fmt, progress, summaryTable } from './progress';
import { KafkalabError } from '../util/errors';
import { sleep } from '../util/retry';

const flags = {
  cars: { type: 'number', default: 40 },
  readings: { type: 'number', default: 1500 },
  seed: { type: 'number', default: 1 },
  epochs: { type: 'number', default: 10 },
  out: { type: 'string', default: 'apps/car-scorer' },
  mqtt: { type: 'string' },
  brokers: { type: 'string' },
  app: { type: 'boolean', default: true },
} as const;

export const command: Command = {
  summary: 'run the whole pipeline (MQTT → Kafka → DataFrame → autoencoder → exported app) on the embedded brokers',
  usage: `Usage: kafkalab demo [options]

  Simulates a fleet of cars publishing sensor readings over MQTT, bridges them into the Kafka
  topic car-sensors, reads the topic into a DataFrame, trains an autoencoder on the healthy
  cars, evaluates it on cars with injected anomalies, exports a standalone scoring app, builds
  it, and runs it against the topic until every record is scored into car-anomalies.
  The demo's topics (car-sensors, car-sensors.dlq, car-anomalies, car-anomalies-dlq) are
  recreated on every run.

Options:
  --cars N         cars in the fleet (default 40; three quarters healthy, one quarter with anomalies)
  --readings N     readings per car (default 1500)
  --seed N         simulator and model seed (default 1)
  --epochs N       training epochs (default 10)
  --out DIR        where the scoring app is exported (default apps/car-scorer)
  --mqtt URL       an MQTT broker to use instead of the embedded one
  --brokers LIST   Kafka bootstrap servers (default: KAFKA_BROKERS, else the embedded broker)
  --no-app         export the app but do not install, build and run it`,

  async run(argv) {
    const opts = parseFlags(argv, flags, 'demo');
    if (!(opts.cars >= 4)) throw new KafkalabError('--cars must be at least 4', { code: 'BAD_OPTION' });
    // Loaded here, not at the top: `kafkalab --help` should not pay for TensorFlow.js and danfo.
    const sdk = require('../index') as typeof import('../index');
    const { installAndBuild, startAppProcess, metricValue } = require('../export/process') as typeof import('../export/process');
    const say = (line: string) => process.stderr.write(line + '\n');
    const t0 = Date.now();
    const healthyCars = Math.max(1, Math.floor(opts.cars * 0.75));
    const testCars = opts.cars - healthyCars;
    const stops: Array<() => Promise<unknown>> = [];
    const cleanup = async () => {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
    };
    process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

    try {
      // 1. Brokers.
      const kafka = await sdk.connect({ brokers: opts.brokers });
      stops.push(() => kafka.close());
      say(`kafka      ${kafka.embedded ? 'embedded broker' : 'cluster'} at ${kafka.bootstrap}`);
      let mqttUrl = opts.mqtt;
      if (!mqttUrl) {
        const mqtt = await sdk.startMqttBroker({ port: 0 });
        stops.push(() => mqtt.stop());
        mqttUrl = mqtt.url;
        say(`mqtt       embedded broker at ${mqttUrl}`);
      } else say(`mqtt       ${mqttUrl}`);

      const existing = new Set(await kafka.admin.listTopics());
      for (const t of ['car-sensors', 'car-sensors.dlq', 'car-anomalies', 'car-anomalies-dlq']) if (existing.has(t)) await kafka.deleteTopic(t);
      await kafka.createTopic('car-sensors', { partitions: 4 });
      await kafka.createTopic('car-anomalies', { partitions: 4 });

      // 2. Cars → MQTT → bridge → Kafka.
      const bridge = await sdk.ingestMqtt({ mqtt: mqttUrl, from: 'cars/+/sensors', to: 'car-sensors', key: 1, timestamp: 'ts', kafka });
      stops.push(() => bridge.stop());
      const total = opts.cars * opts.readings;
      const bar = progress('ingest MQTT → Kafka', total);
      const tick = setInterval(() => bar.update(bridge.stats().produced, `${fmt(bridge.stats().inFlight)} in flight`), 200);
      const common = { mqtt: mqttUrl, readingsPerCar: opts.readings, rate: Infinity, qos: 1 as const };
      const healthy = await sdk.simulateCars({ ...common, cars: healthyCars, seed: opts.seed, anomalyRate: 0 });
      const faulty = await sdk.simulateCars({ ...common, cars: testCars, firstCar: healthyCars + 1, seed: opts.seed + 1000, anomalyRate: 0.05 });
      const published = healthy.published + faulty.published;
      while (bridge.stats().produced + bridge.stats().deadLettered < published) await sleep(50);
      clearInterval(tick);
      const ingestSecs = (Date.now() - t0) / 1000;
      bar.done(`${fmt(bridge.stats().produced / ingestSecs)} msg/s`);

      // 3. The topic as a DataFrame.
      const readStart = Date.now();
      const df = await kafka.topic('car-sensors').read({ from: 'earliest', to: 'latest' });
      const rows = df.shape[0];
      say(`read       ${fmt(rows)} rows x ${df.shape[1]} columns from car-sensors in ${((Date.now() - readStart) / 1000).toFixed(2)}s`);
      // MQTT delivery interleaves cars differently on every run; car-then-time order makes the
      // model (seeded) the same for the same seed.
      const records = (sdk.recordsOf(df) as Array<Record<string, unknown>>).sort(
        (a, b) => String(a.carId).localeCompare(String(b.carId)) || Number(a.ts) - Number(b.ts),
      );
      const isHealthy = (r: Record<string, unknown>) => Number(String(r.carId).slice(4)) <= healthyCars;
      const train = records.filter(isHealthy);
      const test = records.filter((r) => !isHealthy(r));

      // 4. Train and evaluate.
      const ae = new sdk.Autoencoder({
        features: [...sdk.CAR_FEATURES],
        windows: ['speed', 'throttle_pos', 'intake_air_flow', 'engine_vibration_amplitude', 'accel_fl', 'accel_fr', 'accel_rl', 'accel_rr'].map((field) => ({ field, size: 10, stats: ['run'] })),
        layers: [21, 11, 21],
        activation: 'elu',
        seed: opts.seed,
      });
      const trainBar = progress('train autoencoder', opts.epochs);
      const history = await ae.fit(train, {
        epochs: opts.epochs,
        batchSize: 256,
        validationSplit: 0.1,
        threshold: { percentile: 99.9 },
        onEpoch: (p) => trainBar.update(p.epoch, `loss ${p.loss.toExponential(2)} val ${p.valLoss?.toExponential(2) ?? '-'} ${fmt(p.rowsPerSec)} rows/s`),
      });
      trainBar.done(`val loss ${history.valLoss.at(-1)?.toExponential(2)} (${sdk.backend()} backend)`);
      const ev = ae.evaluate(test);
      say(`evaluate   ${fmt(test.length)} rows of ${testCars} cars: F1 ${ev.f1.toFixed(3)}, precision ${ev.precision.toFixed(3)}, recall ${ev.recall.toFixed(3)}, ROC-AUC ${ev.auc.toFixed(3)}`);

      // 5. Export, build and run the scoring app against the topic.
      const outDir = path.resolve(opts.out);
      await ae.export(outDir, { input: 'car-sensors', output: 'car-anomalies', group: 'car-scorer-demo', force: true });
      say(`export     scoring app written to ${path.relative(process.cwd(), outDir) || outDir}`);
      let scored = NaN;
      let anomalies = NaN;
      if (opts.app) {
        const buildStart = Date.now();
        say('app        npm install && npm run build (from npm\'s cache) ...');
        await installAndBuild(outDir);
        say(`app        built in ${((Date.now() - buildStart) / 1000).toFixed(1)}s; starting it`);
        const app = await startAppProcess(outDir, { KAFKA_BROKERS: kafka.bootstrap, GROUP_ID: `car-scorer-demo-${Date.now()}` });
        stops.push(async () => {
          app.kill('SIGTERM');
          await app.exited;
        });
        await app.ready(120_000);
        const scoreBar = progress('score with the app', rows);
        for (;;) {
          const m = await app.metrics();
          // Outputs count once Kafka acknowledged them (the app runs in 'all' mode: one output per record).
          scored = metricValue(m, 'scorer_records_out_total') + metricValue(m, 'scorer_dlq_total');
          anomalies = metricValue(m, 'scorer_anomalies_total');
          if (scored >= rows) break;
          scoreBar.update(scored, `${fmt(anomalies)} anomalies`);
          await sleep(250);
        }
        scoreBar.done(`${fmt(anomalies)} anomalies`);
      }

      process.stdout.write(
        '\n' +
          summaryTable('kafkalab demo', [
            ['records ingested', `${fmt(bridge.stats().produced)} (MQTT → Kafka, ${fmt(bridge.stats().deadLettered)} dead-lettered)`],
            ['model trained', `${fmt(train.length)} rows of ${healthyCars} healthy cars, ${ae.options.features?.length} features + windows, layers ${JSON.stringify(ae.options.layers)}, ${history.loss.length} epochs`],
            ['threshold', `${ae.threshold.toPrecision(4)} (99.9th percentile of validation errors)`],
            ['F1', `${ev.f1.toFixed(3)} on ${fmt(test.length)} held-out rows (${testCars} cars, ${fmt(ev.confusion.tp + ev.confusion.fn)} labelled anomalies)`],
            ['exported app', path.relative(process.cwd(), outDir) || outDir],
            ['records scored', opts.app ? `${fmt(scored)} by the app, into car-anomalies` : 'skipped (--no-app)'],
            ['anomalies found', opts.app ? fmt(anomalies) : 'skipped (--no-app)'],
            ['took', `${((Date.now() - t0) / 1000).toFixed(1)}s`],
          ]) +
          '\n',
      );
      return 0;
    } finally {
      await cleanup();
    }
  },
};
