/**
 * A load generator for bench:ingest: publishes simulated car readings at QoS 1 with hand-built
 * MQTT 3.1.1 frames over a few connections, counting PUBACKs. mqtt.js costs ~40 µs of CPU per
 * QoS 1 publication; on a 2-core machine that leaves nothing for the broker and the bridge
 * being measured, so the bench's publishers encode frames themselves (~5 µs each).
 */
import * as net from 'net';
import * as mqttPacket from 'mqtt-packet';
import { FrameReader, PacketType } from '../sdk/ingest/mqtt-frames';
import { parseMqttUrl } from '../sdk/ingest/mqtt-subscriber';
import { generateCarReadings } from '../sdk/ingest/simulator';

interface Conn {
  socket: net.Socket;
  nextId: number;
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
  const conn: Conn = { socket, nextId: 1, outstanding: 0 };
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

/**
 * Publishes `count` readings of cars firstCar.. firstCar+cars-1 to `<prefix>/<carId>/sensors`,
 * paced at `rate` messages/s in total (Infinity = as fast as the window of unacknowledged
 * publications per connection allows), and waits for every PUBACK.
 */
export async function publishLoad(opts: { url: string; prefix: string; firstCar: number; cars: number; count: number; rate: number; connections?: number; window?: number }): Promise<LoadResult> {
  const window = opts.window ?? 2000;
  let acknowledged = 0;
  const waiters: (() => void)[] = [];
  const conns: Conn[] = [];
  const onAck = () => {
    acknowledged++;
    if (waiters.length) waiters.splice(0).forEach((w) => w());
  };
  for (let i = 0; i < (opts.connections ?? 4); i++) conns.push(await open(opts.url, `bench-load-${process.pid}-${i}`, onAck));
  const readings = generateCarReadings({ cars: opts.cars, firstCar: opts.firstCar, readingsPerCar: Math.ceil(opts.count / opts.cars), seed: 1 });
  const t0 = Date.now();
  let published = 0;
  const pending: Buffer[][] = conns.map(() => []);
  const flush = () => {
    pending.forEach((frames, i) => {
      if (frames.length) conns[i].socket.write(frames.length === 1 ? frames[0] : Buffer.concat(frames));
      pending[i] = [];
    });
  };
  for (const r of readings) {
    if (published >= opts.count) break;
    const ci = (Number(r.carId.slice(4)) - opts.firstCar) % conns.length;
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
    const id = c.nextId;
    c.nextId = id >= 65535 ? 1 : id + 1;
    c.outstanding++;
    pending[ci].push(publishFrame(`${opts.prefix}/${r.carId}/sensors`, Buffer.from(JSON.stringify(r)), id));
    published++;
    if (pending[ci].length >= 64) flush();
  }
  flush();
  while (acknowledged < published) await new Promise<void>((w) => waiters.push(w));
  const elapsedMs = Date.now() - t0;
  for (const c of conns) c.socket.end(mqttPacket.generate({ cmd: 'disconnect' } as mqttPacket.IDisconnectPacket));
  return { published, acknowledged, elapsedMs };
}
