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

/**
 * Splits a byte stream into control packets: (type, flags, body). Bodies are views into the
 * received chunks; only a packet split between chunks is copied, once, when its last piece
 * arrives (the rest of that chunk is read in place).
 */
export class FrameReader {
  /** Pieces of a packet split between chunks, their length, and the packet's once its fixed header is complete (else -1). */
  private pieces: Buffer[] = [];
  private piecesLength = 0;
  private splitTotal = -1;

  push(chunk: Buffer, onFrame: (type: number, flags: number, body: Buffer) => void): void {
    let off = 0;
    if (this.piecesLength) {
      if (this.splitTotal < 0) {
        // An incomplete fixed header is at most 4 bytes; 5 more decide it.
        const head = Buffer.concat([...this.pieces, chunk.subarray(0, 5)]);
        this.splitTotal = frameLength(head, 0);
        if (this.splitTotal < 0) {
          this.pieces = [head]; // all of the chunk
          this.piecesLength = head.length;
          return;
        }
      }
      const need = this.splitTotal - this.piecesLength;
      if (chunk.length < need) {
        this.pieces.push(chunk);
        this.piecesLength += chunk.length;
        return;
      }
      this.pieces.push(chunk.subarray(0, need));
      const packet = Buffer.concat(this.pieces, this.splitTotal);
      this.pieces = [];
      this.piecesLength = 0;
      this.splitTotal = -1;
      off = need;
      onFrame(packet[0] >> 4, packet[0] & 0x0f, packet.subarray(packet.length - bodyLength(packet, 0)));
    }
    while (off < chunk.length) {
      const total = frameLength(chunk, off);
      if (total < 0 || chunk.length - off < total) {
        this.pieces = [chunk.subarray(off)];
        this.piecesLength = chunk.length - off;
        this.splitTotal = total;
        return;
      }
      const end = off + total;
      onFrame(chunk[off] >> 4, chunk[off] & 0x0f, chunk.subarray(end - bodyLength(chunk, off), end));
      off = end;
    }
  }
}

/** Bytes of the packet at `off` (fixed header and body), or -1 while its fixed header is incomplete. */
function frameLength(b: Buffer, off: number): number {
  let len = 0;
  let mul = 1;
  for (let k = 0; k < 4; k++) {
    const i = off + 1 + k;
    if (i >= b.length) return -1;
    const byte = b[i];
    len += (byte & 0x7f) * mul;
    mul *= 128;
    if ((byte & 0x80) === 0) {
      if (len > MAX_REMAINING_LENGTH) throw new KafkalabError('Malformed MQTT packet length', { code: 'MQTT_PROTOCOL' });
      return 2 + k + len;
    }
  }
  throw new KafkalabError('Malformed MQTT packet: remaining length longer than 4 bytes', { code: 'MQTT_PROTOCOL' });
}

/** The remaining length of the complete packet at `off`. */
function bodyLength(b: Buffer, off: number): number {
  let len = 0;
  let mul = 1;
  for (let i = off + 1; ; i++) {
    len += (b[i] & 0x7f) * mul;
    if ((b[i] & 0x80) === 0) return len;
    mul *= 128;
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
