/**
 * simulateCars() / simulateMotors(): a simulated fleet publishing readings to
 * `<prefix>/<deviceId>/<suffix>` over MQTT, or straight into a Kafka topic (keyed by device),
 * paced in real time (rate per device) or as fast as the broker takes them. The readings come
 * from the data sets' generators, so a seed gives the same data whichever way it is sent.
 */
import { Partitioners, type Producer } from 'kafkajs';
import type { MqttClient } from 'mqtt';
import { KafkalabError } from '../util/errors';
import { parseDuration } from '../util/duration';
import { defaultLogger, type Logger } from '../util/log';
import type { KafkaConnection } from '../kafka/connect';
import { generateCarReadings, type CarReadingsOptions } from './simulator';
import { generateMotorReadings, type MotorReadingsOptions } from './motors/generator';
import { sleep } from '../util/retry';

/** Where and how fast a simulated fleet publishes (the same for every data set). */
export interface PublishOptions {
  /** MQTT broker URL to publish to. */
  mqtt?: string;
  /** Write straight to Kafka instead: a connection from connect(), or true for connect()'s resolution (brokers, KAFKA_BROKERS, embedded). */
  kafka?: KafkaConnection | true;
  brokers?: string | string[];
  /** Kafka topic for kafka mode (default 'car-sensors' for cars, 'motors' for motors). */
  topic?: string;
  /** Readings per second per device (default 1). Infinity = as fast as the broker takes them. */
  rate?: number;
  /** MQTT QoS of the publications (default 1). */
  qos?: 0 | 1 | 2;
  /** MQTT topic prefix (default 'cars' → cars/<carId>/sensors; 'motors' → motors/<motor>/readings). */
  prefix?: string;
  /** Stop after this many messages in total. */
  count?: number;
  /** Stop after this much (simulated) time: '10m', or ms. */
  duration?: string | number;
  /** MQTT connections the fleet shares (default min(cars, 8)). */
  connections?: number;
  /** QoS 1/2 publications awaiting their PUBACK per connection before publishing pauses (default 2000). */
  window?: number;
  logger?: Logger;
}

export interface SimulateOptions extends Omit<CarReadingsOptions, 'intervalMs' | 'durationMs'>, PublishOptions {}
export interface SimulateMotorsOptions extends Omit<MotorReadingsOptions, 'intervalMs' | 'durationMs'>, PublishOptions {}

export interface SimulationResult {
  /** Messages handed to the broker. */
  published: number;
  /** Messages the broker acknowledged (QoS ≥ 1, or every Kafka message). */
  acknowledged: number;
  failed: number;
  /** Readings labelled anomalous (cars) or faulty (motors). */
  anomalies: number;
  /** Fleet size (for motors: the number of motors). */
  cars: number;
  elapsedMs: number;
  /** published / elapsed seconds. */
  messagesPerSecond: number;
}

/** A running simulation: await it for the result, or stop it early. */
export interface Simulation<R extends SimulationResult = SimulationResult> extends Promise<R> {
  stats(): R;
  /** Stops publishing, waits for outstanding acknowledgements, resolves with the result. */
  stop(): Promise<R>;
}

export interface MotorSimulationResult extends SimulationResult {
  motors: number;
}

/** A reading on its way out: the key (device id) it goes under, its time, its JSON, its label. */
interface Outgoing {
  key: string;
  ts: number;
  json: string;
  anomalous: boolean;
}

/** What differs between data sets when publishing them. */
interface FleetSpec {
  defaultTopic: string;
  defaultPrefix: string;
  /** Last MQTT topic level: `<prefix>/<id>/<suffix>`. */
  suffix: string;
}


export function simulateCars(options: SimulateOptions): Simulation {
  const cars = options.cars ?? 10;
  const timing = pacing(options);
  const readings = generateCarReadings({
    ...options,
    cars,
    intervalMs: timing.intervalMs,
    start: options.start ?? (timing.realtime ? Date.now() : undefined),
    readingsPerCar: options.readingsPerCar ?? timing.readingsPerDevice,
  });
  const outgoing = mapIterable(readings, (r) => ({ key: r.carId, ts: r.ts, json: JSON.stringify(r), anomalous: r.anomaly === 1 }));
  return publishFleet(outgoing, { defaultTopic: 'car-sensors', defaultPrefix: 'cars', suffix: 'sensors' }, options, cars, timing.realtime, {});
}

/** The motor fleet (see generateMotorReadings) to MQTT (`motors/<motor>/readings`) or Kafka (topic `motors`, keyed by motor). */
export function simulateMotors(options: SimulateMotorsOptions): Simulation<MotorSimulationResult> {
  const motors = options.motors ?? 20;
  const timing = pacing(options);
  const readings = generateMotorReadings({
    ...options,
    motors,
    intervalMs: timing.intervalMs,
    start: options.start ?? (timing.realtime ? Date.now() : undefined),
    readingsPerMotor: options.readingsPerMotor ?? timing.readingsPerDevice,
  });
  const outgoing = mapIterable(readings, (r) => ({ key: r.motor, ts: r.ts, json: JSON.stringify(r), anomalous: r.fault === 1 }));
  return publishFleet(outgoing, { defaultTopic: 'motors', defaultPrefix: 'motors', suffix: 'readings' }, options, motors, timing.realtime, { motors });
}

function pacing(options: PublishOptions): { realtime: boolean; intervalMs: number; readingsPerDevice: number } {
  const rate = options.rate ?? 1;
  if (!(rate > 0)) throw new KafkalabError(`rate must be positive, got ${rate}`, { code: 'BAD_OPTION' });
  if (!options.mqtt && !options.kafka) throw new KafkalabError('a simulation needs a destination', { code: 'BAD_OPTION', hint: "pass mqtt: 'mqtt://localhost:1883' or kafka: true" });
  const realtime = Number.isFinite(rate);
  const intervalMs = realtime ? 1000 / rate : 1000;
  const durationMs = options.duration === undefined ? undefined : parseDuration(options.duration, 'duration');
  return { realtime, intervalMs, readingsPerDevice: durationMs !== undefined ? Math.floor(durationMs / intervalMs) : Infinity };
}

function* mapIterable<T, U>(it: Iterable<T>, f: (x: T) => U): Generator<U> {
  for (const x of it) yield f(x);
}

function publishFleet<X extends object>(readings: Iterable<Outgoing>, fleet: FleetSpec, options: PublishOptions, devices: number, realtime: boolean, extra: X): Simulation<SimulationResult & X> {
  const logger = options.logger ?? defaultLogger('simulate');
  const limit = options.count ?? Infinity;
  const stats: SimulationResult = { published: 0, acknowledged: 0, failed: 0, anomalies: 0, cars: devices, elapsedMs: 0, messagesPerSecond: 0 };
  const t0 = Date.now();
  let stopRequested = false;
  const snapshot = (): SimulationResult & X => {
    const elapsedMs = Date.now() - t0;
    return { ...stats, elapsedMs, messagesPerSecond: elapsedMs > 0 ? Math.round((stats.published / elapsedMs) * 1000) : 0, ...extra };
  };

  const run = async (): Promise<SimulationResult & X> => {
    const sink = options.kafka ? await kafkaSink(options, fleet, logger) : await mqttSink(options, fleet, devices, logger);
    try {
      // Real time: readings are stamped from now on, and each goes out when the clock reaches its timestamp.
      let batch: Outgoing[] = [];
      for (const r of readings) {
        if (stopRequested || stats.published + batch.length >= limit) break;
        if (realtime) {
          const wait = r.ts - Date.now();
          if (wait > 0) {
            if (batch.length) {
              await sink.send(batch, stats);
              batch = [];
            }
            await sleep(wait);
          }
        }
        batch.push(r);
        if (r.anomalous) stats.anomalies++;
        if (batch.length >= 500) {
          await sink.send(batch, stats);
          batch = [];
        }
      }
      if (batch.length) await sink.send(batch, stats);
      await sink.flush(stats);
    } finally {
      await sink.close();
    }
    return snapshot();
  };

  const promise = run();
  return Object.assign(promise, {
    stats: snapshot,
    stop: () => {
      stopRequested = true;
      return promise;
    },
  });
}

interface Sink {
  send(batch: Outgoing[], stats: SimulationResult): Promise<void>;
  flush(stats: SimulationResult): Promise<void>;
  close(): Promise<void>;
}

async function mqttSink(options: PublishOptions, fleet: FleetSpec, devices: number, logger: Logger): Promise<Sink> {
  const mqtt = require('mqtt') as typeof import('mqtt');
  const n = Math.max(1, Math.min(options.connections ?? Math.min(devices, 8), devices));
  const qos = options.qos ?? 1;
  const prefix = options.prefix ?? fleet.defaultPrefix;
  const windowSize = options.window ?? 2000;
  const clients: MqttClient[] = [];
  try {
    for (let i = 0; i < n; i++) {
      clients.push(await mqtt.connectAsync(options.mqtt!, { clientId: `kafkalab-sim-${process.pid}-${Date.now().toString(36)}-${i}`, reconnectPeriod: 1000, connectTimeout: 5000 }));
    }
  } catch (err) {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    throw new KafkalabError(`Cannot reach the MQTT broker at ${options.mqtt} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, {
      code: 'MQTT_UNREACHABLE',
      retriable: true,
      hint: 'start Mosquitto or an embedded broker (startMqttBroker), or pass another --mqtt URL',
      cause: err,
    });
  }
  const outstanding = new Array<number>(n).fill(0);
  const waiters: (() => void)[] = [];
  const release = () => waiters.splice(0).forEach((w) => w());
  let deviceIndex = new Map<string, number>();
  const clientFor = (key: string) => {
    let i = deviceIndex.get(key);
    if (i === undefined) deviceIndex.set(key, (i = deviceIndex.size % n));
    return i;
  };
  return {
    async send(batch, stats) {
      for (const r of batch) {
        const i = clientFor(r.key);
        while (qos > 0 && outstanding[i] >= windowSize) await new Promise<void>((w) => waiters.push(w));
        stats.published++;
        if (qos === 0) {
          clients[i].publish(`${prefix}/${r.key}/${fleet.suffix}`, r.json, { qos });
          continue;
        }
        outstanding[i]++;
        clients[i].publish(`${prefix}/${r.key}/${fleet.suffix}`, r.json, { qos }, (err) => {
          outstanding[i]--;
          if (err) {
            stats.failed++;
            logger.warn('publish failed', { error: err.message });
          } else stats.acknowledged++;
          release();
        });
      }
    },
    async flush() {
      while (outstanding.some((o) => o > 0)) await new Promise<void>((w) => waiters.push(w));
    },
    async close() {
      deviceIndex = new Map();
      await Promise.all(clients.map((c) => c.endAsync()));
    },
  };
}

async function kafkaSink(options: PublishOptions, fleet: FleetSpec, logger: Logger): Promise<Sink> {
  let conn: KafkaConnection;
  let own = false;
  if (options.kafka === true || options.kafka === undefined) {
    const { connect } = require('../kafka/connect') as typeof import('../kafka/connect');
    conn = await connect({ brokers: options.brokers, clientId: 'kafkalab-simulate', logger: logger.child('kafka') });
    own = true;
  } else conn = options.kafka;
  const topic = options.topic ?? fleet.defaultTopic;
  const producer: Producer = conn.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
  await producer.connect();
  return {
    async send(batch, stats) {
      stats.published += batch.length;
      try {
        await producer.send({ topic, acks: -1, messages: batch.map((r) => ({ key: r.key, value: r.json, timestamp: String(r.ts) })) });
        stats.acknowledged += batch.length;
      } catch (err) {
        stats.failed += batch.length;
        logger.warn('produce failed', { error: (err as Error).message });
      }
    },
    async flush() {},
    async close() {
      await producer.disconnect();
      if (own) await conn.close();
    },
  };
}
