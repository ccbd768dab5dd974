/**
 * A load generator for bench:ingest: publishes simulated car readings at QoS 1 with hand-built
 * MQTT 3.1.1 frames over a few connections, counting PUBACKs. mqtt.js costs ~40 µs of CPU per
 * QoS 1 publication; on a 2-core machine that leaves nothing for the broker and the bridge
 * being measured, so the bench's publishers encode frames themselves, all of them before the
 * timed run starts (prepareLoad).
 */
import * as net from 'net';
import * as mqttPacket from 'mqtt-packet';
import { FrameReader, PacketType } from '../sdk/ingest/mqtt-frames';
import { parseMqttUrl } from '../sdk/ingest/mqtt-subscriber';
import { generateCarReadings } from '../sdk/ingest/simulator';

interface Conn {
  socket: net.Socket;
  outstanding: number;
}

export interface LoadResult {
  published: number;
  acknowledged: number;
  elapsedMs: number;
}

function publishFrame(topic: string, payload: Buffer, id: number): Buffer {
  const topicLen = Buffer.byteLength(topic);
  const remaining = 2 + topicLen + 2 + payload.length;
  const lenBytes = remaining < 128 ? 1 : remaining < 16384 ? 2 : 3;
  const out = Buffer.allocUnsafe(1 + lenBytes + remaining);
  out[0] = (PacketType.PUBLISH << 4) | (1 << 1); // QoS 1
  let r = remaining;
  for (let i = 1; i <= lenBytes; i++) {
    out[i] = (r & 0x7f) | (i < lenBytes ? 0x80 : 0);
    r >>= 7;
  }
  let pos = 1 + lenBytes;
  out.writeUInt16BE(topicLen, pos);
  pos += 2;
  pos += out.write(topic, pos);
  out.writeUInt16BE(id, pos);
  payload.copy(out, pos + 2);
  return out;
}

async function open(url: string, clientId: string, onAck: (c: Conn) => void): Promise<Conn> {
  const { host, port } = parseMqttUrl(url);
  const socket = net.connect({ host, port });
  socket.setNoDelay(true);
  const conn: Conn = { socket, outstanding: 0 };
  const reader = new FrameReader();
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.on('data', (buf: Buffer) =>
      reader.push(buf, (type, _flags, body) => {
        if (type === PacketType.CONNACK) body[1] === 0 ? resolve() : reject(new Error(`CONNACK ${body[1]}`));
        else if (type === PacketType.PUBACK) {
          conn.outstanding--;
          onAck(conn);
        }
      }),
    );
    socket.once('connect', () => socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId, clean: true, keepalive: 60 } as mqttPacket.IConnectPacket)));
  });
  return conn;
}

export interface LoadOptions {
  url: string;
  prefix: string;
  firstCar: number;
  cars: number;
  count: number;
  /** Messages/s in total; Infinity = as fast as the window of unacknowledged publications per connection allows. */
  rate: number;
  connections?: number;
  window?: number;
}

/**
 * Generates and encodes every frame up front (the simulator and JSON.stringify cost ~10 µs per
 * reading, more than the components being measured), so that publishing is only socket writes
 * of ready bytes. Each connection's frames lie back to back in one Buffer, in publishing order,
 * with packet ids assigned in sequence, so a run writes slices of it without allocating.
 */
export function prepareLoad(opts: LoadOptions): { run(): Promise<LoadResult> } {
  const connections = opts.connections ?? 4;
  const readings = generateCarReadings({ cars: opts.cars, firstCar: opts.firstCar, readingsPerCar: Math.ceil(opts.count / opts.cars), seed: 1 });
  const perConn: Buffer[][] = Array.from({ length: connections }, () => []);
  const nextId = new Array<number>(connections).fill(1);
  const connOf = new Uint8Array(opts.count);
  const endOf = new Int32Array(opts.count); // offset after the frame, in its connection's buffer
  const used = new Array<number>(connections).fill(0);
  let n = 0;
  for (const r of readings) {
    if (n >= opts.count) break;
    const ci = (Number(r.carId.slice(4)) - opts.firstCar) % connections;
    const id = nextId[ci];
    nextId[ci] = id >= 65535 ? 1 : id + 1;
    const frame = publishFrame(`${opts.prefix}/${r.carId}/sensors`, Buffer.from(JSON.stringify(r)), id);
    perConn[ci].push(frame);
    used[ci] += frame.length;
    connOf[n] = ci;
    endOf[n] = used[ci];
    n++;
  }
  const bytes = perConn.map((frames) => Buffer.concat(frames));
  return { run: () => publishPrepared(opts, connections, bytes, connOf, endOf, n) };
}

/** Publishes and waits for every PUBACK. */
export async function publishLoad(opts: LoadOptions): Promise<LoadResult> {
  return prepareLoad(opts).run();
}

async function publishPrepared(opts: LoadOptions, connections: number, bytes: Buffer[], connOf: Uint8Array, endOf: Int32Array, count: number): Promise<LoadResult> {
  const window = opts.window ?? 2000;
  let acknowledged = 0;
  const waiters: (() => void)[] = [];
  const conns: Conn[] = [];
  const onAck = () => {
    acknowledged++;
    if (waiters.length) waiters.splice(0).forEach((w) => w());
  };
  for (let i = 0; i < connections; i++) conns.push(await open(opts.url, `bench-load-${process.pid}-${i}`, onAck));
  const t0 = Date.now();
  let published = 0;
  const written = new Array<number>(connections).fill(0); // bytes handed to each socket so far
  const queued = new Array<number>(connections).fill(0); // frames not yet written per connection
  const reached = new Array<number>(connections).fill(0); // end offset of the last queued frame
  const flush = () => {
    for (let i = 0; i < connections; i++) {
      if (!queued[i]) continue;
      conns[i].socket.write(bytes[i].subarray(written[i], reached[i]));
      written[i] = reached[i];
      queued[i] = 0;
    }
  };
  for (let m = 0; m < count; m++) {
    const ci = connOf[m];
    const c = conns[ci];
    while (c.outstanding >= window) {
      flush();
      await new Promise<void>((w) => waiters.push(w));
    }
    if (Number.isFinite(opts.rate)) {
      const due = t0 + (published / opts.rate) * 1000;
      const wait = due - Date.now();
      if (wait > 1) {
        flush();
        await new Promise((res) => setTimeout(res, wait));
      }
    }
    c.outstanding++;
    reached[ci] = endOf[m];
    published++;
    if (++queued[ci] >= 64) flush();
  }
  flush();
  while (acknowledged < published) await new Promise<void>((w) => waiters.push(w));
  const elapsedMs = Date.now() - t0;
  for (const c of conns) c.socket.end(mqttPacket.generate({ cmd: 'disconnect' } as mqttPacket.IDisconnectPacket));
  return { published, acknowledged, elapsedMs };
}
