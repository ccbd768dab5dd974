/**
 * `kafkalab simulate`: the connected-car fleet, to MQTT, to Kafka, or to a file.
 * Progress goes to stderr; the final counts go to stdout as one JSON line.
 */
import type { Command } from './main';
import { parseFlags } from './args';
import { onStopSignal } from './signals';
import { consoleLogger, type LogLevel } from '../util/log';
import { KafkalabError } from '../util/errors';
import { parseDuration } from '../util/duration';
import { ANOMALY_TYPES, generateCarReadings, type AnomalyType } from '../ingest/simulator';

const spec = {
  mqtt: { type: 'string' },
  kafka: { type: 'boolean', default: false },
  brokers: { type: 'string' },
  topic: { type: 'string', default: 'car-sensors' },
  out: { type: 'string' },
  format: { type: 'string' },
  cars: { type: 'number', default: 10 },
  rate: { type: 'number', default: 1 },
  readings: { type: 'number' },
  interval: { type: 'string' },
  duration: { type: 'string' },
  count: { type: 'number' },
  start: { type: 'string' },
  seed: { type: 'number', default: 1 },
  anomalyRate: { type: 'number', default: 0.01 },
  anomalyTypes: { type: 'string' },
  qos: { type: 'number', default: 1 },
  prefix: { type: 'string', default: 'cars' },
  connections: { type: 'number' },
  firstCar: { type: 'number', default: 1 },
  logLevel: { type: 'string', default: 'warn' },
} as const;

export const command: Command = {
  summary: 'simulate connected cars publishing sensor readings (MQTT, Kafka or a file)',
  usage: `Usage: kafkalab simulate (--mqtt URL | --kafka | --out FILE) [options]

Destinations (one):
  --mqtt URL             publish to <prefix>/<carId>/sensors on this MQTT broker
  --kafka                produce to a Kafka topic (--brokers, else KAFKA_BROKERS, else the embedded broker)
  --out FILE             write a data set file: .jsonl (JSON lines) or .csv

Fleet and data:
  --cars N               number of cars (default 10)
  --seed N               PRNG seed; the same seed and options give the same readings (default 1)
  --anomaly-rate R       approximate fraction of anomalous readings (default 0.01)
  --anomaly-types LIST   comma-separated subset of ${ANOMALY_TYPES.join(', ')}
  --first-car N          number of the first car (default 1), for disjoint fleets

Timing:
  --rate R               readings per second per car, paced in real time (default 1);
                         'inf' sends as fast as the broker acknowledges
  --duration D           stop after D (e.g. 10m); with --out, the simulated span
  --count N              stop after N messages in total
  --readings N           readings per car (with --out: default 1000)
  --interval D           with --out: time between a car's readings (default 1s)
  --start TIME           with --out: ISO time of the first reading (default 2026-11-20T00:00:00Z)

MQTT and Kafka:
  --qos 0|1|2            MQTT QoS (default 1)
  --prefix P             MQTT topic prefix (default cars)
  --connections N        MQTT connections shared by the fleet (default min(cars, 8))
  --brokers LIST         Kafka bootstrap servers for --kafka
  --topic T              Kafka topic for --kafka (default car-sensors)
  --log-level LEVEL      stderr logging: debug, info, warn, error (default warn)

Examples:
  kafkalab simulate --mqtt mqtt://localhost:1883 --cars 100 --rate 10 --anomaly-rate 0.01 --seed 1
  kafkalab simulate --kafka --cars 20 --rate inf --count 100000
  kafkalab simulate --out datasets/car-sensors-sample.csv --cars 20 --readings 1000 --seed 1`,
  async run(argv) {
    const f = parseFlags(argv, spec, 'simulate');
    const destinations = [f.mqtt !== undefined, f.kafka, f.out !== undefined].filter(Boolean).length;
    if (destinations !== 1) throw new KafkalabError('simulate needs exactly one of --mqtt URL, --kafka or --out FILE', { code: 'BAD_OPTION', hint: 'see `kafkalab simulate --help`' });
    const anomalyTypes = f.anomalyTypes?.split(',').map((t) => t.trim()).filter(Boolean) as AnomalyType[] | undefined;
    const level = (['debug', 'info', 'warn', 'error'].includes(f.logLevel) ? f.logLevel : 'warn') as LogLevel;
    const logger = consoleLogger({ level, namespace: 'simulate' });
    const common = { cars: f.cars, seed: f.seed, anomalyRate: f.anomalyRate, anomalyTypes, firstCar: f.firstCar };

    if (f.out !== undefined) {
      const { writeCarReadings } = require('../ingest/dataset-file') as typeof import('../ingest/dataset-file');
      const intervalMs = f.interval !== undefined ? parseDuration(f.interval, 'interval') : 1000;
      const durationMs = f.duration !== undefined ? parseDuration(f.duration) : undefined;
      let readings = generateCarReadings({ ...common, intervalMs, durationMs, readingsPerCar: f.readings, start: f.start });
      if (f.count !== undefined) readings = take(readings, f.count);
      const t0 = Date.now();
      let anomalies = 0;
      const n = await writeCarReadings(f.out, countAnomalies(readings, () => anomalies++), f.format as 'jsonl' | 'csv' | undefined);
      process.stdout.write(JSON.stringify({ file: f.out, readings: n, anomalies, cars: f.cars, elapsedMs: Date.now() - t0 }) + '\n');
      return 0;
    }

    const { simulateCars } = require('../ingest/simulate') as typeof import('../ingest/simulate');
    if (![0, 1, 2].includes(f.qos)) throw new KafkalabError(`--qos must be 0, 1 or 2, got ${f.qos}`, { code: 'BAD_OPTION' });
    const sim = simulateCars({
      ...common,
      mqtt: f.mqtt,
      kafka: f.kafka || undefined,
      brokers: f.brokers,
      topic: f.topic,
      rate: f.rate,
      qos: f.qos as 0 | 1 | 2,
      prefix: f.prefix,
      count: f.count,
      duration: f.duration,
      readingsPerCar: f.readings,
      connections: f.connections,
      logger,
    });
    const offStopSignal = onStopSignal(() => void sim.stop());
    const progress = setInterval(() => {
      const s = sim.stats();
      process.stderr.write(`simulate: ${s.published} published, ${s.acknowledged} acknowledged, ${s.messagesPerSecond} msg/s\n`);
    }, 5000);
    progress.unref();
    try {
      const result = await sim;
      process.stdout.write(JSON.stringify(result) + '\n');
      return result.failed > 0 ? 1 : 0;
    } finally {
      clearInterval(progress);
      offStopSignal();
    }
  },
};

function* take<T>(it: Iterable<T>, n: number): Generator<T> {
  if (n <= 0) return;
  let i = 0;
  for (const x of it) {
    yield x;
    if (++i >= n) return;
  }
}

function* countAnomalies<T extends { anomaly: number }>(it: Iterable<T>, onAnomaly: () => void): Generator<T> {
  for (const x of it) {
    if (x.anomaly) onAnomaly();
    yield x;
  }
}
