// Swap latency of an exported app following MODEL_TOPIC: from the start of `ae.publish()` to the
// first result scored by the new version arriving at a consumer of the output topic, for 10
// versions published while car readings stream in at a steady rate. Beside it, in the same run,
// the end-to-end latency of ordinary records (input timestamp to its result's arrival), which a
// swap cannot beat: the new version scores the batches that start after it is loaded.
// Usage: node dist/bench/model-swap.js [rows per second, default 5000] [swaps, default 10]
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker } from '../sdk/broker';
import { connect } from '../sdk/kafka/connect';
import { installAndBuild, startAppProcess } from '../sdk/export/process';
import { Autoencoder, carReadings, CAR_FEATURES, generateCarReadings } from '../sdk';

const RATE = Number(process.argv[2] ?? 5_000);
const SWAPS = Number(process.argv[3] ?? 10);
const TICK_MS = 50;

const load = () => os.loadavg().map((x) => x.toFixed(1)).join(' ');
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function main(): Promise<void> {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'kafkalab-swap-bench-'));
  const broker = await startBroker({ port: 0, partitions: 4 });
  const conn = await connect({ brokers: broker.bootstrap });
  const kafka = new Kafka({ clientId: 'swap-bench', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: 'swap-bench-reader', maxWaitTimeInMs: 50 });
  let app: Awaited<ReturnType<typeof startAppProcess>> | undefined;
  try {
    const training = carReadings({ cars: 20, readingsPerCar: 1500, anomalyRate: 0, seed: 3 }) as unknown as Record<string, unknown>[];
    const models: Autoencoder[] = [];
    for (let i = 0; i <= SWAPS; i++) {
      const ae = new Autoencoder({ features: [...CAR_FEATURES], key: 'carId', seed: 10 + i });
      await ae.fit(training, { epochs: 1 });
      models.push(ae);
    }
    const dir = path.join(tmp, 'scorer');
    await models[0].export(dir, { input: 'readings', output: 'scores', batchMs: 10 });
    await installAndBuild(dir);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'readings', numPartitions: 4 }, { topic: 'scores', numPartitions: 4 }], waitForLeaders: true });
    await admin.disconnect();
    app = await startAppProcess(dir, { KAFKA_BROKERS: broker.bootstrap, MODEL_TOPIC: 'models', AUTO_OFFSET_RESET: 'latest', LOG_LEVEL: 'info' });
    await app.ready(60_000);

    // Results: arrival time per version (first seen) and record latencies.
    const firstSeen = new Map<string, number>();
    const recordLatency: number[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: ['scores'], fromBeginning: false });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        const now = Date.now();
        for (const m of batch.messages) {
          const v = /"model_version":"([^"]+)"/.exec(m.value!.toString())?.[1];
          if (v && !firstSeen.has(v)) firstSeen.set(v, now);
          if (recordLatency.length < 200_000) recordLatency.push(now - Number(m.timestamp));
        }
      },
    });

    await producer.connect();
    const stream = generateCarReadings({ cars: 50, readingsPerCar: Infinity, anomalyRate: 0.01, seed: 4 })[Symbol.iterator]();
    let producing = true;
    const perTick = Math.max(1, Math.round((RATE * TICK_MS) / 1000));
    const pump = (async () => {
      while (producing) {
        const t = Date.now();
        const messages = Array.from({ length: perTick }, () => {
          const r = stream.next().value as { carId: string };
          return { key: r.carId, value: JSON.stringify(r), timestamp: String(Date.now()) };
        });
        await producer.send({ topic: 'readings', messages });
        await new Promise((r) => setTimeout(r, Math.max(0, TICK_MS - (Date.now() - t))));
      }
    })();
    await new Promise((r) => setTimeout(r, 3000)); // steady state

    const swaps: number[] = [];
    for (let i = 1; i <= SWAPS; i++) {
      const version = `v${i}`;
      const t0 = Date.now();
      await models[i].publish(conn, 'models', { version });
      const deadline = Date.now() + 30_000;
      while (!firstSeen.has(version) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      if (!firstSeen.has(version)) throw new Error(`no result of ${version} within 30 s`);
      swaps.push(firstSeen.get(version)! - t0);
      await new Promise((r) => setTimeout(r, 1000));
    }
    producing = false;
    await pump;
    const steady = recordLatency.slice(Math.floor(recordLatency.length / 10));
    console.log(`${SWAPS} swaps while ${RATE.toLocaleString('en-US')} car readings/s stream into 4 partitions (1 app instance, embedded broker in this process) [load ${load()}]`);
    console.log(`swap latency (publish() called -> first result of the new version read back): median ${pct(swaps, 50)} ms, max ${Math.max(...swaps)} ms; each: ${swaps.join(', ')} ms`);
    console.log(`same run, record latency (produce -> result read back): median ${pct(steady, 50)} ms, p99 ${pct(steady, 99)} ms over ${steady.length.toLocaleString('en-US')} results`);
    for (const m of models) m.dispose();
  } finally {
    app?.kill('SIGTERM');
    await app?.exited;
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await conn.close();
    await broker.stop();
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
