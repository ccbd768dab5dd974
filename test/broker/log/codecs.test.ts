// Decompression for storage: LZ4 and zstd frames written by the real `lz4`/`zstd` tools, snappy
// built tag by tag from its format description, gzip from zlib; corrupt and oversized input.
import { spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gzipSync } from 'zlib';
import { CorruptCompression, canDecompress, decompress } from '../../../sdk/broker/log/codecs';
import { lz4StoredFrame, snappyLiterals } from './batches';

const LIMIT = 64 * 1024 * 1024;

/** Inputs that exercise literals, short and long matches, overlapping copies and incompressible runs. */
function samples(): Buffer[] {
  const text = Buffer.from(Array.from({ length: 3000 }, (_, i) => `{"car":${i % 37},"speed":${(i * 7) % 130},"ok":true}`).join('\n'));
  return [
    Buffer.alloc(0),
    Buffer.from('a'),
    text,
    Buffer.alloc(300_000, 0x61), // one long overlapping match
    randomBytes(200_000), // stored or literal-only blocks
    Buffer.concat([randomBytes(70_000), text, randomBytes(10), Buffer.alloc(5000, 7), text]),
  ];
}

function tool(cmd: string, args: string[], input: Buffer): Buffer | null {
  const r = spawnSync(cmd, args, { input, maxBuffer: 64 << 20 });
  if (r.error || r.status !== 0) return null;
  return r.stdout;
}

test('LZ4 frames from the lz4 tool: independent and linked blocks, checksums, content size', () => {
  if (tool('lz4', ['-c'], Buffer.from('x')) === null) {
    console.log('  skip: lz4 tool not installed');
    return;
  }
  const variants = [['-c'], ['-c', '-BD', '-B4'], ['-c', '-BX', '--content-size'], ['-c', '-9', '--no-frame-crc', '-B5']];
  for (const data of samples()) {
    for (const args of variants) {
      const frame = tool('lz4', args, data)!;
      const out = decompress(3, frame, LIMIT);
      assert.ok(Buffer.isBuffer(out) && out.equals(data), `lz4 ${args.join(' ')} of ${data.length} bytes`);
    }
  }
  assert.ok(Buffer.isBuffer(decompress(3, lz4StoredFrame(Buffer.from('stored')), LIMIT)));
});

test('zstd frames from the zstd tool where this Node has zstd, else "unavailable"', () => {
  const frame = tool('zstd', ['-c', '-q'], samples()[2]);
  if (frame === null) {
    console.log('  skip: zstd tool not installed');
    return;
  }
  if (!canDecompress(4)) {
    assert.is(decompress(4, frame, LIMIT), 'unavailable');
    return;
  }
  for (const data of samples()) {
    const out = decompress(4, tool('zstd', ['-c', '-q', '-19'], data)!, LIMIT);
    assert.ok(Buffer.isBuffer(out) && out.equals(data), `zstd of ${data.length} bytes`);
  }
});

/** Snappy built from its format: each op is a literal or a copy, encoded with the tag kind it names. */
type SnappyOp = { lit: Buffer } | { back: number; len: number; kind: 1 | 2 | 3 };

function encodeSnappy(ops: SnappyOp[]): { encoded: Buffer; expected: Buffer } {
  const out: number[] = [];
  const plain: number[] = [];
  const body: number[] = [];
  for (const op of ops) {
    if ('lit' in op) {
      const n = op.lit.length - 1;
      if (n < 60) body.push(n << 2);
      else body.push(61 << 2, n & 0xff, n >> 8);
      for (const b of op.lit) {
        body.push(b);
        plain.push(b);
      }
      continue;
    }
    const back = Math.min(op.back, plain.length);
    if (back === 0) continue;
    let len = op.len;
    if (op.kind === 1) {
      len = 4 + (len % 8);
      if (back >= 2048) continue;
      body.push(1 | ((len - 4) << 2) | ((back >> 8) << 5), back & 0xff);
    } else if (op.kind === 2) {
      body.push(2 | ((len - 1) << 2), back & 0xff, back >> 8);
    } else {
      body.push(3 | ((len - 1) << 2), back & 0xff, (back >> 8) & 0xff, 0, 0);
    }
    for (let i = 0; i < len; i++) plain.push(plain[plain.length - back]);
  }
  for (let n = plain.length; ; ) {
    out.push(n > 0x7f ? (n & 0x7f) | 0x80 : n);
    n = Math.floor(n / 128);
    if (n === 0) break;
  }
  return { encoded: Buffer.from([...out, ...body]), expected: Buffer.from(plain) };
}

test('snappy: every tag kind, overlapping copies, xerial framing (property)', () => {
  const op: fc.Arbitrary<SnappyOp> = fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 200 }).map((a) => ({ lit: Buffer.from(a) })),
    fc.record({ back: fc.integer({ min: 1, max: 3000 }), len: fc.integer({ min: 1, max: 64 }), kind: fc.constantFrom(1 as const, 2 as const, 3 as const) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      const { encoded, expected } = encodeSnappy(ops);
      const raw = decompress(2, encoded, LIMIT);
      assert.ok(Buffer.isBuffer(raw) && raw.equals(expected), 'raw snappy');
      // Java clients frame snappy the xerial way: magic, version, compat, then length-prefixed blocks.
      const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
      const second = snappyLiterals(Buffer.from('tail'));
      const len = (b: Buffer) => Buffer.from([b.length >>> 24, (b.length >> 16) & 0xff, (b.length >> 8) & 0xff, b.length & 0xff]);
      const framed = decompress(2, Buffer.concat([header, len(encoded), encoded, len(second), second]), LIMIT);
      assert.ok(Buffer.isBuffer(framed) && framed.equals(Buffer.concat([expected, Buffer.from('tail')])), 'xerial');
    }),
    { numRuns: 300, seed: 13 },
  );
});

test('garbage input throws CorruptCompression (never hangs, never another error) for every codec', () => {
  fc.assert(
    fc.property(fc.constantFrom(1, 2, 3), fc.uint8Array({ maxLength: 300 }), (codec, bytes) => {
      try {
        const out = decompress(codec, Buffer.from(bytes), 1 << 20);
        assert.ok(Buffer.isBuffer(out) || out === 'too-large');
      } catch (err) {
        assert.instance(err, CorruptCompression);
      }
    }),
    { numRuns: 2000, seed: 7 },
  );
  // Well-formed headers followed by bad references.
  assert.throws(() => decompress(2, Buffer.from([10, 1 | (2 << 2), 5]), LIMIT), (e: Error) => e instanceof CorruptCompression);
  const badMatch = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82, 4, 0, 0, 0, 0x10, 0x61, 9, 0, 0, 0, 0, 0]);
  assert.throws(() => decompress(3, badMatch, LIMIT), (e: Error) => e instanceof CorruptCompression);
});

test('output is capped: a small bomb answers "too-large" instead of inflating', () => {
  const zeros = Buffer.alloc(8 << 20);
  assert.is(decompress(1, gzipSync(zeros), 1 << 20), 'too-large');
  const lz4 = tool('lz4', ['-c'], zeros);
  if (lz4) assert.is(decompress(3, lz4, 1 << 20), 'too-large');
  const snappyClaim = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x04]); // preamble says 1 GiB
  assert.is(decompress(2, snappyClaim, 1 << 20), 'too-large');
  assert.ok(Buffer.isBuffer(decompress(1, gzipSync(zeros), 16 << 20)));
});

test.run();
