/**
 * `kafkalab simulate`: a simulated fleet (connected cars, or industrial motors with
 * `--dataset motors`), to MQTT, to Kafka, or to a file.
 * Progress goes to stderr; the final counts go to stdout as one JSON line.
 */
import type { Command } from './main';
import { parseFlags, type Flags } from './args';
import { onStopSignal } from './signals';
import { consoleLogger, type Logger, type LogLevel } from '../util/log';
import { KafkalabError } from '../util/errors';
import { parseDuration } from '../util/duration';
import type { Simulation, SimulationResult } from '../ingest/simulate';
import { ANOMALY_TYPES, generateCarReadings, type AnomalyType } from '../ingest/simulator';
import { MOTOR_FAULT_TYPES, generateMotorReadings, type MotorFaultType } from '../ingest/motors/generator';

const spec = {
  dataset: { type: 'string', default: 'cars' },
  mqtt: { type: 'string' },
  kafka: { type: 'boolean', default: false },
  brokers: { type: 'string' },
  topic: { type: 'string' },
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
  anomalyRate: { type: 'number' },
  anomalyTypes: { type: 'string' },
  motors: { type: 'number', default: 20 },
  firstMotor: { type: 'number', default: 1 },
  faultRate: { type: 'number' },
  faultTypes: { type: 'string' },
  qos: { type: 'number', default: 1 },
  prefix: { type: 'string' },
  connections: { type: 'number' },
  firstCar: { type: 'number', default: 1 },
  logLevel: { type: 'string', default: 'warn' },
} as const;

export const command: Command = {
  summary: 'simulate connected cars or industrial motors publishing sensor readings (MQTT, Kafka or a file)',
  usage: `Usage: kafkalab simulate [--dataset cars|motors] (--mqtt URL | --kafka | --out FILE) [options]

Data set:
  --dataset NAME         cars (default): connected cars, flat JSON, labels anomaly/anomaly_type;
                         motors: industrial motors, nested JSON (temp.*, vib.*), labels fault/fault_type

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

Motors (--dataset motors):
  --motors N             number of motors (default 20)
  --fault-rate R         approximate fraction of faulty readings (default 0.02)
  --fault-types LIST     comma-separated subset of ${MOTOR_FAULT_TYPES.join(', ')}
  --first-motor N        number of the first motor (default 1)

Timing:
  --rate R               readings per second per car, paced in real time (default 1);
                         'inf' sends as fast as the broker acknowledges
  --duration D           stop after D (e.g. 10m); with --out, the simulated span
  --count N              stop after N messages in total
  --readings N           readings per car (with --out: default 1000)
  --interval D           with --out: time between a device's readings (default 1s for cars, 10s for motors)
  --start TIME           with --out: ISO time of the first reading (default 2026-11-20T00:00:00Z)

MQTT and Kafka:
  --qos 0|1|2            MQTT QoS (default 1)
  --prefix P             MQTT topic prefix (default cars, or motors: motors/<motor>/readings)
  --connections N        MQTT connections shared by the fleet (default min(cars, 8))
  --brokers LIST         Kafka bootstrap servers for --kafka
  --topic T              Kafka topic for --kafka (default car-sensors, or motors)
  --log-level LEVEL      stderr logging: debug, info, warn, error (default warn)

Examples:
  kafkalab simulate --mqtt mqtt://localhost:1883 --cars 100 --rate 10 --anomaly-rate 0.01 --seed 1
  kafkalab simulate --kafka --cars 20 --rate inf --count 100000
  kafkalab simulate --out datasets/car-sensors-sample.csv --cars 20 --readings 1000 --seed 1
  kafkalab simulate --dataset motors --kafka --rate inf --count 100000
  kafkalab simulate --dataset motors --out motors.jsonl --motors 20 --duration 6h --seed 1`,
  async run(argv) {
    const f = parseFlags(argv, spec, 'simulate');
    checkDestination(f);
    const level = (['debug', 'info', 'warn', 'error'].includes(f.logLevel) ? f.logLevel : 'warn') as LogLevel;
    const logger = consoleLogger({ level, namespace: 'simulate' });
    if (f.dataset !== 'cars' && f.dataset !== 'motors') throw new KafkalabError(`unknown data set "${f.dataset}"`, { code: 'BAD_OPTION', hint: 'use --dataset cars or --dataset motors' });
    if (f.dataset === 'motors') return runMotors(f, logger);
    if (f.faultRate !== undefined || f.faultTypes !== undefined) throw new KafkalabError('--fault-rate and --fault-types are for --dataset motors', { code: 'BAD_OPTION', hint: 'cars take --anomaly-rate and --anomaly-types' });
    const anomalyTypes = f.anomalyTypes?.split(',').map((t) => t.trim()).filter(Boolean) as AnomalyType[] | undefined;
    const common = { cars: f.cars, seed: f.seed, anomalyRate: f.anomalyRate ?? 0.01, anomalyTypes, firstCar: f.firstCar };

    if (f.out !== undefined) {
      const { writeCarReadings } = require('../ingest/dataset-file') as typeof import('../ingest/dataset-file');
      const intervalMs = f.interval !== undefined ? parseDuration(f.interval, 'interval') : 1000;
      const durationMs = f.duration !== undefined ? parseDuration(f.duration) : undefined;
      let readings = generateCarReadings({ ...common, intervalMs, durationMs, readingsPerCar: f.readings, start: f.start });
      if (f.count !== undefined) readings = take(readings, f.count);
      const t0 = Date.now();
      let anomalies = 0;
      const n = await writeCarReadings(f.out, countAnomalies(readings, (r) => r.anomaly === 1, () => anomalies++), f.format as 'jsonl' | 'csv' | undefined);
      process.stdout.write(JSON.stringify({ file: f.out, readings: n, anomalies, cars: f.cars, elapsedMs: Date.now() - t0 }) + '\n');
      return 0;
    }

    const { simulateCars } = require('../ingest/simulate') as typeof import('../ingest/simulate');
    const sim = simulateCars({ ...common, ...publishOptions(f, logger), readingsPerCar: f.readings });
    return runLive(sim);
  },
};

type SimulateFlags = Flags<typeof spec>;

function checkDestination(f: SimulateFlags): void {
  const destinations = [f.mqtt !== undefined, f.kafka, f.out !== undefined].filter(Boolean).length;
  if (destinations !== 1) throw new KafkalabError('simulate needs exactly one of --mqtt URL, --kafka or --out FILE', { code: 'BAD_OPTION', hint: 'see `kafkalab simulate --help`' });
}

function publishOptions(f: SimulateFlags, logger: Logger) {
  if (![0, 1, 2].includes(f.qos)) throw new KafkalabError(`--qos must be 0, 1 or 2, got ${f.qos}`, { code: 'BAD_OPTION' });
  return {
    mqtt: f.mqtt,
    kafka: f.kafka || undefined,
    brokers: f.brokers,
    topic: f.topic,
    rate: f.rate,
    qos: f.qos as 0 | 1 | 2,
    prefix: f.prefix,
    count: f.count,
    duration: f.duration,
    connections: f.connections,
    logger,
  } as const;
}

async function runMotors(f: SimulateFlags, logger: Logger): Promise<number> {
  if (f.anomalyRate !== undefined || f.anomalyTypes !== undefined) throw new KafkalabError('--anomaly-rate and --anomaly-types are for the car data set', { code: 'BAD_OPTION', hint: 'motors take --fault-rate and --fault-types' });
  const faultTypes = f.faultTypes?.split(',').map((t) => t.trim()).filter(Boolean) as MotorFaultType[] | undefined;
  const common = { motors: f.motors, seed: f.seed, faultRate: f.faultRate ?? 0.02, faultTypes, firstMotor: f.firstMotor };
  if (f.out !== undefined) {
    const { writeMotorReadings } = require('../ingest/dataset-file') as typeof import('../ingest/dataset-file');
    const intervalMs = f.interval !== undefined ? parseDuration(f.interval, 'interval') : 10_000;
    const durationMs = f.duration !== undefined ? parseDuration(f.duration) : undefined;
    let readings = generateMotorReadings({ ...common, intervalMs, durationMs, readingsPerMotor: f.readings, start: f.start });
    if (f.count !== undefined) readings = take(readings, f.count);
    const t0 = Date.now();
    let faults = 0;
    const n = await writeMotorReadings(f.out, countAnomalies(readings, (r) => r.fault === 1, () => faults++), f.format as 'jsonl' | 'csv' | undefined);
    process.stdout.write(JSON.stringify({ file: f.out, readings: n, faults, motors: f.motors, elapsedMs: Date.now() - t0 }) + '\n');
    return 0;
  }
  const { simulateMotors } = require('../ingest/simulate') as typeof import('../ingest/simulate');
  return runLive(simulateMotors({ ...common, ...publishOptions(f, logger), readingsPerMotor: f.readings }));
}

async function runLive(sim: Simulation<SimulationResult>): Promise<number> {
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
}

function* take<T>(it: Iterable<T>, n: number): Generator<T> {
  if (n <= 0) return;
  let i = 0;
  for (const x of it) {
    yield x;
    if (++i >= n) return;
  }
}

function* countAnomalies<T>(it: Iterable<T>, isAnomaly: (x: T) => boolean, onAnomaly: () => void): Generator<T> {
  for (const x of it) {
    if (isAnomaly(x)) onAnomaly();
    yield x;
  }
}
