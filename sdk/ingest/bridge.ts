/**
 * ingestMqtt(): the MQTT → Kafka bridge. Messages are validated, batched for a few ms (or up to
 * batchSize) and produced with one Produce request per leader (kafka-producer.ts); a QoS 1 message is acknowledged
 * to MQTT only after Kafka acknowledged the batch that holds it. While Kafka is unreachable the
 * same batch is retried with backoff and nothing is acknowledged, so the MQTT broker stops
 * sending at the Receive Maximum and keeps the rest queued (at-least-once: a message that was
 * produced but whose PUBACK was lost comes back after a reconnect and is produced again).
 */
import type { CompressionTypes } from 'kafkajs';
import { KafkalabError } from '../util/errors';
import { redactText, redactUrl, rememberSecret } from '../util/redact';
import { defaultLogger, type Logger } from '../util/log';
import type { KafkaConnection } from '../kafka/connect';
import { MqttSubscriber, type DeliveredMessage } from './mqtt-subscriber';
import { checkFilter, keyFor, payloadChecker, type KeyOption, type PayloadRules } from './payload';
import { createBridgeProducer, type BridgeProducer, type BridgeRecord } from './kafka-producer';
import { BrokerWatch, MOSQUITTO_DROPPED_TOPIC, probeQueue } from './mqtt-sys';
import { SequenceGaps } from './sequence-gaps';
import { bridgeMetrics } from './bridge-metrics';
import { backoff, sleep } from '../util/retry';
import { RowMismatch, schemaEncoder, type SchemaEncoder, type SchemaFormatName } from '../registry/serdes';

export interface IngestOptions {
  /** MQTT broker URL, e.g. 'mqtt://localhost:1883' (mqtts:// for TLS; user:password@ in the URL works). */
  mqtt: string;
  /** MQTT topic filter(s), wildcards allowed: 'cars/+/sensors', 'plant/#'. */
  from: string | string[];
  /** Kafka topic the messages go to. */
  to: string;
  /** Kafka key: topic level number (1 → cars/<carId>/sensors), a JSON field name, or a function. */
  key?: KeyOption;
  /** JSON field holding the event time (epoch ms or ISO-8601) to use as the Kafka timestamp. */
  timestamp?: string;
  /** Dead-letter topic for invalid payloads (default `<to>.dlq`); false drops them (counted). */
  dlq?: string | false;
  /** A connection from `connect()`; else one is opened from `brokers` (then KAFKA_BROKERS, then the embedded broker). */
  kafka?: KafkaConnection;
  brokers?: string | string[];
  /** Partitions for `to` and the DLQ when the bridge has to create them (default: the broker's default). */
  partitions?: number;
  /** Highest QoS subscribed with (default 1; QoS 2 publications arrive as QoS 1). */
  qos?: 0 | 1;
  /** MQTT client id; a stable one (the default is derived from from/to) lets a restarted bridge resume its session. */
  clientId?: string;
  username?: string;
  password?: string;
  /** Seconds the MQTT broker keeps the session (and queues messages) while the bridge is away; 0 = clean session. Default 600. */
  sessionExpiry?: number;
  /** Subscribe as `$share/<group>/<filter>` so several bridges split the messages. */
  shareGroup?: string;
  /** MQTT connections, splitting the messages through a shared subscription (default 1; needs broker support for `$share`, e.g. Mosquitto, not aedes). */
  connections?: number;
  /** Most messages per Kafka request (default 500: bigger requests keep the event loop busy longer between socket reads). */
  batchSize?: number;
  /** How long a batch may wait to fill up, in ms (default 5). */
  lingerMs?: number;
  /**
   * Messages received on one MQTT connection but not yet acknowledged by Kafka (its MQTT 5
   * Receive Maximum; default 500). Mosquitto resends all of them at once when a session
   * resumes and drops packets beyond `max_queued_messages` (default 1000) on a socket, so keep
   * it below that unless the broker allows more.
   */
  maxInFlight?: number;
  /** Kafka requests in flight at once (default 2). */
  maxBatchesInFlight?: number;
  /** Parse and check JSON (default true); false forwards any bytes. */
  json?: boolean;
  /** JSON fields every payload must have. */
  required?: string[];
  /** Largest payload in bytes (default 1 MiB). */
  maxBytes?: number;
  /** Extra check on the parsed object: return a reason to reject it. */
  validate?: PayloadRules['validate'];
  /** Add the MQTT topic as header `mqtt.topic` to each record (default false: it adds bytes and an allocation per record; dead letters always carry it). */
  topicHeader?: boolean;
  /** Kafka acks (default -1, all in-sync replicas). */
  acks?: -1 | 1;
  compression?: CompressionTypes;
  logger?: Logger;
  /**
   * Encode each JSON payload with a schema before it goes to Kafka: 'avro' | 'protobuf' |
   * 'json-schema', registered under `<to>-value` in the connection's Schema Registry and framed
   * with its id (as produce() does). A payload that does not fit goes to the DLQ with the reason.
   */
  format?: SchemaFormatName;
  /** The schema for `format` (object or text; .proto text for Protobuf). Omitted: the subject's latest version. */
  schema?: string | object;
  /**
   * JSON field holding a per-device sequence number (device = the record key, else the MQTT
   * topic): numbers that never arrive are counted in `sequenceGaps`, whoever lost them.
   */
  sequence?: string;
  /**
   * Follow the MQTT broker's count of dropped messages under $SYS (default true: Mosquitto's
   * `$SYS/broker/publish/messages/dropped`); a list of topics for other brokers' counters; false: off.
   */
  watchDrops?: boolean | string[];
  /**
   * At start, measure how many messages the MQTT broker queues for an absent session (publishes
   * this many tiny QoS 1 messages to a probe topic; true = 5000) and warn when it is small.
   * Off by default: it takes a second or two and shows in the broker's own drop counter.
   */
  probeQueue?: boolean | number;
}

export interface IngestStats {
  /** Messages taken from MQTT. */
  received: number;
  /** Messages acknowledged by Kafka on the target topic. */
  produced: number;
  /** Invalid payloads written to the dead-letter topic (or dropped when dlq is false). */
  deadLettered: number;
  /** Received, not yet acknowledged by Kafka. */
  inFlight: number;
  /** Messages the MQTT broker marked as redeliveries (DUP): possible duplicates in Kafka. Exact duplicates are not knowable here. */
  redelivered: number;
  /** QoS 0 messages dropped because maxInFlight x connections was reached (QoS 1 is never dropped). */
  dropped: number;
  /** Failed Kafka requests (each is retried). */
  errors: number;
  batches: number;
  mqttReconnects: number;
  mqttConnected: boolean;
  kafkaConnected: boolean;
  lastError?: string;
  /**
   * Messages the MQTT broker reported dropping since the bridge started (its $SYS counter,
   * broker-wide: drops for any client count; updated every sys_interval). Undefined when the
   * broker offers no such counter or drops are not watched.
   */
  brokerDropped?: number;
  /** The MQTT broker's own name and version ($SYS/broker/version), when it says. */
  mqttBroker?: string;
  /** Messages the MQTT broker queued for an absent session in the start-up probe (probeQueue). */
  brokerQueue?: number;
  /** With `sequence`: numbers missing between the messages each device sent. */
  sequenceGaps?: number;
  /** With `sequence`: numbers that arrived more than once (redeliveries). */
  sequenceRepeats?: number;
  /** With `sequence`: devices that started their numbering over. */
  sequenceResets?: number;
}

export interface IngestBridge {
  stats(): IngestStats;
  /** The counters in Prometheus' text format (for a /metrics endpoint). */
  metrics(): string;
  /** Stops taking messages, produces and acknowledges what is in flight (up to timeoutMs), then disconnects. */
  stop(opts?: { timeoutMs?: number }): Promise<IngestStats>;
}

interface Item {
  record: BridgeRecord;
  msg: DeliveredMessage;
  dead: boolean;
}


export async function ingestMqtt(options: IngestOptions): Promise<IngestBridge> {
  const o = normalize(options);
  const logger = options.logger ?? defaultLogger('ingest');
  let connection = options.kafka;
  let ownConnection = false;
  if (!connection) {
    const { connect } = require('../kafka/connect') as typeof import('../kafka/connect');
    connection = await connect({ brokers: options.brokers, clientId: 'kafkalab-ingest', logger: logger.child('kafka') });
    ownConnection = true;
  }
  const conn = connection;
  logger.debug('Kafka connected', { brokers: conn.bootstrap });
  await ensureTopics(conn, [o.to, ...(o.dlq ? [o.dlq] : [])], options.partitions, logger);
  logger.debug('topics ready', { topics: [o.to, o.dlq] });

  const producer: BridgeProducer = await createBridgeProducer(conn.kafka, [o.to, ...(o.dlq ? [o.dlq] : [])], { acks: o.acks, compression: options.compression, logger });
  logger.debug('producer connected', { encoder: producer.encoder });

  const s: IngestStats = { received: 0, produced: 0, deadLettered: 0, inFlight: 0, redelivered: 0, dropped: 0, errors: 0, batches: 0, mqttReconnects: 0, mqttConnected: false, kafkaConnected: true };
  // Messages waiting for a Kafka request, as batches of at most batchSize (only the last one
  // filling up): taking a batch never copies the rest, which matters when a backlog of tens of
  // thousands arrives at once (a resumed session, a Kafka outage ending).
  const pending: Item[][] = [];
  let pendingCount = 0;
  let batchesInFlight = 0;
  let lingerTimer: NodeJS.Timeout | undefined;
  let stopping = false;
  let abandoned = false;
  let consecutiveFailures = 0;
  const inFlightSends = new Set<Promise<void>>();
  const drainWaiters: (() => void)[] = [];

  let encoder: SchemaEncoder | undefined;
  if (options.format !== undefined) {
    if (!o.json) throw new KafkalabError('ingestMqtt(): format needs JSON payloads (json: false forwards bytes untouched)', { code: 'BAD_OPTION' });
    encoder = await schemaEncoder(conn.requireSchemaRegistry(`ingestMqtt() with format '${options.format}'`), o.to, { format: options.format, schema: options.schema });
    logger.info('encoding payloads', { format: options.format, subject: encoder.subject, schemaId: encoder.id });
  }
  /** The payload encoded with the schema, or why it does not fit. */
  const encode = (payload: Buffer): Buffer | { reason: string } => {
    try {
      return encoder!.encode(JSON.parse(payload.toString('utf8')));
    } catch (e) {
      if (e instanceof RowMismatch) return { reason: `does not fit the schema of "${encoder!.subject}": ${e.message}` };
      throw e;
    }
  };
  const rules: PayloadRules = { json: o.json, required: o.required, maxBytes: o.maxBytes, validate: options.validate };
  const check = payloadChecker(rules, o.key, o.timestamp, options.sequence);
  const sequences = options.sequence === undefined ? undefined : new SequenceGaps();

  const onMessage = (msg: DeliveredMessage) => {
    if (stopping) return; // not acknowledged: the broker keeps it for the next session
    if (msg.qos === 0 && s.inFlight >= o.maxInFlight * o.connections) {
      s.dropped++;
      return;
    }
    s.received++;
    s.inFlight++;
    if (msg.redelivered) s.redelivered++;
    let checked = check(msg.payload, msg.topic);
    let value = msg.payload;
    if (encoder && checked.ok) {
      const encoded = encode(msg.payload);
      if (Buffer.isBuffer(encoded)) value = encoded;
      else checked = { ok: false, reason: encoded.reason };
    }
    if (checked.ok && checked.keyError) logger.warn('key function threw; producing without a key', { error: checked.keyError });
    if (sequences && checked.ok && checked.seq !== undefined) sequences.observe(checked.key ?? msg.topic, checked.seq);
    if (!checked.ok && !o.dlq) {
      s.deadLettered++;
      s.inFlight--;
      msg.ack();
      return;
    }
    const record: BridgeRecord = checked.ok
      ? { topic: o.to, key: checked.key, value, timestamp: checked.timestamp, headers: o.topicHeader ? { 'mqtt.topic': msg.topic } : undefined }
      : { topic: o.dlq as string, key: deadLetterKey(msg.topic), value: msg.payload, timestamp: undefined, headers: { 'mqtt.topic': msg.topic, 'mqtt.qos': String(msg.qos), 'dlq.reason': checked.reason, 'dlq.time': new Date().toISOString() } };
    let tail = pending[pending.length - 1];
    if (!tail || tail.length >= o.batchSize) pending.push((tail = []));
    tail.push({ record, msg, dead: !checked.ok });
    if (++pendingCount >= o.batchSize) flush();
    else lingerTimer ??= setTimeout(flush, o.lingerMs);
  };

  const deadLetterKey = (topic: string): string | null => {
    if (typeof o.key !== 'number') return null; // fields cannot be read from an invalid payload
    return keyFor(o.key, topic, undefined);
  };

  function flush(): void {
    clearTimeout(lingerTimer);
    lingerTimer = undefined;
    while (pending.length && batchesInFlight < o.maxBatchesInFlight) {
      const batch = pending.shift()!;
      pendingCount -= batch.length;
      batchesInFlight++;
      const sending = send(batch);
      inFlightSends.add(sending);
      void sending.finally(() => {
        inFlightSends.delete(sending);
        batchesInFlight--;
        if (pendingCount && (pendingCount >= o.batchSize || stopping || !lingerTimer)) flush();
        if (s.inFlight === 0) drainWaiters.splice(0).forEach((w) => w());
      });
    }
  }

  async function send(batch: Item[]): Promise<void> {
    const sending = producer.prepare(batch.map((it) => it.record));
    for (let attempt = 0; ; attempt++) {
      if (abandoned) return;
      try {
        await sending.attempt();
        break;
      } catch (err) {
        s.errors++;
        s.lastError = redactText((err as Error).message);
        if (s.kafkaConnected) logger.warn('Kafka unavailable; holding messages unacknowledged and retrying', { error: s.lastError });
        s.kafkaConnected = false;
        if (abandoned) return;
        if (++consecutiveFailures % 3 === 0) {
          // kafkajs sometimes keeps a dead connection after a broker restart: start afresh.
          await producer.reset().catch((e: Error) => logger.debug('producer reset failed', { error: e.message }));
        }
        await sleep(backoff(Math.min(attempt, 10)));
      }
    }
    if (!s.kafkaConnected) logger.info('Kafka reachable again');
    s.kafkaConnected = true;
    consecutiveFailures = 0;
    s.batches++;
    for (const it of batch) {
      if (it.dead) s.deadLettered++;
      else s.produced++;
      it.msg.ack();
    }
    s.inFlight -= batch.length;
  }

  // Several connections in one shared-subscription group: each has its own socket queue at the
  // MQTT broker (Mosquitto drops for a client once 1000 packets wait on its socket), so a
  // short pause of this process (GC, a busy core) is absorbed N times better.
  const subscribers = Array.from({ length: o.connections }, (_, i) =>
    new MqttSubscriber({
      url: o.mqtt,
      filters: o.filters,
      clientId: o.connections === 1 ? o.clientId : `${o.clientId}-${i}`,
      username: o.username,
      password: o.password,
      qos: o.qos,
      receiveMaximum: o.maxInFlight,
      sessionExpirySeconds: o.sessionExpiry,
      logger: logger.child('mqtt'),
    }),
  );
  const reconnects = () => subscribers.reduce((n, sub) => n + sub.reconnects, 0);
  for (const subscriber of subscribers) {
    subscriber.on('message', onMessage);
    subscriber.on('connect', () => {
      s.mqttReconnects = reconnects();
      logger.info('MQTT reconnected', { url: redactUrl(o.mqtt) });
    });
    subscriber.on('error', (err: Error) => {
      s.errors++;
      s.lastError = redactText(err.message);
      logger.error('MQTT error', { error: err.message });
    });
  }
  const dropTopics = o.watchDrops === false ? [] : o.watchDrops === true ? [MOSQUITTO_DROPPED_TOPIC] : o.watchDrops;
  const watch = dropTopics.length
    ? new BrokerWatch({
        url: o.mqtt,
        clientId: `${o.clientId}-sys`,
        username: o.username,
        password: o.password,
        dropTopics,
        logger: logger.child('mqtt-sys'),
        onDropped: (delta, total) =>
          logger.warn('the MQTT broker dropped messages (its broker-wide $SYS counter grew); some may have been on their way to this bridge', {
            dropped: delta,
            sinceStart: total,
            hint: 'Mosquitto drops QoS 1 messages beyond max_queued_messages (default 1000) per session: raise it in mosquitto.conf',
          }),
      })
    : undefined;
  try {
    await Promise.all([...subscribers.map((sub) => sub.start()), watch?.start()]);
  } catch (err) {
    await Promise.all(subscribers.map((sub) => sub.close()));
    await watch?.close();
    await producer.disconnect().catch(() => undefined);
    if (ownConnection) await conn.close();
    throw err;
  }
  let brokerQueue: number | undefined;
  if (o.probeQueue > 0) {
    try {
      const probe = () => probeQueue({ url: o.mqtt, clientId: o.clientId, username: o.username, password: o.password, count: o.probeQueue, logger: logger.child('mqtt-probe') });
      brokerQueue = (watch ? await watch.excluding(probe, (p) => p.published - p.queued) : await probe()).queued;
    } catch (err) {
      logger.warn('could not measure the MQTT broker queue', { error: (err as Error).message });
    }
  }
  warnAboutQueue(logger, o, watch, brokerQueue);
  logger.info('bridge started', { mqtt: redactUrl(o.mqtt), from: o.filters, to: o.to, dlq: o.dlq });

  const stats = (): IngestStats => ({
    ...s,
    mqttConnected: subscribers.every((sub) => sub.connected),
    mqttReconnects: reconnects(),
    ...(watch?.watching ? { brokerDropped: watch.dropped } : {}),
    ...(watch?.version ? { mqttBroker: watch.version } : {}),
    ...(brokerQueue !== undefined ? { brokerQueue } : {}),
    ...(sequences ? { sequenceGaps: sequences.stats().gaps, sequenceRepeats: sequences.stats().repeats, sequenceResets: sequences.stats().resets } : {}),
  });
  let stopped: Promise<IngestStats> | undefined;
  return {
    stats,
    metrics: () => bridgeMetrics(stats()),
    stop: (opts = {}) =>
      (stopped ??= (async () => {
        stopping = true;
        flush();
        if (s.inFlight > 0) {
          const timeoutMs = opts.timeoutMs ?? 30_000;
          const drained = await Promise.race([new Promise<boolean>((r) => drainWaiters.push(() => r(true))), sleep(timeoutMs).then(() => false)]);
          if (!drained) {
            abandoned = true;
            logger.warn('stop timed out; unacknowledged messages stay with the MQTT broker', { inFlight: s.inFlight });
            // A request kafkajs is still retrying must not land after stop() returned.
            await Promise.race([Promise.allSettled([...inFlightSends]), sleep(10_000)]);
          }
        }
        await Promise.all(subscribers.map((sub) => sub.close()));
        const final = { ...stats(), mqttConnected: false };
        await watch?.close();
        await producer.disconnect().catch(() => undefined);
        if (ownConnection) await conn.close();
        return final;
      })()),
  };
}

function normalize(opts: IngestOptions) {
  const bad = (msg: string, hint?: string) => new KafkalabError(msg, { code: 'BAD_OPTION', hint });
  if (!opts.mqtt) throw bad('ingestMqtt needs an MQTT URL', "pass mqtt: 'mqtt://localhost:1883'");
  if (!opts.to) throw bad('ingestMqtt needs a Kafka topic', "pass to: 'car-sensors'");
  const from = Array.isArray(opts.from) ? opts.from : [opts.from];
  if (!from.length || from.some((f) => !f)) throw bad('ingestMqtt needs at least one MQTT topic filter', "pass from: 'cars/+/sensors'");
  from.forEach(checkFilter);
  const connections = opts.connections ?? 1;
  if (!(Number.isInteger(connections) && connections >= 1 && connections <= 64)) throw bad(`connections must be an integer from 1 to 64, got ${connections}`);
  const group = opts.shareGroup ?? (connections > 1 ? `kafkalab-${shortHash(`${from.join(',')}>${opts.to}`)}` : undefined);
  const filters = group ? from.map((f) => `$share/${group}/${f}`) : from;
  const url = new URL(opts.mqtt.includes('://') ? opts.mqtt : `mqtt://${opts.mqtt}`);
  const positive = (name: string, v: number) => {
    if (!(Number.isInteger(v) && v > 0)) throw bad(`${name} must be a positive integer, got ${v}`);
    return v;
  };
  const maxInFlight = positive('maxInFlight', opts.maxInFlight ?? 500);
  if (maxInFlight > 65535) throw bad(`maxInFlight must be at most 65535 (the MQTT Receive Maximum), got ${maxInFlight}`);
  rememberSecret(opts.password);
  rememberSecret(url.password ? decodeURIComponent(url.password) : undefined);
  rememberSecret(url.password || undefined);
  const dlq: string | false = opts.dlq === false ? false : opts.dlq ?? `${opts.to}.dlq`;
  return {
    mqtt: opts.mqtt,
    filters,
    connections,
    to: opts.to,
    dlq,
    key: opts.key,
    timestamp: opts.timestamp,
    qos: opts.qos ?? 1,
    clientId: opts.clientId ?? `kafkalab-ingest-${shortHash(`${filters.join(',')}>${opts.to}`)}`,
    username: opts.username ?? (url.username ? decodeURIComponent(url.username) : undefined),
    password: opts.password ?? (url.password ? decodeURIComponent(url.password) : undefined),
    sessionExpiry: opts.sessionExpiry ?? 600,
    batchSize: positive('batchSize', opts.batchSize ?? 500),
    lingerMs: opts.lingerMs ?? 5,
    maxInFlight,
    maxBatchesInFlight: positive('maxBatchesInFlight', opts.maxBatchesInFlight ?? 2),
    json: opts.json ?? true,
    required: opts.required ?? [],
    maxBytes: opts.maxBytes ?? 1024 * 1024,
    topicHeader: opts.topicHeader ?? false,
    acks: opts.acks ?? -1,
    watchDrops: opts.watchDrops ?? true,
    probeQueue: opts.probeQueue === true ? 5000 : opts.probeQueue === false || opts.probeQueue === undefined ? 0 : positive('probeQueue', opts.probeQueue),
  };
}

/**
 * Says at start how much of an outage the MQTT side absorbs: measured (probeQueue) it warns when
 * the broker's queue is small; on Mosquitto without a measurement it says what the default is.
 */
function warnAboutQueue(logger: Logger, o: ReturnType<typeof normalize>, watch: BrokerWatch | undefined, queue: number | undefined): void {
  const isMosquitto = watch?.version?.toLowerCase().includes('mosquitto') ?? false;
  const setting = isMosquitto ? 'max_queued_messages in mosquitto.conf' : "the MQTT broker's per-session queue limit";
  if (queue !== undefined && queue < o.probeQueue) {
    const absorbed = o.connections * (o.maxInFlight + queue);
    logger.warn(`the MQTT broker queues at most ${queue} messages per session: a Kafka outage or a stalled bridge loses messages once about ${absorbed} wait (${o.connections} connection(s) x (${o.maxInFlight} in flight + ${queue} queued))`, {
      hint: `raise ${setting}; drops are reported in stats().brokerDropped`,
    });
  } else if (queue !== undefined) {
    logger.info(`the MQTT broker queued all ${queue} probe messages for an absent session`);
  } else if (isMosquitto) {
    logger.info(`MQTT broker is ${watch?.version}: it drops QoS 1 messages beyond max_queued_messages (default 1000) per session; watching its $SYS drop counter`, {
      hint: 'probeQueue: true measures the limit at start',
    });
  } else if (!watch?.watching || !watch.version) {
    logger.info('the MQTT broker publishes no drop counter the bridge knows', { hint: 'pass sequence: "<field>" to count gaps per device' });
  }
}

async function ensureTopics(conn: KafkaConnection, topics: string[], partitions: number | undefined, logger: Logger): Promise<void> {
  try {
    const existing = new Set(await conn.admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (!missing.length) return;
    await conn.admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions: partitions ?? -1, replicationFactor: -1 })), waitForLeaders: true });
  } catch (err) {
    // Auto-creation on produce may still work; a real problem shows up on the first send.
    logger.warn('could not create topics', { topics, error: (err as Error).message });
  }
}

function shortHash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(36);
}
