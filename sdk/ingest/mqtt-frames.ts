/**
 * Reading MQTT control packets from a byte stream, for the packets a subscriber receives
 * (CONNACK, PUBLISH, SUBACK, PINGRESP, DISCONNECT), in MQTT 3.1.1 and 5. This is the bridge's
 * hot path: a PUBLISH payload is a view into the received chunk, never copied, and nothing is
 * allocated per packet beyond the topic string. Outgoing packets are rare except PUBACK, which
 * is four fixed bytes.
 */
import { KafkalabError } from '../util/errors';

export const PacketType = { CONNACK: 2, PUBLISH: 3, PUBACK: 4, SUBACK: 9, PINGRESP: 13, DISCONNECT: 14, AUTH: 15 } as const;

const MAX_REMAINING_LENGTH = 268_435_455;

/** Splits a byte stream into control packets: (type, flags, body). */
export class FrameReader {
  private rest: Buffer | null = null;

  push(chunk: Buffer, onFrame: (type: number, flags: number, body: Buffer) => void): void {
    const b = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    this.rest = null;
    let off = 0;
    for (;;) {
      if (b.length - off < 2) break;
      let len = 0;
      let mul = 1;
      let i = off + 1;
      let complete = false;
      for (let k = 0; k < 4 && i < b.length; k++) {
        const byte = b[i++];
        len += (byte & 0x7f) * mul;
        mul *= 128;
        if ((byte & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete) {
        if (i - off - 1 >= 4) throw new KafkalabError('Malformed MQTT packet: remaining length longer than 4 bytes', { code: 'MQTT_PROTOCOL' });
        break;
      }
      if (len > MAX_REMAINING_LENGTH) throw new KafkalabError('Malformed MQTT packet length', { code: 'MQTT_PROTOCOL' });
      if (b.length - i < len) break;
      onFrame(b[off] >> 4, b[off] & 0x0f, b.subarray(i, i + len));
      off = i + len;
    }
    if (off < b.length) this.rest = b.subarray(off);
  }
}

/** Variable byte integer at `pos`: [value, bytes used]. */
export function readVarInt(buf: Buffer, pos: number): [number, number] {
  let value = 0;
  let mul = 1;
  for (let k = 0; k < 4; k++) {
    if (pos + k >= buf.length) break;
    const byte = buf[pos + k];
    value += (byte & 0x7f) * mul;
    mul *= 128;
    if ((byte & 0x80) === 0) return [value, k + 1];
  }
  throw new KafkalabError('Malformed MQTT variable byte integer', { code: 'MQTT_PROTOCOL' });
}

export interface Publish {
  topic: string;
  payload: Buffer;
  qos: number;
  dup: boolean;
  /** Packet identifier (QoS > 0), else 0. */
  id: number;
}

export function decodePublish(flags: number, body: Buffer, v5: boolean): Publish {
  const topicLen = body.readUInt16BE(0);
  let pos = 2 + topicLen;
  const topic = body.toString('utf8', 2, pos);
  const qos = (flags >> 1) & 0x03;
  let id = 0;
  if (qos > 0) {
    id = body.readUInt16BE(pos);
    pos += 2;
  }
  if (v5) {
    // Properties (message expiry, content type, user properties...) are not forwarded; skip them.
    const [propsLen, used] = readVarInt(body, pos);
    pos += used + propsLen;
  }
  return { topic, payload: body.subarray(pos), qos, dup: (flags & 0x08) !== 0, id };
}

/** CONNACK: session present flag and return (3.1.1) or reason (5) code. */
export function decodeConnack(body: Buffer): { sessionPresent: boolean; code: number } {
  return { sessionPresent: (body[0] & 1) === 1, code: body.length > 1 ? body[1] : 0 };
}

/** SUBACK: the granted QoS or failure code per filter. */
export function decodeSuback(body: Buffer, v5: boolean): number[] {
  let pos = 2;
  if (v5) {
    const [propsLen, used] = readVarInt(body, pos);
    pos += used + propsLen;
  }
  return [...body.subarray(pos)];
}

/** PUBACKs for many packet ids in one buffer (4 bytes each; reason 0 is implied in MQTT 5). */
export function encodePubacks(ids: number[]): Buffer {
  const out = Buffer.allocUnsafe(ids.length * 4);
  for (let i = 0; i < ids.length; i++) {
    const o = i * 4;
    out[o] = PacketType.PUBACK << 4;
    out[o + 1] = 2;
    out[o + 2] = ids[i] >> 8;
    out[o + 3] = ids[i] & 0xff;
  }
  return out;
}
