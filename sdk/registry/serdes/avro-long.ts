/**
 * Exact Avro longs in avsc.
 *
 * avsc 5.7 writes a long beyond ±2^30 by zig-zagging it in a double (2|n| - 1 for a negative n),
 * and reads one beyond 2^28 by summing the zig-zag value in a double before halving it. Past
 * 2^53 that double rounds: every negative long below -2^52 is written as a positive number (or
 * its neighbour), -(2^52 + 1) comes back as 2^52, and a long written exactly by any other client
 * (Java, librdkafka, Python) is read with its sign flipped. Both happen silently, inside avsc's
 * "safe integer" range.
 *
 * This module replaces avsc's varint long reader and writer (Tap.readLong/writeLong, which its
 * int type shares) with ones that take the sign apart first, so the magnitude never needs more
 * than 53 bits: exact for every safe integer, the same bytes as avsc for every value it got
 * right. Values beyond 2^53 still read as the nearest doubles avsc's long type then rejects
 * ("potential precision loss"). It is installed once, when this module loads; a self-check
 * round-trips edge values and leaves avsc as it was if its internals are not the expected shape.
 * The compiled column reader (runtime/decode/schema/avro-columns.ts, readLong) reads the same way.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import * as avro from 'avsc';

interface TapLike {
  buf: Buffer;
  pos: number;
}

/** Writes `n` (a safe integer) as a zig-zag varint at tap.pos, as avsc does but exactly. */
function writeLong(this: TapLike, n: number): void {
  const buf = this.buf;
  if (n >= -1073741824 && n < 1073741824) {
    // 31-bit zig-zag: integer arithmetic (avsc's own fast path).
    let m = n >= 0 ? n << 1 : (~n << 1) | 1;
    do {
      buf[this.pos] = m & 0x7f;
      m >>= 7;
    } while (m && (buf[this.pos++] |= 0x80));
  } else if (n > -4503599627370496 && n < 4503599627370496) {
    // |n| < 2^52: the zig-zag value fits a double's 53 bits (avsc's own float path).
    let f = n >= 0 ? n * 2 : -n * 2 - 1;
    do {
      buf[this.pos] = f & 0x7f;
      f /= 128;
    } while (f >= 1 && (buf[this.pos++] |= 0x80));
  } else {
    // Sign first: the magnitude (|n|, or |n| - 1 when negative) stays within 53 bits.
    const negative = n < 0;
    let m = negative ? -n - 1 : n;
    buf[this.pos] = ((m % 64) << 1) | (negative ? 1 : 0);
    m = Math.floor(m / 64);
    while (m >= 1 && (buf[this.pos++] |= 0x80)) {
      buf[this.pos] = m % 128;
      m = Math.floor(m / 128);
    }
  }
  this.pos++;
}

/** Reads a zig-zag varint at tap.pos (past the end reads as zeros: avsc checks the position after). */
function readLong(this: TapLike): number {
  const buf = this.buf;
  let b = buf[this.pos++];
  let n = b & 0x7f;
  let k = 7;
  while (b & 0x80 && k < 28) {
    b = buf[this.pos++];
    n |= (b & 0x7f) << k;
    k += 7;
  }
  if (b & 0x80) {
    // Longer than four bytes: sign first, then the magnitude in a double (exact to 2^53).
    const negative = n & 1;
    let m = n >>> 1;
    let scale = 2 ** 27;
    do {
      b = buf[this.pos++];
      m += (b & 0x7f) * scale;
      scale *= 128;
    } while (b & 0x80);
    return negative ? -m - 1 : m;
  }
  return (n >>> 1) ^ -(n & 1);
}

/** avsc's long accepts magnitudes up to 2^53 - 2. */
const EDGES = [0, -1, 1, 63, -64, 2 ** 30, -(2 ** 30) - 1, 2 ** 52, -(2 ** 52), 2 ** 52 + 1, -(2 ** 52) - 1, -(2 ** 52) - 2, 2 ** 53 - 2, 2 - 2 ** 53, 3 - 2 ** 53];

/** Whether avsc's long type round-trips every edge value. */
function exact(): boolean {
  try {
    const t = avro.Type.forSchema('long');
    return EDGES.every((v) => t.fromBuffer(t.toBuffer(v)) === v);
  } catch {
    return false;
  }
}

let state: 'exact' | 'patched' | 'unpatched' | undefined;

/** Installs the exact reader and writer (idempotent); says what avsc has now. */
export function installExactAvroLongs(): 'exact' | 'patched' | 'unpatched' {
  if (state) return state;
  if (exact()) return (state = 'exact'); // an avsc that got it right already
  let tap: any;
  try {
    // avsc's index does not export Tap; its utils module does (avsc 5.x).
    tap = (require('avsc/lib/utils') as any).Tap?.prototype;
  } catch {
    tap = undefined;
  }
  if (!tap || typeof tap.readLong !== 'function' || typeof tap.writeLong !== 'function') return (state = 'unpatched');
  const before = { readInt: tap.readInt, readLong: tap.readLong, writeInt: tap.writeInt, writeLong: tap.writeLong };
  tap.readInt = tap.readLong = readLong;
  tap.writeInt = tap.writeLong = writeLong;
  if (exact()) return (state = 'patched');
  Object.assign(tap, before);
  return (state = 'unpatched');
}

installExactAvroLongs();
