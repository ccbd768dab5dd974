/**
 * FrameReader: the same packets whatever way the byte stream is cut into chunks (a packet, or
 * its fixed header, split between chunks; many packets in one chunk), and malformed lengths
 * rejected.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodePublish, FrameReader, PacketType } from '../../sdk/ingest/mqtt-frames';
import { mulberry32 } from '../../sdk/util/prng';

function publish(topic: string, payload: Buffer, id: number): Buffer {
  const t = Buffer.from(topic);
  const body = Buffer.concat([Buffer.from([t.length >> 8, t.length & 0xff]), t, Buffer.from([id >> 8, id & 0xff]), payload]);
  const len: number[] = [];
  let r = body.length;
  do {
    len.push((r & 0x7f) | (r >= 128 ? 0x80 : 0));
    r >>= 7;
  } while (r > 0);
  return Buffer.concat([Buffer.from([(PacketType.PUBLISH << 4) | 2, ...len]), body]);
}

type Frame = [number, number, string];

function read(chunks: Buffer[]): Frame[] {
  const reader = new FrameReader();
  const out: Frame[] = [];
  for (const c of chunks) reader.push(c, (type, flags, body) => out.push([type, flags, body.toString('hex')]));
  return out;
}

// Bodies of 0, 1, 127, 128, 16383, 16384 and 200,000 bytes: 1-, 2- and 3-byte remaining lengths.
const packets = [
  Buffer.from([PacketType.CONNACK << 4, 2, 0, 0]),
  Buffer.from([PacketType.PINGRESP << 4, 0]),
  publish('cars/car-0001/sensors', Buffer.from('{"a":1}'), 1),
  publish('t', Buffer.alloc(127 - 5, 1), 2),
  publish('t', Buffer.alloc(128 - 5, 2), 3),
  publish('cars/x', Buffer.alloc(16383 - 10, 3), 4),
  publish('cars/x', Buffer.alloc(16384 - 10, 4), 5),
  Buffer.from([PacketType.SUBACK << 4, 3, 0, 1, 1]),
  publish('big', Buffer.alloc(200_000, 5), 6),
  Buffer.from([PacketType.PINGRESP << 4, 0]),
];
const stream = Buffer.concat(packets);
const whole = read([stream]);

test('one chunk: every packet with its type, flags and body', () => {
  assert.is(whole.length, packets.length);
  assert.equal(
    whole.map((f) => f[0]),
    [PacketType.CONNACK, PacketType.PINGRESP, PacketType.PUBLISH, PacketType.PUBLISH, PacketType.PUBLISH, PacketType.PUBLISH, PacketType.PUBLISH, PacketType.SUBACK, PacketType.PUBLISH, PacketType.PINGRESP],
  );
  const p = decodePublish(whole[2][1], Buffer.from(whole[2][2], 'hex'), false);
  assert.equal([p.topic, p.payload.toString(), p.qos, p.id], ['cars/car-0001/sensors', '{"a":1}', 1, 1]);
});

test('cut in two at every byte of the small packets, and around the large ones', () => {
  const small = Buffer.concat(packets.slice(0, 5));
  for (let cut = 0; cut <= small.length; cut++) assert.equal(read([small.subarray(0, cut), small.subarray(cut), Buffer.concat(packets.slice(5))]), whole, `cut at ${cut}`);
  const bigAt = Buffer.concat(packets.slice(0, 8)).length;
  for (const cut of [bigAt - 1, bigAt, bigAt + 1, bigAt + 2, bigAt + 3, bigAt + 4, bigAt + 100_000, stream.length - 3])
    assert.equal(read([stream.subarray(0, cut), stream.subarray(cut)]), whole, `cut at ${cut}`);
});

test('random chunkings, down to one byte at a time', () => {
  const rnd = mulberry32(7);
  for (const max of [1, 3, 7, 64, 1500, 65536]) {
    const chunks: Buffer[] = [];
    for (let at = 0; at < stream.length; ) {
      const n = Math.min(stream.length - at, 1 + Math.floor(rnd() * max));
      chunks.push(stream.subarray(at, at + n));
      at += n;
    }
    assert.equal(read(chunks), whole, `chunks of up to ${max} bytes`);
  }
});

test('a remaining length over 4 bytes is rejected, whole or split', () => {
  const bad = Buffer.from([PacketType.PUBLISH << 4, 0xff, 0xff, 0xff, 0xff, 0x01]);
  assert.throws(() => read([bad]), /remaining length longer than 4 bytes/);
  assert.throws(() => read([bad.subarray(0, 2), bad.subarray(2)]), /remaining length longer than 4 bytes/);
});

test.run();
