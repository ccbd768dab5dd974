/**
 * A subscribing MQTT 5 client whose PUBACKs the caller sends, for many messages at once.
 *
 * Why not mqtt.js: its `customHandleAcks` delays the PUBACK, but mqtt.js also stops reading the
 * socket until that callback runs, so only one QoS 1 message can wait for Kafka at a time. Here
 * every delivered message waits on its own, up to the Receive Maximum we announce; the broker
 * stops sending beyond that, which is the backpressure a Kafka outage needs. The session is
 * persistent by default, so messages not yet acknowledged are redelivered after a reconnect.
 * Incoming packets are read by mqtt-frames.ts (no copy of payloads); the few outgoing control
 * packets (CONNECT, SUBSCRIBE, PINGREQ, DISCONNECT) are encoded by mqtt-packet.
 */
import { EventEmitter } from 'events';
import * as net from 'net';
import * as tls from 'tls';
import * as mqttPacket from 'mqtt-packet';
import { KafkalabError } from '../util/errors';
import type { Logger } from '../util/log';
import { decodeConnack, decodePublish, decodeSuback, encodePubacks, FrameReader, PacketType } from './mqtt-frames';
import { backoff } from '../util/retry';

export interface DeliveredMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
  /** True when the broker marks it as a redelivery (DUP): it may already be in Kafka. */
  redelivered: boolean;
  /** Sends the PUBACK (QoS 1) on the connection that delivered it; a no-op for QoS 0 or a lost connection. */
  ack(): void;
}

export interface MqttSubscriberOptions {
  url: string;
  filters: string[];
  clientId: string;
  username?: string;
  password?: string;
  /** Maximum QoS of the subscriptions (QoS 2 publications arrive as QoS 1). Default 1. */
  qos?: 0 | 1;
  /** Un-acknowledged QoS 1 messages the broker may send us (MQTT 5 Receive Maximum). */
  receiveMaximum: number;
  /** Keep the session (subscriptions, unacked and queued messages) for this many seconds after a disconnect; 0 = clean session. */
  sessionExpirySeconds: number;
  keepaliveSeconds?: number;
  /** TLS options for mqtts:// URLs. */
  tls?: tls.ConnectionOptions;
  logger: Logger;
}

/** MQTT 5 first (Receive Maximum bounds what is in flight); 3.1.1 for brokers without 5, such as aedes. */
type ProtocolVersion = 5 | 4;
const MAX_BACKOFF_MS = 5000;

/** Emits 'message' (DeliveredMessage), 'connect', 'offline', 'error'. */
export class MqttSubscriber extends EventEmitter {
  private socket: net.Socket | undefined;
  private generation = 0;
  private closed = false;
  /** Reconnects in a row since the last CONNACK: the backoff grows with it. */
  private failedReconnects = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private awaitingPong = false;
  private nextPacketId = 1;
  private pendingAcks: number[] = [];
  private flushScheduled = false;
  connected = false;
  reconnects = 0;
  private subackTimer: NodeJS.Timeout | undefined;
  private readyGen = 0;
  protocolVersion: ProtocolVersion = 5;

  private readonly target: { host: string; port: number; secure: boolean };

  constructor(private readonly opts: MqttSubscriberOptions) {
    super();
    this.target = parseMqttUrl(opts.url);
  }

  /** Resolves once the first CONNACK and SUBACK arrived; rejects when the first attempt fails. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onReady = () => {
        this.off('fatal', onFatal);
        resolve();
      };
      const onFatal = (err: Error) => {
        this.off('ready', onReady);
        this.closed = true;
        reject(err);
      };
      this.once('ready', onReady);
      this.once('fatal', onFatal);
      this.open(true);
    });
  }

  private open(first: boolean): void {
    const gen = ++this.generation;
    const { host, port, secure } = this.target;
    const socket = secure ? tls.connect({ host, port, servername: host, ...this.opts.tls }) : net.connect({ host, port });
    socket.setNoDelay(true);
    this.socket = socket;
    const reader = new FrameReader();
    const onFrame = (type: number, flags: number, body: Buffer) => this.onPacket(type, flags, body, gen, first);
    socket.on('data', (buf: Buffer) => {
      try {
        reader.push(buf, onFrame);
      } catch (err) {
        this.fail(gen, err as Error, first);
      }
    });
    socket.on('error', (err) => this.fail(gen, err, first));
    socket.on('close', () => this.fail(gen, new Error('connection closed'), first));
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      this.write(gen, {
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: this.protocolVersion,
        clientId: this.opts.clientId,
        clean: this.opts.sessionExpirySeconds === 0,
        keepalive: this.opts.keepaliveSeconds ?? 30,
        username: this.opts.username,
        password: this.opts.password === undefined ? undefined : Buffer.from(this.opts.password),
        ...(this.protocolVersion === 4 ? {} : { properties: { sessionExpiryInterval: this.opts.sessionExpirySeconds, receiveMaximum: this.opts.receiveMaximum } }),
      } as mqttPacket.IConnectPacket);
    });
  }

  private onPacket(type: number, flags: number, body: Buffer, gen: number, first: boolean): void {
    if (gen !== this.generation) return;
    const v5 = this.protocolVersion === 5;
    switch (type) {
      case PacketType.PUBLISH: {
        const p = decodePublish(flags, body, v5);
        this.emit('message', new Delivery(p.topic, p.payload, p.qos === 0 ? 0 : 1, p.dup, p.id, gen, this));
        break;
      }
      case PacketType.CONNACK: {
        const { code, sessionPresent } = decodeConnack(body);
        this.opts.logger.debug('CONNACK', { code, sessionPresent, protocolVersion: this.protocolVersion });
        if (code === 1 && v5) {
          // "Unacceptable protocol version" in 3.1.1 terms: the broker does not speak MQTT 5.
          this.opts.logger.info('MQTT broker does not support MQTT 5; using 3.1.1 (no Receive Maximum: the broker sets the in-flight window)');
          this.protocolVersion = 4;
          this.generation++;
          this.socket?.destroy();
          this.open(first);
          return;
        }
        if (code !== 0) {
          const err = new KafkalabError(`MQTT broker at ${this.opts.url} refused the connection (reason code ${code})`, {
            code: 'MQTT_REFUSED',
            hint: code === 134 || code === 135 || code === 4 || code === 5 ? 'check the MQTT username and password' : 'check the broker address and its logs',
          });
          this.fail(gen, err, first, true);
          return;
        }
        this.connected = true;
        this.failedReconnects = 0;
        this.schedulePing(gen);
        // Subscribing again on a resumed session is harmless and covers a session the broker lost.
        this.write(gen, {
          cmd: 'subscribe',
          messageId: this.packetId(),
          subscriptions: this.opts.filters.map((topic) => ({ topic, qos: this.opts.qos ?? 1, nl: false, rap: false, rh: 0 })),
        } as mqttPacket.ISubscribePacket);
        // A resumed session already holds the subscriptions, and its SUBACK can be lost:
        // Mosquitto drops any packet once 1000 wait on a socket, as after resending a large
        // backlog. Without a session, the SUBACK must come.
        this.subackTimer = setTimeout(() => this.fail(gen, new Error('no SUBACK within 10 s'), first), 10_000);
        if (sessionPresent) this.ready(gen);
        break;
      }
      case PacketType.SUBACK: {
        const codes = decodeSuback(body, v5);
        this.opts.logger.debug('SUBACK', { codes });
        const bad = codes.findIndex((c) => c >= 0x80);
        if (bad >= 0) {
          const err = new KafkalabError(`MQTT broker refused the subscription to "${this.opts.filters[bad]}" (reason code ${codes[bad]})`, {
            code: 'MQTT_SUBSCRIBE_REFUSED',
            hint: 'check the topic filter syntax and the broker ACLs',
          });
          this.fail(gen, err, first, true);
          return;
        }
        clearTimeout(this.subackTimer);
        this.ready(gen);
        break;
      }
      case PacketType.PINGRESP:
        this.awaitingPong = false;
        break;
      case PacketType.DISCONNECT:
        this.fail(gen, new Error(`broker sent DISCONNECT (reason code ${body.length ? body[0] : 0})`), first);
        break;
      default:
        break;
    }
  }

  private ready(gen: number): void {
    if (this.readyGen === gen) return;
    this.readyGen = gen;
    clearTimeout(this.subackTimer);
    this.emit(this.reconnects === 0 ? 'ready' : 'connect');
  }

  /** PUBACKs of one event-loop turn go out in one socket write. @internal */
  queueAck(gen: number, messageId: number): void {
    if (gen !== this.generation || !this.connected) return;
    this.pendingAcks.push(messageId);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const acks = this.pendingAcks;
      this.pendingAcks = [];
      if (gen === this.generation && this.socket && acks.length) this.socket.write(encodePubacks(acks));
    });
  }

  private packetId(): number {
    const id = this.nextPacketId;
    this.nextPacketId = id >= 65535 ? 1 : id + 1;
    return id;
  }

  private write(gen: number, packet: mqttPacket.Packet): void {
    if (gen !== this.generation || !this.socket) return;
    this.socket.write(mqttPacket.generate(packet, { protocolVersion: this.protocolVersion }));
  }

  private schedulePing(gen: number): void {
    clearInterval(this.pingTimer);
    const everyMs = ((this.opts.keepaliveSeconds ?? 30) * 1000) / 2;
    this.pingTimer = setInterval(() => {
      if (this.awaitingPong) return this.fail(gen, new Error('no PINGRESP within the keepalive'), false);
      this.awaitingPong = true;
      this.write(gen, { cmd: 'pingreq' } as mqttPacket.IPingreqPacket);
    }, everyMs);
    this.pingTimer.unref();
  }

  private fail(gen: number, err: Error, first: boolean, fatal = false): void {
    if (gen !== this.generation) return;
    this.generation++; // ignore everything the old socket still emits
    const wasConnected = this.connected;
    this.connected = false;
    this.awaitingPong = false;
    this.pendingAcks = [];
    clearTimeout(this.subackTimer);
    clearInterval(this.pingTimer);
    this.socket?.destroy();
    this.socket = undefined;
    if (this.closed) return;
    if (first && this.reconnects === 0 && !wasConnected) {
      const e =
        err instanceof KafkalabError
          ? err
          : new KafkalabError(`Cannot reach the MQTT broker at ${this.opts.url} (${(err as NodeJS.ErrnoException).code ?? err.message})`, {
              code: 'MQTT_UNREACHABLE',
              retriable: true,
              hint: 'start one (Mosquitto, or startMqttBroker() / the embedded one in `kafkalab demo`) or pass another --mqtt URL',
              cause: err,
            });
      this.emit('fatal', e);
      return;
    }
    if (fatal) this.emit('error', err);
    if (wasConnected) this.emit('offline', err);
    const delay = backoff(this.failedReconnects++, { initialMs: 100, maxMs: MAX_BACKOFF_MS });
    this.opts.logger.warn('MQTT connection lost; reconnecting', { error: err.message, inMs: delay });
    this.reconnectTimer = setTimeout(() => {
      this.reconnects++;
      this.open(false);
    }, delay);
  }

  /** Sends DISCONNECT (the session stays on the broker for sessionExpirySeconds) and closes. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.subackTimer);
    clearInterval(this.pingTimer);
    const socket = this.socket;
    this.generation++;
    this.socket = undefined;
    if (!socket) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        socket.destroy();
        resolve();
      }, 1000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (this.pendingAcks.length) socket.write(encodePubacks(this.pendingAcks));
      socket.end(mqttPacket.generate({ cmd: 'disconnect', reasonCode: 0 } as mqttPacket.IDisconnectPacket, { protocolVersion: this.protocolVersion }));
    });
  }
}

class Delivery implements DeliveredMessage {
  private acked = false;

  constructor(
    readonly topic: string,
    readonly payload: Buffer,
    readonly qos: 0 | 1,
    readonly redelivered: boolean,
    private readonly id: number,
    private readonly gen: number,
    private readonly owner: MqttSubscriber,
  ) {}

  ack(): void {
    if (this.acked || this.qos === 0) return;
    this.acked = true;
    this.owner.queueAck(this.gen, this.id);
  }
}

export function parseMqttUrl(url: string): { host: string; port: number; secure: boolean } {
  let u: URL;
  try {
    u = new URL(url.includes('://') ? url : `mqtt://${url}`);
  } catch {
    throw new KafkalabError(`Invalid MQTT URL "${url}"`, { code: 'BAD_OPTION', hint: 'use mqtt://host:1883 or mqtts://host:8883' });
  }
  const secure = u.protocol === 'mqtts:' || u.protocol === 'ssl:' || u.protocol === 'tls:';
  if (!secure && u.protocol !== 'mqtt:' && u.protocol !== 'tcp:') {
    throw new KafkalabError(`Unsupported MQTT URL scheme "${u.protocol}" in ${url}`, { code: 'BAD_OPTION', hint: 'use mqtt:// or mqtts:// (WebSocket URLs are not supported by the bridge)' });
  }
  return { host: u.hostname || 'localhost', port: u.port ? Number(u.port) : secure ? 8883 : 1883, secure };
}
