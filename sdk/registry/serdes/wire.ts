/**
 * Confluent's wire format for schema'd records: magic byte 0, the schema id as a big-endian
 * int32, then (Protobuf only) the message indexes, then the encoded payload. Message indexes
 * locate the message type in its .proto file: a count followed by one index per nesting level,
 * zig-zag varints as Kafka's record fields use; the common case [0] (first top-level message) is
 * the single byte 0.
 *
 * (confluent-kafka-python before 1.8 wrote the indexes as unsigned varints; both agree for [0].)
 */
import { varintSize, writeVarint } from '../../protocol/batch-encoding';
import { Reader } from '../../protocol/reader';

export const MAGIC_BYTE = 0;
export const HEADER_BYTES = 5;

/** Whether bytes could be Confluent-framed (magic 0 and room for an id). */
export function isFramed(buf: Uint8Array | null | undefined): buf is Uint8Array {
  return !!buf && buf.length >= HEADER_BYTES && buf[0] === MAGIC_BYTE;
}

export function schemaIdOf(buf: Uint8Array): number {
  return ((buf[1] << 24) | (buf[2] << 16) | (buf[3] << 8) | buf[4]) >>> 0;
}

/** The framed record: header, message indexes (Protobuf), payload. */
export function frame(id: number, payload: Uint8Array, messageIndexes?: number[]): Buffer {
  const idx = messageIndexes ? encodeMessageIndexes(messageIndexes) : undefined;
  const out = Buffer.allocUnsafe(HEADER_BYTES + (idx?.length ?? 0) + payload.length);
  out[0] = MAGIC_BYTE;
  out.writeUInt32BE(id, 1);
  let at = HEADER_BYTES;
  if (idx) at += idx.copy(out, at);
  out.set(payload, at);
  return out;
}

export function encodeMessageIndexes(indexes: number[]): Buffer {
  if (indexes.length === 1 && indexes[0] === 0) return Buffer.from([0]);
  const size = varintSize(indexes.length) + indexes.reduce((n, i) => n + varintSize(i), 0);
  const out = Buffer.allocUnsafe(size);
  let at = writeVarint(out, 0, indexes.length);
  for (const i of indexes) at = writeVarint(out, at, i);
  return out;
}

/** The message indexes starting at `offset` (after the header) and where the payload starts. */
export function decodeMessageIndexes(buf: Buffer, offset = HEADER_BYTES): { indexes: number[]; payloadStart: number } {
  const r = new Reader(buf, offset);
  const count = r.varint();
  if (count === 0) return { indexes: [0], payloadStart: r.pos };
  if (count < 0 || count > 1000) throw new Error(`invalid Protobuf message-index count ${count}`);
  const indexes: number[] = [];
  for (let i = 0; i < count; i++) indexes.push(r.varint());
  return { indexes, payloadStart: r.pos };
}
