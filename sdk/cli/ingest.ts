/**
 * `kafkalab ingest`: runs the MQTT → Kafka bridge in the foreground until SIGINT/SIGTERM,
 * printing counters to stderr every few seconds and the final counters to stdout as JSON.
 */
import { redact } from '../util/redact';
import type { Command } from './main';
import { parseFlags } from './args';
import { untilStopSignal } from './signals';
import { consoleLogger, type LogLevel } from '../util/log';
import { KafkalabError } from '../util/errors';
import { parseKeyOption } from '../ingest/payload';
import * as http from 'http';

const spec = {
  mqtt: { type: 'string', default: 'mqtt://localhost:1883' },
  from: { type: 'string' },
  to: { type: 'string' },
  key: { type: 'string' },
  timestamp: { type: 'string' },
  dlq: { type: 'string' },
  noDlq: { type: 'boolean', default: false },
  brokers: { type: 'string' },
  partitions: { type: 'number' },
  qos: { type: 'number', default: 1 },
  clientId: { type: 'string' },
  sessionExpiry: { type: 'number', default: 600 },
  shareGroup: { type: 'string' },
  connections: { type: 'number', default: 1 },
  batchSize: { type: 'number', default: 500 },
  linger: { type: 'number', default: 5 },
  maxInFlight: { type: 'number', default: 500 },
  required: { type: 'string' },
  raw: { type: 'boolean', default: false },
  statsEvery: { type: 'number', default: 10 },
  sequence: { type: 'string' },
  probeQueue: { type: 'boolean', default: false },
  noWatchDrops: { type: 'boolean', default: false },
  metricsPort: { type: 'number' },
  metricsHost: { type: 'string', default: '127.0.0.1' },
  logLevel: { type: 'string', default: 'info' },
} as const;

export const command: Command = {
  summary: 'bridge MQTT topics into a Kafka topic (validated, batched, acknowledged after Kafka)',
  usage: `Usage: kafkalab ingest --mqtt URL --from FILTER [--from FILTER ...] --to TOPIC [options]

Subscribes to the MQTT filters and produces every message to the Kafka topic. QoS 1 messages
are acknowledged to MQTT only after Kafka acknowledged them; invalid payloads go to a
dead-letter topic with the reason in the header dlq.reason.

Options:
  --mqtt URL             MQTT broker (default mqtt://localhost:1883; mqtts:// for TLS, user:pass@ allowed)
  --from FILTER          MQTT topic filter, wildcards allowed (repeat or comma-separate for several)
  --to TOPIC             Kafka topic
  --key K                Kafka key: a topic level number (1 for cars/<carId>/sensors) or a JSON field name
  --timestamp FIELD      JSON field with the event time (epoch ms or ISO-8601) for the Kafka timestamp
  --dlq TOPIC            dead-letter topic (default <to>.dlq); --no-dlq drops invalid payloads (counted)
  --required LIST        comma-separated JSON fields every payload must have
  --raw                  forward any bytes without JSON validation
  --brokers LIST         Kafka bootstrap servers (else KAFKA_BROKERS, else the embedded broker)
  --partitions N         partitions when the bridge creates the topics (default: the broker's)
  --qos 0|1              highest subscription QoS (default 1)
  --client-id ID         MQTT client id (a stable default lets a restarted bridge resume its session)
  --session-expiry S     seconds the MQTT broker keeps our session while we are away (default 600; 0 = clean)
  --share-group NAME     subscribe as $share/NAME/FILTER so several bridges split the load
  --connections N        MQTT connections splitting the messages via a shared subscription (default 1;
                         more absorb pauses better at high rates; needs $share support, e.g. Mosquitto)
  --batch-size N         most messages per Kafka request (default 500)
  --linger MS            how long a batch may wait to fill (default 5)
  --max-in-flight N      messages per connection awaiting Kafka before MQTT delivery pauses (default 500;
                         keep below Mosquitto's max_queued_messages, 1000 by default)
  --stats-every S        print counters to stderr every S seconds (default 10; 0 = never)
  --sequence FIELD       JSON field with a per-device sequence number: missing numbers are counted
                         (sequenceGaps), whoever lost them
  --probe-queue          at start, measure how many messages the MQTT broker queues for an absent
                         session (5000 tiny QoS 1 messages to a probe topic) and warn when it is small
  --no-watch-drops       do not follow the MQTT broker's $SYS drop counter (Mosquitto's
                         $SYS/broker/publish/messages/dropped, followed by default)
  --metrics-port N       serve the counters at http://HOST:N/metrics (Prometheus text format)
  --metrics-host HOST    address for --metrics-port (default 127.0.0.1)
  --log-level LEVEL      debug, info, warn or error (default info)

Example:
  kafkalab ingest --mqtt mqtt://localhost:1883 --from 'cars/+/sensors' --to car-sensors --key 1 --timestamp ts`,
  async run(argv) {
    // --from may repeat: collect every occurrence before the generic parser keeps the last one.
    const froms: string[] = [];
    for (let i = 0; i < argv.length; i++) {
      if (argv[i] === '--from' && argv[i + 1] !== undefined) froms.push(argv[i + 1]);
      else if (argv[i].startsWith('--from=')) froms.push(argv[i].slice(7));
    }
    const f = parseFlags(argv, spec, 'ingest');
    const filters = froms.flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean);
    if (!filters.length || !f.to) throw new KafkalabError('ingest needs --from FILTER and --to TOPIC', { code: 'BAD_OPTION', hint: "e.g. --from 'cars/+/sensors' --to car-sensors" });
    if (f.qos !== 0 && f.qos !== 1) throw new KafkalabError(`--qos must be 0 or 1, got ${f.qos}`, { code: 'BAD_OPTION' });
    const level = (['debug', 'info', 'warn', 'error'].includes(f.logLevel) ? f.logLevel : 'info') as LogLevel;
    const logger = consoleLogger({ level, namespace: 'ingest' });
    const { ingestMqtt } = require('../ingest/bridge') as typeof import('../ingest/bridge');
    const bridge = await ingestMqtt({
      mqtt: f.mqtt,
      from: filters,
      to: f.to,
      key: parseKeyOption(f.key),
      timestamp: f.timestamp,
      dlq: f.noDlq ? false : f.dlq,
      brokers: f.brokers,
      partitions: f.partitions,
      qos: f.qos,
      clientId: f.clientId,
      sessionExpiry: f.sessionExpiry,
      shareGroup: f.shareGroup,
      connections: f.connections,
      batchSize: f.batchSize,
      lingerMs: f.linger,
      maxInFlight: f.maxInFlight,
      required: f.required?.split(',').map((x) => x.trim()).filter(Boolean),
      json: !f.raw,
      sequence: f.sequence,
      probeQueue: f.probeQueue,
      watchDrops: !f.noWatchDrops,
      logger,
    });
    const metrics = f.metricsPort === undefined ? undefined : await serveMetrics(f.metricsHost, f.metricsPort, () => bridge.metrics());
    if (metrics) process.stderr.write(`kafkalab ingest: metrics at http://${f.metricsHost}:${metrics.port}/metrics\n`);
    process.stderr.write(`kafkalab ingest: ${filters.join(', ')} → ${f.to} (Ctrl-C stops after draining)\n`);
    let last = bridge.stats();
    const timer =
      f.statsEvery > 0
        ? setInterval(() => {
            const s = bridge.stats();
            const rate = Math.round((s.produced - last.produced) / f.statsEvery);
            const lost = `${s.brokerDropped ? `, MQTT broker dropped ${s.brokerDropped}` : ''}${s.sequenceGaps ? `, sequence gaps ${s.sequenceGaps}` : ''}`;
            process.stderr.write(`ingest: received ${s.received}, produced ${s.produced} (${rate}/s), dead-lettered ${s.deadLettered}, in flight ${s.inFlight}, errors ${s.errors}${lost}${s.kafkaConnected ? '' : ' [Kafka unreachable, retrying]'}${s.mqttConnected ? '' : ' [MQTT reconnecting]'}\n`);
            last = s;
          }, f.statsEvery * 1000)
        : undefined;
    await untilStopSignal();
    clearInterval(timer);
    await metrics?.close();
    const final = await bridge.stop();
    process.stdout.write(JSON.stringify(redact(final)) + '\n');
    return 0;
  },
};

/** A tiny /metrics endpoint for the bridge's counters. */
async function serveMetrics(host: string, port: number, text: () => string): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text());
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  return { port: (server.address() as { port: number }).port, close: () => new Promise((r) => server.close(() => r())) };
}
