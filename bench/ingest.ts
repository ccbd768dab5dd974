/**
 * `npm run bench:ingest`: MQTT → Kafka messages/s through Mosquitto from 1,000 simulated cars,
 * with zero loss (what arrives in Kafka is counted, by offsets). Two figures, each next to a
 * same-run baseline:
 *
 *   node dist/bench/ingest.js [--messages 150000] [--cars 1000] [--publishers 2] [--seconds 10] [--target 50000] [--steps 6]
 *                             [--linger 5] [--connections 8] [--window 5000] [--batch N] [--batches-in-flight N] [--mqtt URL]
 *                             [--drain 500000] [--mosquitto /usr/sbin/mosquitto] [--only live|drain|both]
 *
 * 1. live (the sustained figure): cars publish while the bridge runs, through the Mosquitto at
 *    --mqtt (default 127.0.0.1:1883, its own configuration: max_queued_messages 1000).
 *   baseline  raw MQTT publish → subscribe (subscribers that acknowledge at once and do nothing
 *             else, as many connections in one shared subscription as the bridge gets),
 *             publishers as fast as Mosquitto acknowledges: the ceiling any bridge on this
 *             machine can reach. Publishers faster than Mosquitto can forward make it drop
 *             messages (counted: "N of M received"); the rate is of what arrived.
 *   bridge    ingestMqtt → embedded Kafka broker (in its own process), QoS 1 acknowledged only
 *             after Kafka acknowledged. The cars publish at a paced total rate for --seconds;
 *             a rate passes when everything published is in Kafka (counted by offsets) and the
 *             bridge was keeping up (drained within 1 s of the last publication). The first
 *             step is --target; a passing step is followed by one 20% higher (up to the
 *             baseline), a failing one by the midpoint below (at most --steps runs). The
 *             figure is the bridge's measured rate at the highest passing step.
 *   Why paced: Mosquitto holds at most max_queued_messages (default 1000) beyond a subscriber's
 *   in-flight window, so a bridge slower than its publishers loses messages at the broker; the
 *   sustained rate is the one at which that never happens. Publishers are child processes (the
 *   cars are split between them) sending QoS 1 frames encoded before the run (mqtt-load.ts);
 *   they still share the 2 cores with Mosquitto, the bridge and the Kafka broker.
 *
 * 2. drain (the bridge's consumption capacity, not a live rate): a Mosquitto of the bench's own
 *    (--mosquitto, free loopback port, no limit on queued messages: ingest-procs.ts) holds a
 *    backlog of --drain QoS 1 messages the cars published to persistent sessions while their
 *    subscribers were away; then the subscribers connect and the time from the first message
 *    to the last one acknowledged is measured. No publisher runs during that time.
 *   baseline  do-nothing subscribers (same connections, window and session settings) drain it.
 *   bridge    ingestMqtt (same options as live, sessions kept) drains it into Kafka; zero loss
 *             is checked by Kafka offsets (distinct readings when there are more records).
 *   Like kafka-consumer-perf-test on a pre-filled topic: how fast the bridge catches up after
 *   an outage, bounded by the bridge and the Kafka broker, not by the load generator.
 *
 * Every run prints the CPU each process used in its window (from /proc, % of one core).
 */
import { fork, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CpuWindow, startBenchMosquitto, systemMosquittoPid, type BenchMosquitto } from './ingest-procs';

function flag(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}

const MESSAGES = Number(flag('messages', '150000'));
const SECONDS = Number(flag('seconds', '10'));
const TARGET = Number(flag('target', '50000'));
const STEPS = Number(flag('steps', '6'));
const LINGER = Number(flag('linger', '5'));
const CONNECTIONS = Number(flag('connections', '8'));
// Per-connection window. The live run uses clean sessions and the drain run a Mosquitto
// without a queue limit, so a window above Mosquitto's default 1000 is safe here (see README).
const WINDOW = Number(flag('window', '5000'));
const CARS = Number(flag('cars', '1000'));
const PUBLISHERS = Number(flag('publishers', '2'));
const MQTT = flag('mqtt', 'mqtt://127.0.0.1:1883');
const DRAIN = Number(flag('drain', '500000'));
const MOSQUITTO = flag('mosquitto', '/usr/sbin/mosquitto');
// Bridge options (default: the bridge's own defaults) and which parts to run.
const BATCH = flag('batch', '');
const BATCHES_IN_FLIGHT = flag('batches-in-flight', '');
const ONLY = flag('only', 'both'); // live | drain | both
const bridgeTuning = () => ({ ...(BATCH ? { batchSize: Number(BATCH) } : {}), ...(BATCHES_IN_FLIGHT ? { maxBatchesInFlight: Number(BATCHES_IN_FLIGHT) } : {}) });

interface PublishResult {
  published: number;
  acknowledged: number;
  elapsedMs: number;
  /** CPU of the publisher processes from 'go' to their last PUBACK, ms. */
  cpuMs: number;
}
type ChildMessage = { ready?: number; done?: PublishResult };

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
async function publisher(url: string, prefix: string, firstCar: number, cars: number, count: number, ratePerCar: number): Promise<void> {
  const { prepareLoad } = await import('./mqtt-load');
  const load = prepareLoad({ url, prefix, cars, firstCar, count, rate: ratePerCar * cars, connections: 4, window: 1000 });
  process.send!({ ready: 1 });
  await new Promise((r) => process.once('message', r));
  const cpu0 = process.cpuUsage();
  const result = await load.run();
  const cpu = process.cpuUsage(cpu0);
  process.send!({ done: { ...result, cpuMs: (cpu.user + cpu.system) / 1000 } });
  process.disconnect();
}

/** Child: the embedded Kafka broker, on its own core share like a real deployment. */
async function kafkaBroker(dataDir: string): Promise<void> {
  const { startBroker } = await import('../sdk/broker');
  const broker = await startBroker({ port: 0, dataDir });
  process.send!({ ready: broker.port });
  process.once('disconnect', () => void broker.stop().then(() => process.exit(0)));
}

/** Publishes `total` messages from the fleet; totalRate Infinity = as fast as acknowledged. `onGo` runs once every publisher has its frames ready, just before they start. */
async function publishAll(url: string, prefix: string, total: number, totalRate: number, onGo: () => void = () => undefined): Promise<PublishResult> {
  const per = Math.ceil(CARS / PUBLISHERS);
  const kids = [];
  let remaining = total;
  for (let i = 0; i < PUBLISHERS; i++) {
    const cars = Math.min(per, CARS - i * per);
    const count = i === PUBLISHERS - 1 ? remaining : Math.round((total * cars) / CARS);
    remaining -= count;
    kids.push(child(['publish', url, prefix, String(1 + i * per), String(cars), String(count), String(totalRate / CARS)]));
  }
  for (const k of kids) await k.next();
  onGo();
  for (const k of kids) k.proc.send('go');
  const results = await Promise.all(kids.map((k) => k.next()));
  return results.reduce(
    (a, r) => ({ published: a.published + r.done!.published, acknowledged: a.acknowledged + r.done!.acknowledged, elapsedMs: Math.max(a.elapsedMs, r.done!.elapsedMs), cpuMs: a.cpuMs + r.done!.cpuMs }),
    { published: 0, acknowledged: 0, elapsedMs: 0, cpuMs: 0 },
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const perSecond = (n: number, ms: number) => Math.round((n / Math.max(1, ms)) * 1000);
const cpuMsSince = (c: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(c);
  return (d.user + d.system) / 1000;
};

/** Do-nothing subscribers: as many connections in one shared subscription as the bridge gets, acknowledging at once. */
async function rawSubscribers(url: string, prefix: string, sessionExpirySeconds: number, onMessage: () => void) {
  const { MqttSubscriber } = await import('../sdk/ingest/mqtt-subscriber');
  const { silentLogger } = await import('../sdk/util/log');
  const subs = Array.from({ length: CONNECTIONS }, (_, i) => {
    const filter = CONNECTIONS > 1 ? `$share/${prefix}/${prefix}/+/sensors` : `${prefix}/+/sensors`;
    return new MqttSubscriber({ url, filters: [filter], clientId: `${prefix}-${i}`, receiveMaximum: WINDOW, sessionExpirySeconds, logger: silentLogger });
  });
  for (const sub of subs) {
    sub.on('message', (m: { ack(): void }) => {
      onMessage();
      m.ack();
    });
  }
  await Promise.all(subs.map((sub) => sub.start()));
  return { close: () => Promise.all(subs.map((sub) => sub.close())) };
}

/** Waits until count() reaches `target`, or stops changing for 3 s, or `capMs` passed. */
async function waitFor(count: () => number, target: number, capMs: number): Promise<void> {
  const end = Date.now() + capMs;
  let seen = -1;
  let change = Date.now();
  while (count() < target && Date.now() < end && Date.now() - change < 3000) {
    if (count() !== seen) (seen = count()), (change = Date.now());
    await sleep(5);
  }
}

async function liveBaseline(pids: { mosquitto?: number }): Promise<number> {
  const prefix = `bench-raw-${process.pid}-${Date.now().toString(36)}`;
  let received = 0;
  let first = 0;
  let last = 0;
  const subs = await rawSubscribers(MQTT, prefix, 0, () => {
    if (received++ === 0) first = Date.now();
    last = Date.now();
  });
  let cpu: CpuWindow | undefined;
  let own = process.cpuUsage();
  const pub = await publishAll(MQTT, prefix, MESSAGES, Infinity, () => {
    cpu = new CpuWindow({ mosquitto: pids.mosquitto });
    own = process.cpuUsage();
  });
  await waitFor(() => received, pub.acknowledged, 30_000);
  const usage = cpu!.report({ publishers: pub.cpuMs, subscribers: cpuMsSince(own) });
  await subs.close();
  const rate = perSecond(received, last - first);
  console.log(`baseline  live: raw MQTT pub→sub via Mosquitto (${CONNECTIONS} subscriber connections), publishers unpaced: ${received} of ${pub.acknowledged} received, ${rate} msg/s (publishers ${perSecond(pub.published, pub.elapsedMs)} msg/s)`);
  console.log(`          ${usage}`);
  return rate;
}

interface BridgeRun {
  rate: number;
  lost: number;
  keptUp: boolean;
}

async function countInKafka(kafka: import('../sdk/kafka/connect').KafkaConnection, topic: string, expected: number): Promise<{ inKafka: number; distinct: number }> {
  const offsets = await kafka.admin.fetchTopicOffsets(topic);
  const inKafka = offsets.reduce((s, o) => s + Number(o.high) - Number(o.low), 0);
  // Redeliveries after a recovery may duplicate records: then count distinct readings.
  let distinct = inKafka;
  if (inKafka > expected) {
    const { recordsOf } = await import('../sdk/frame/dataframe');
    const rows = recordsOf(await kafka.topic(topic).read({ from: 'earliest', to: 'latest', columns: ['carId', 'seq'] } as never));
    distinct = new Set(rows.map((r) => `${r.carId}#${r.seq}`)).size;
  }
  return { inKafka, distinct };
}

async function liveBridge(port: number, totalRate: number, pids: { mosquitto?: number; broker?: number }): Promise<BridgeRun> {
  const { ingestMqtt } = await import('../sdk/ingest/bridge');
  const { connect } = await import('../sdk/kafka/connect');
  const prefix = `bench-bridge-${process.pid}-${Date.now().toString(36)}`;
  const kafka = await connect({ brokers: `127.0.0.1:${port}` });
  const topic = `car-sensors-bench-${Math.round(totalRate)}-${Date.now().toString(36)}`;
  const bridge = await ingestMqtt({ mqtt: MQTT, from: `${prefix}/+/sensors`, to: topic, key: 1, timestamp: 'ts', kafka, sessionExpiry: 0, clientId: prefix, partitions: 4, lingerMs: LINGER, connections: CONNECTIONS, maxInFlight: WINDOW, ...bridgeTuning() });
  let first = 0;
  const poll = setInterval(() => {
    if (!first && bridge.stats().received > 0) first = Date.now();
  }, 1);
  let cpu: CpuWindow | undefined;
  let own = process.cpuUsage();
  const total = Math.round(totalRate * SECONDS);
  const pub = await publishAll(MQTT, prefix, total, totalRate, () => {
    cpu = new CpuWindow({ mosquitto: pids.mosquitto, 'kafka broker': pids.broker });
    own = process.cpuUsage();
  });
  const published = Date.now();
  await waitFor(() => bridge.stats().produced, pub.acknowledged, 30_000);
  const last = Date.now();
  const bridgeCpuMs = cpuMsSince(own);
  const usage = cpu!.report({ publishers: pub.cpuMs, bridge: bridgeCpuMs });
  clearInterval(poll);
  const stats = await bridge.stop();
  const { inKafka, distinct } = await countInKafka(kafka, topic, pub.acknowledged);
  await kafka.close();
  const rate = perSecond(stats.produced, last - first);
  const keptUp = distinct === pub.acknowledged && last - published <= 1000;
  console.log(
    `bridge    live: paced at ${Math.round(totalRate)} msg/s for ${SECONDS} s (publishers reached ${perSecond(pub.published, pub.elapsedMs)}): ${pub.acknowledged} published, ${stats.received} received, ${inKafka} in Kafka (${distinct} distinct), ` +
      `${stats.batches} Kafka requests, bridge CPU ${((bridgeCpuMs * 1000) / Math.max(1, stats.produced)).toFixed(1)} µs/msg, drained ${last - published} ms after the last publication, ${rate} msg/s → ${keptUp ? 'kept up' : distinct < pub.acknowledged ? 'LOST messages at Mosquitto' : 'fell behind'}`,
  );
  console.log(`          ${usage}`);
  return { rate, lost: pub.acknowledged - distinct, keptUp };
}

/** Mosquitto draining a backlog of DRAIN messages to do-nothing subscribers with persistent sessions. */
async function drainBaseline(mosq: BenchMosquitto): Promise<number> {
  const prefix = `bench-drain-raw-${process.pid}-${Date.now().toString(36)}`;
  // Create the sessions (subscriptions kept by Mosquitto), then go away.
  await (await rawSubscribers(mosq.url, prefix, 3600, () => undefined)).close();
  const pub = await publishAll(mosq.url, prefix, DRAIN, Infinity);
  let received = 0;
  let first = 0;
  let last = 0;
  const cpu = new CpuWindow({ mosquitto: mosq.pid });
  const own = process.cpuUsage();
  const t0 = Date.now();
  const subs = await rawSubscribers(mosq.url, prefix, 3600, () => {
    if (received++ === 0) first = Date.now();
    last = Date.now();
  });
  await waitFor(() => received, pub.acknowledged, 60_000);
  const usage = cpu.report({ subscribers: cpuMsSince(own) });
  await subs.close();
  const rate = perSecond(received, last - first);
  console.log(
    `baseline  drain: Mosquitto (own instance, no queue limit) delivers a backlog of ${pub.acknowledged} queued QoS 1 messages to ${CONNECTIONS} do-nothing subscribers (persistent sessions, window ${WINDOW}): ${received} received, first after ${first - t0} ms, ${rate} msg/s`,
  );
  console.log(`          ${usage}`);
  return rate;
}

/** The bridge draining the same kind of backlog into Kafka. */
async function drainBridge(mosq: BenchMosquitto, port: number, brokerPid: number | undefined): Promise<{ rate: number; lost: number }> {
  const { ingestMqtt } = await import('../sdk/ingest/bridge');
  const { connect } = await import('../sdk/kafka/connect');
  const prefix = `bench-drain-bridge-${process.pid}-${Date.now().toString(36)}`;
  const kafka = await connect({ brokers: `127.0.0.1:${port}` });
  const topic = `car-sensors-bench-drain-${Date.now().toString(36)}`;
  const options = { mqtt: mosq.url, from: `${prefix}/+/sensors`, to: topic, key: 1, timestamp: 'ts', kafka, sessionExpiry: 3600, clientId: prefix, partitions: 4, lingerMs: LINGER, connections: CONNECTIONS, maxInFlight: WINDOW, ...bridgeTuning() } as const;
  // First start: creates the topics and the MQTT sessions; stop keeps the sessions.
  await (await ingestMqtt(options)).stop();
  const pub = await publishAll(mosq.url, prefix, DRAIN, Infinity);
  const cpu = new CpuWindow({ mosquitto: mosq.pid, 'kafka broker': brokerPid });
  const own = process.cpuUsage();
  const t0 = Date.now();
  const bridge = await ingestMqtt(options);
  let first = 0;
  const poll = setInterval(() => {
    if (!first && bridge.stats().received > 0) first = Date.now();
  }, 1);
  await waitFor(() => bridge.stats().produced, pub.acknowledged, 120_000);
  const last = Date.now();
  const bridgeCpuMs = cpuMsSince(own);
  const usage = cpu.report({ bridge: bridgeCpuMs });
  clearInterval(poll);
  const stats = await bridge.stop();
  const { inKafka, distinct } = await countInKafka(kafka, topic, pub.acknowledged);
  await kafka.close();
  const rate = perSecond(stats.produced, last - first);
  const lost = pub.acknowledged - distinct;
  console.log(
    `bridge    drain: ingestMqtt consumes a backlog of ${pub.acknowledged} queued QoS 1 messages: ${stats.received} received, ${inKafka} in Kafka (${distinct} distinct), ${stats.redelivered} redelivered, ` +
      `${stats.batches} Kafka requests, bridge CPU ${((bridgeCpuMs * 1000) / Math.max(1, stats.produced)).toFixed(1)} µs/msg, first after ${first - t0} ms, ${rate} msg/s → ${lost === 0 ? 'zero loss' : `LOST ${lost}`}`,
  );
  console.log(`          ${usage}`);
  return { rate, lost };
}

async function main(): Promise<void> {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'publish') return publisher(args[0], args[1], Number(args[2]), Number(args[3]), Number(args[4]), Number(args[5]));
  if (mode === 'broker') return kafkaBroker(args[0]);
  console.log(`bench:ingest — ${CARS} cars, ${PUBLISHERS} publisher processes, Mosquitto at ${MQTT}, ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)}`);
  const mosquittoPid = MQTT.includes('127.0.0.1:1883') || MQTT.includes('localhost:1883') ? systemMosquittoPid() : undefined;
  const raw = ONLY === 'drain' ? 0 : await liveBaseline({ mosquitto: mosquittoPid });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-bench-ingest-'));
  const broker = child(['broker', dataDir]);
  const port = (await broker.next()).ready!;
  const pids = { mosquitto: mosquittoPid, broker: broker.proc.pid };
  const results: string[] = [];
  try {
    // Upward from the target while steps pass (by 20%, at most up to the raw baseline), bisecting after a failure.
    let lo = 0;
    let hi = raw;
    let totalRate = Math.min(TARGET, raw);
    let best: { rate: number; paced: number } | undefined;
    for (let step = 0; step < STEPS && ONLY !== 'drain'; step++) {
      const r = await liveBridge(port, totalRate, pids);
      if (r.keptUp) {
        if (!best || r.rate > best.rate) best = { rate: r.rate, paced: totalRate };
        lo = totalRate;
        if (lo >= hi) break;
        totalRate = Math.min(hi, Math.round(lo * 1.2));
      } else {
        hi = totalRate;
        totalRate = lo === 0 ? Math.round(hi / 2) : Math.round((lo + hi) / 2);
      }
      if (hi - lo < hi * 0.05) break;
    }
    if (best) results.push(`result    live:  the bridge sustained ${best.rate} msg/s with zero loss for ${SECONDS} s (highest passing paced step: ${best.paced} msg/s) = ${Math.round((best.rate / raw) * 100)}% of the live raw MQTT baseline (${raw} msg/s)`);
    else if (ONLY !== 'drain') {
      results.push('result    live:  no paced rate kept up with zero loss');
      process.exitCode = 1;
    }
    if (DRAIN > 0 && ONLY !== 'live') {
      if (!fs.existsSync(MOSQUITTO)) results.push(`result    drain: skipped (${MOSQUITTO} not found; --mosquitto PATH)`);
      else {
        const mosq = await startBenchMosquitto(MOSQUITTO);
        try {
          const rawDrain = await drainBaseline(mosq);
          const d = await drainBridge(mosq, port, broker.proc.pid);
          results.push(
            `result    drain: the bridge consumed a backlog of ${DRAIN} messages at ${d.rate} msg/s ${d.lost === 0 ? 'with zero loss' : `LOSING ${d.lost}`} (no publisher running) = ${Math.round((d.rate / rawDrain) * 100)}% of Mosquitto draining it to do-nothing subscribers (${rawDrain} msg/s)`,
          );
          if (d.lost) process.exitCode = 1;
        } finally {
          await mosq.stop();
        }
      }
    }
    for (const line of results) console.log(line);
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
