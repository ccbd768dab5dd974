/**
 * `npm run bench:ingest`: sustained MQTT → Kafka messages/s through Mosquitto (127.0.0.1:1883),
 * from 1,000 simulated cars, with zero loss (what arrives in Kafka is counted, by offsets).
 *
 *   node dist/bench/ingest.js [--messages 150000] [--cars 1000] [--publishers 2] [--seconds 5] [--target 50000] [--linger 5] [--connections 8] [--window 5000] [--mqtt URL]
 *
 * Same run, two measurements with the same publishers and broker:
 *   baseline  raw MQTT publish → subscribe through Mosquitto (subscribers that acknowledge at
 *             once and do nothing else, as many connections in one shared subscription as the
 *             bridge gets), publishers as fast as Mosquitto acknowledges: the ceiling any bridge
 *             on this machine can reach. Publishers faster than Mosquitto can forward make it
 *             drop messages (counted: "N of M received"); the rate is of what arrived.
 *   bridge    ingestMqtt → embedded Kafka broker (in its own process), QoS 1 acknowledged only
 *             after Kafka acknowledged. The cars publish at a paced total rate for --seconds;
 *             a rate passes when everything published is in Kafka (counted by offsets) and the
 *             bridge was keeping up (drained within 1 s of the last publication). Starting at
 *             --target, the rate is bisected between passing and failing steps (at most 4 runs);
 *             the figure is the bridge's measured rate at the highest passing step.
 * Why paced: Mosquitto holds at most max_queued_messages (default 1000) beyond a subscriber's
 * in-flight window, so a bridge slower than its publishers loses messages at the broker; the
 * sustained rate is the one at which that never happens. Publishers are child processes (the
 * cars are split between them) sending hand-encoded QoS 1 frames (mqtt-load.ts), so that the
 * load generator does not eat the CPU the measured components need.
 */
import { fork, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

function flag(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}

const MESSAGES = Number(flag('messages', '150000'));
const SECONDS = Number(flag('seconds', '5'));
const TARGET = Number(flag('target', '50000'));
const LINGER = Number(flag('linger', '5'));
const CONNECTIONS = Number(flag('connections', '8'));
// Per-connection window. The bench uses clean sessions, so a window above Mosquitto's 1000 is
// safe here (it only matters when a persistent session resumes; see README).
const WINDOW = Number(flag('window', '5000'));
const CARS = Number(flag('cars', '1000'));
const PUBLISHERS = Number(flag('publishers', '2'));
const MQTT = flag('mqtt', 'mqtt://127.0.0.1:1883');

type ChildMessage = { ready?: number; done?: { published: number; acknowledged: number; elapsedMs: number } };

function child(args: string[]): { proc: ChildProcess; next: () => Promise<ChildMessage> } {
  const proc = fork(__filename, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const queue: ChildMessage[] = [];
  const waiters: ((m: ChildMessage) => void)[] = [];
  proc.on('message', (m: ChildMessage) => (waiters.length ? waiters.shift()!(m) : queue.push(m)));
  proc.on('exit', (code) => {
    if (code) {
      process.stderr.write(`bench child ${args[0]} exited with ${code}\n`);
      process.exit(1);
    }
  });
  return { proc, next: () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise((r) => waiters.push(r))) };
}

/** Child: encodes its share of the fleet's readings, then on 'go' publishes them (paced, or as fast as Mosquitto acknowledges). */
async function publisher(prefix: string, firstCar: number, cars: number, count: number, ratePerCar: number): Promise<void> {
  const { prepareLoad } = await import('./mqtt-load');
  const load = prepareLoad({ url: MQTT, prefix, cars, firstCar, count, rate: ratePerCar * cars, connections: 4, window: 1000 });
  process.send!({ ready: 1 });
  await new Promise((r) => process.once('message', r));
  const result = await load.run();
  process.send!({ done: result });
  process.disconnect();
}

/** Child: the embedded Kafka broker, on its own core share like a real deployment. */
async function kafkaBroker(dataDir: string): Promise<void> {
  const { startBroker } = await import('../sdk/broker');
  const broker = await startBroker({ port: 0, dataDir });
  process.send!({ ready: broker.port });
  process.once('disconnect', () => void broker.stop().then(() => process.exit(0)));
}

/** Publishes `total` messages from the fleet; totalRate Infinity = as fast as acknowledged. */
async function publishAll(prefix: string, total: number, totalRate: number): Promise<{ published: number; acknowledged: number; elapsedMs: number }> {
  const per = Math.ceil(CARS / PUBLISHERS);
  const kids = [];
  let remaining = total;
  for (let i = 0; i < PUBLISHERS; i++) {
    const cars = Math.min(per, CARS - i * per);
    const count = i === PUBLISHERS - 1 ? remaining : Math.round((total * cars) / CARS);
    remaining -= count;
    kids.push(child(['publish', prefix, String(1 + i * per), String(cars), String(count), String(totalRate / CARS)]));
  }
  for (const k of kids) await k.next();
  for (const k of kids) k.proc.send('go');
  const results = await Promise.all(kids.map((k) => k.next()));
  return results.reduce(
    (a, r) => ({ published: a.published + r.done!.published, acknowledged: a.acknowledged + r.done!.acknowledged, elapsedMs: Math.max(a.elapsedMs, r.done!.elapsedMs) }),
    { published: 0, acknowledged: 0, elapsedMs: 0 },
  );
}

async function baseline(): Promise<number> {
  const { MqttSubscriber } = await import('../sdk/ingest/mqtt-subscriber');
  const { silentLogger } = await import('../sdk/util/log');
  const prefix = `bench-raw-${process.pid}-${Date.now().toString(36)}`;
  // As many connections in one shared subscription as the bridge gets: the same read capacity.
  const subs = Array.from({ length: CONNECTIONS }, (_, i) => {
    const filter = CONNECTIONS > 1 ? `$share/${prefix}/${prefix}/+/sensors` : `${prefix}/+/sensors`;
    return new MqttSubscriber({ url: MQTT, filters: [filter], clientId: `${prefix}-${i}`, receiveMaximum: WINDOW, sessionExpirySeconds: 0, logger: silentLogger });
  });
  let received = 0;
  let first = 0;
  let last = 0;
  for (const sub of subs) {
    sub.on('message', (m: { ack(): void }) => {
      if (received++ === 0) first = Date.now();
      last = Date.now();
      m.ack();
    });
  }
  await Promise.all(subs.map((sub) => sub.start()));
  const pub = await publishAll(prefix, MESSAGES, Infinity);
  const end = Date.now() + 30_000;
  let seen = -1;
  let change = Date.now();
  while (received < pub.acknowledged && Date.now() < end && Date.now() - change < 3000) {
    if (received !== seen) (seen = received), (change = Date.now());
    await new Promise((r) => setTimeout(r, 20));
  }
  await Promise.all(subs.map((sub) => sub.close()));
  const rate = Math.round((received / Math.max(1, last - first)) * 1000);
  console.log(`baseline  raw MQTT pub→sub via Mosquitto (${CONNECTIONS} subscriber connections), publishers unpaced: ${received} of ${pub.acknowledged} received, ${rate} msg/s (publishers ${Math.round((pub.published / pub.elapsedMs) * 1000)} msg/s)`);
  return rate;
}

async function bridgeRun(port: number, totalRate: number): Promise<{ rate: number; lost: number; keptUp: boolean }> {
  const { ingestMqtt } = await import('../sdk/ingest/bridge');
  const { connect } = await import('../sdk/kafka/connect');
  const prefix = `bench-bridge-${process.pid}-${Date.now().toString(36)}`;
  const kafka = await connect({ brokers: `127.0.0.1:${port}` });
  const topic = `car-sensors-bench-${Math.round(totalRate)}`;
  const bridge = await ingestMqtt({ mqtt: MQTT, from: `${prefix}/+/sensors`, to: topic, key: 1, timestamp: 'ts', kafka, sessionExpiry: 0, clientId: prefix, partitions: 4, lingerMs: LINGER, connections: CONNECTIONS, maxInFlight: WINDOW });
  let first = 0;
  const poll = setInterval(() => {
    if (!first && bridge.stats().received > 0) first = Date.now();
  }, 1);
  const cpu0 = process.cpuUsage();
  const total = Math.round(totalRate * SECONDS);
  const pub = await publishAll(prefix, total, totalRate);
  const published = Date.now();
  const end = published + 30_000;
  let lastProduced = -1;
  let lastChange = Date.now();
  while (bridge.stats().produced < pub.acknowledged && Date.now() < end && Date.now() - lastChange < 3000) {
    if (bridge.stats().produced !== lastProduced) (lastProduced = bridge.stats().produced), (lastChange = Date.now());
    await new Promise((r) => setTimeout(r, 5));
  }
  const last = Date.now();
  const cpu = process.cpuUsage(cpu0);
  clearInterval(poll);
  const stats = await bridge.stop();
  const offsets = await kafka.admin.fetchTopicOffsets(topic);
  const inKafka = offsets.reduce((s, o) => s + Number(o.high) - Number(o.low), 0);
  // Redeliveries after a recovery may duplicate records: then count distinct readings.
  let distinct = inKafka;
  if (inKafka > pub.acknowledged) {
    const { recordsOf } = await import('../sdk/frame/dataframe');
    const rows = recordsOf(await kafka.topic(topic).read({ from: 'earliest', to: 'latest', columns: ['carId', 'seq'] } as never));
    distinct = new Set(rows.map((r) => `${r.carId}#${r.seq}`)).size;
  }
  await kafka.close();
  const rate = Math.round((stats.produced / Math.max(1, last - first)) * 1000);
  const keptUp = distinct === pub.acknowledged && last - published <= 1000;
  console.log(
    `bridge    paced at ${Math.round(totalRate)} msg/s (publishers reached ${Math.round((pub.published / pub.elapsedMs) * 1000)}): ${pub.acknowledged} published, ${stats.received} received, ${inKafka} in Kafka (${distinct} distinct), ` +
      `${stats.batches} Kafka requests, bridge CPU ${((cpu.user + cpu.system) / Math.max(1, stats.produced)).toFixed(1)} µs/msg, drained ${last - published} ms after the last publication, ${rate} msg/s → ${keptUp ? 'kept up' : distinct < pub.acknowledged ? 'LOST messages at Mosquitto' : 'fell behind'}`,
  );
  return { rate, lost: pub.acknowledged - distinct, keptUp };
}

async function main(): Promise<void> {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'publish') return publisher(args[0], Number(args[1]), Number(args[2]), Number(args[3]), Number(args[4]));
  if (mode === 'broker') return kafkaBroker(args[0]);
  console.log(`bench:ingest — ${MESSAGES} messages from ${CARS} cars, ${PUBLISHERS} publisher processes, Mosquitto at ${MQTT}, ${os.cpus().length} cores`);
  const raw = await baseline();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-bench-ingest-'));
  const broker = child(['broker', dataDir]);
  const port = (await broker.next()).ready!;
  try {
    // Bisection between the highest rate that kept up and the lowest that did not.
    let lo = 0;
    let hi = Math.min(TARGET, raw);
    let totalRate = hi;
    let best: { rate: number; paced: number } | undefined;
    for (let step = 0; step < 4; step++) {
      const r = await bridgeRun(port, totalRate);
      if (r.keptUp) {
        if (!best || r.rate > best.rate) best = { rate: r.rate, paced: totalRate };
        lo = totalRate;
        if (totalRate >= hi) break;
      } else hi = totalRate;
      totalRate = lo === 0 ? Math.round(hi / 2) : Math.round((lo + hi) / 2);
      if (hi - lo < hi * 0.1) break;
    }
    if (best) console.log(`result    bridge sustained ${best.rate} msg/s with zero loss (paced at ${best.paced}) = ${Math.round((best.rate / raw) * 100)}% of the raw MQTT baseline (${raw} msg/s)`);
    else {
      console.log('result    no paced rate kept up with zero loss');
      process.exitCode = 1;
    }
  } finally {
    broker.proc.disconnect();
    await new Promise((r) => broker.proc.once('exit', r));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
