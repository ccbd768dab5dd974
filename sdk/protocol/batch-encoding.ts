/**
 * The small pieces every hand-written record-batch encoder needs: zig-zag varints on plain
 * numbers, 64-bit integers from numbers, and the Java client's key partitioner. Used by the
 * MQTT bridge's producer and, copied verbatim at export time, by exported scoring apps, so this
 * file imports nothing.
 */

/** Bytes of `n` as a zig-zag varint (or varlong: arithmetic keeps values beyond 32 bits exact). */
export function varintSize(n: number): number {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  let size = 1;
  while (z >= 128) {
    z = Math.floor(z / 128);
    size++;
  }
  return size;
}

/** Writes `n` as a zig-zag varint at `at`; returns the position after it. */
export function writeVarint(b: Uint8Array, at: number, n: number): number {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  while (z >= 128) {
    b[at++] = (z % 128) | 128;
    z = Math.floor(z / 128);
  }
  b[at++] = z;
  return at;
}

/** A safe integer (epoch ms, -1) as a big-endian int64, without BigInt. */
export function writeInt64(b: Buffer, at: number, v: number): void {
  b.writeInt32BE(Math.floor(v / 0x100000000), at);
  b.writeUInt32BE(v >>> 0, at + 4);
}

/** The Java client's murmur2 (kafkajs's DefaultPartitioner): a key lands where a Java producer would put it. */
export function murmur2(data: Uint8Array): number {
  const m = 0x5bd1e995;
  const len = data.length;
  let h = 0x9747b28c ^ len;
  const whole = len & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    h = Math.imul(h, m) ^ Math.imul(k, m);
  }
  const tail = len & 3;
  if (tail === 3) h ^= data[whole + 2] << 16;
  if (tail >= 2) h ^= data[whole + 1] << 8;
  if (tail >= 1) h = Math.imul(h ^ data[whole], m);
  h ^= h >>> 13;
  h = Math.imul(h, m);
  return h ^ (h >>> 15);
}

/** The partition of a keyed record among `partitions`, as the Java client and kafkajs choose it. */
export function keyPartition(key: Uint8Array, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}
