/**
 * What an MQTT broker can tell the bridge about loss it causes itself. MQTT has no way to tell
 * a subscriber that messages meant for it were thrown away: Mosquitto drops QoS 1 messages for a
 * client whose queue is full (`max_queued_messages`, default 1000, or `max_queued_bytes`)
 * without a gap in the packet ids. Its only outside signal is the broker-wide counter
 * `$SYS/broker/publish/messages/dropped`, published (retained) every `sys_interval` (10 s by
 * default) when it changed. BrokerWatch follows that counter (or other counter topics a broker
 * offers) from a separate connection and reports what it grew by since the watch started.
 * `probeQueue` measures how many messages the broker queues for a session that is away.
 */
import type { Logger } from '../util/log';
import { MqttSubscriber } from './mqtt-subscriber';
import { sleep } from '../util/retry';

export const MOSQUITTO_DROPPED_TOPIC = '$SYS/broker/publish/messages/dropped';
const VERSION_TOPIC = '$SYS/broker/version';

export interface BrokerWatchOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  /** Topics whose payload is a cumulative count of dropped messages (wildcards allowed). */
  dropTopics: string[];
  logger: Logger;
  /** Called when the count grew: by how much, and the total since the watch started. */
  onDropped?(delta: number, total: number): void;
}

/** How long retained values may take to arrive after the subscription: they are the baseline. */
const SETTLE_MS = 500;

export class BrokerWatch {
  /** The broker's `$SYS/broker/version`, when it publishes one (Mosquitto does). */
  version: string | undefined;
  /** Messages the broker dropped since the watch started (broker-wide: any client's). */
  dropped = 0;
  /** Whether the watch is subscribed. */
  watching = false;
  private readonly base = new Map<string, number>();
  private readonly last = new Map<string, number>();
  private readonly carried = new Map<string, number>();
  private settled = false;
  private discounted = 0;
  private paused = false;
  private readonly sub: MqttSubscriber;

  constructor(private readonly o: BrokerWatchOptions) {
    this.sub = new MqttSubscriber({
      url: o.url,
      filters: [VERSION_TOPIC, ...o.dropTopics],
      clientId: o.clientId,
      username: o.username,
      password: o.password,
      qos: 0,
      receiveMaximum: 100,
      sessionExpirySeconds: 0,
      logger: o.logger,
    });
    this.sub.on('message', (m) => this.onMessage(m.topic, m.payload.toString('utf8')));
    this.sub.on('error', (err: Error) => o.logger.debug('$SYS watch error', { error: err.message }));
  }

  /** Subscribes and takes the counters' current (retained) values as the baseline. Never throws. */
  async start(): Promise<void> {
    try {
      await this.sub.start();
      this.watching = true;
    } catch (err) {
      this.o.logger.warn('cannot watch the MQTT broker for dropped messages ($SYS)', { error: (err as Error).message });
      return;
    }
    await sleep(SETTLE_MS);
    this.settled = true;
  }

  /**
   * Runs something that makes the broker drop messages on purpose (a queue probe), and leaves
   * the `dropped` messages it reports out of the count; nothing is reported meanwhile.
   */
  async excluding<T>(run: () => Promise<T>, dropped: (result: T) => number): Promise<T> {
    this.paused = true;
    try {
      const result = await run();
      this.discounted += dropped(result);
      return result;
    } finally {
      this.paused = false;
      this.recount();
    }
  }

  close(): Promise<void> {
    return this.sub.close();
  }

  private onMessage(topic: string, text: string): void {
    if (topic === VERSION_TOPIC) {
      this.version = text.trim();
      return;
    }
    const v = Number(text.trim());
    if (!Number.isFinite(v)) return;
    const last = this.last.get(topic);
    if (last === undefined) {
      // A retained value arriving with the subscription is where we start; one published later
      // counted from zero (the broker publishes a counter only once it is not zero).
      this.base.set(topic, this.settled ? 0 : v);
    } else if (v < last) {
      // The counter restarted (a broker restart): keep what it had counted since our start.
      this.carried.set(topic, (this.carried.get(topic) ?? 0) + last - (this.base.get(topic) ?? 0));
      this.base.set(topic, 0);
    }
    this.last.set(topic, v);
    this.recount();
  }

  private recount(): void {
    if (this.paused) return;
    let total = -this.discounted;
    for (const [topic, v] of this.last) total += (this.carried.get(topic) ?? 0) + v - (this.base.get(topic) ?? 0);
    total = Math.max(0, total);
    if (total > this.dropped) {
      const delta = total - this.dropped;
      this.dropped = total;
      this.o.onDropped?.(delta, total);
    }
  }
}

export interface QueueProbe {
  /** QoS 1 messages published to a probe topic while its persistent session was away. */
  published: number;
  /** How many of them the broker kept for the session. */
  queued: number;
}

/**
 * Measures the broker's queue for an absent session: subscribes with a persistent session,
 * leaves, publishes `count` tiny QoS 1 messages, comes back and counts what was kept. On
 * Mosquitto that is `max_queued_messages` (when below `count`); the messages beyond it are
 * dropped, and counted in its $SYS counter.
 */
export async function probeQueue(o: { url: string; clientId: string; username?: string; password?: string; count: number; logger: Logger }): Promise<QueueProbe> {
  const mqtt = require('mqtt') as typeof import('mqtt');
  const topic = `kafkalab/queue-probe/${o.clientId}/${Date.now().toString(36)}`;
  const subscriber = (expiry: number, receiveMaximum: number) =>
    new MqttSubscriber({ url: o.url, filters: [topic], clientId: `${o.clientId}-probe`, username: o.username, password: o.password, qos: 1, receiveMaximum, sessionExpirySeconds: expiry, logger: o.logger });
  const away = subscriber(60, 10);
  away.on('error', () => undefined);
  await away.start();
  await away.close();
  const pub = await mqtt.connectAsync(o.url, { clientId: `${o.clientId}-probe-pub`, username: o.username, password: o.password, reconnectPeriod: 0, connectTimeout: 5000 });
  try {
    const payload = Buffer.from('probe');
    await Promise.all(Array.from({ length: o.count }, () => pub.publishAsync(topic, payload, { qos: 1 })));
  } finally {
    await pub.endAsync();
  }
  let queued = 0;
  const back = subscriber(1, 65535);
  back.on('error', () => undefined);
  back.on('message', (m) => {
    queued++;
    m.ack();
  });
  await back.start();
  // Queued messages come at once after the session resumes: done once they stop coming.
  for (let seen = -1, waited = 0; (seen !== queued || (queued === 0 && waited < 2000)) && waited < 10_000; waited += 200) {
    seen = queued;
    await sleep(200);
  }
  await back.close();
  return { published: o.count, queued };
}
