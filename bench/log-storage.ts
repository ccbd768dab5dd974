// Storage throughput of the broker's partition log, next to plain file I/O of the same bytes
// in the same run: append (rewrite headers, write, index) vs fs.writeSync; sequential 1 MiB
// reads vs fs.readSync; and timestamp lookups. Usage: node dist/bench/log-storage.js [records]
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { crc32c } from '../sdk/protocol/crc32c';
import { PartitionLog } from '../sdk/broker/log';

const RECORDS = Number(process.argv[2] ?? 1_000_000);
const VALUE = 100;
const T0 = 1_700_000_000_000;

/** An uncompressed v2 batch of `n` records with 100-byte values, one ms apart. */
function batch(n: number, firstTs: number): Buffer {
  const recordBody = 1 + 1 + 3 + 1 + 2 + VALUE + 1; // attrs, tsDelta, offsetDelta, key(-1), len, value, headers
  const buf = Buffer.alloc(61 + n * (recordBody + 2));
  let at = 61;
  for (let i = 0; i < n; i++) {
    buf[at++] = ((recordBody * 2) & 0x7f) | 0x80; // zig-zag varint length (2 bytes)
    buf[at++] = (recordBody * 2) >> 7;
    buf[at++] = 0;
    buf[at++] = Math.min(i * 2, 126);
    buf[at++] = (i * 2) & 0x7f | 0x80; buf[at++] = ((i * 2) >> 7) & 0x7f | 0x80; buf[at++] = (i * 2) >> 14;
    buf[at++] = 1; // key length -1
    buf[at++] = (VALUE * 2) & 0x7f | 0x80; buf[at++] = (VALUE * 2) >> 7;
    buf.fill(97 + (i % 26), at, at + VALUE);
    at += VALUE;
    buf[at++] = 0;
  }
  buf.writeInt32BE(buf.length - 12, 8);
  buf[16] = 2;
  buf.writeInt32BE(n - 1, 23);
  buf.writeBigInt64BE(BigInt(firstTs), 27);
  buf.writeBigInt64BE(BigInt(firstTs + Math.min(n - 1, 63)), 35);
  buf.writeBigInt64BE(-1n, 43);
  buf.writeInt32BE(n, 57);
  buf.writeUInt32BE(crc32c(buf, 21), 17);
  return buf;
}

function rate(label: string, records: number, bytes: number, ms: number): void {
  const s = ms / 1000;
  console.log(`${label.padEnd(44)} ${(records / s / 1e6).toFixed(2).padStart(6)} M records/s  ${(bytes / s / 1e6).toFixed(0).padStart(5)} MB/s  (${ms.toFixed(0)} ms)`);
}

for (const perBatch of [1000, 10]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-bench-log-'));
  const batches = Array.from({ length: Math.ceil(RECORDS / perBatch) }, (_, i) => batch(perBatch, T0 + i * 64));
  const total = batches.length * perBatch;
  const bytes = batches.reduce((n, b) => n + b.length, 0);
  console.log(`\n${total} records of ${VALUE} B in batches of ${perBatch} (${(bytes / 1e6).toFixed(0)} MB)`);

  let t = performance.now();
  const plain = fs.openSync(path.join(dir, 'plain.bin'), 'w+');
  let pos = 0;
  for (const b of batches) pos += fs.writeSync(plain, b, 0, b.length, pos);
  rate('baseline: fs.writeSync of the same bytes', total, bytes, performance.now() - t);

  const log = PartitionLog.open(path.join(dir, 't-0'), 't', 0, { config: { segmentBytes: 64 << 20 } });
  t = performance.now();
  for (const b of batches) log.append(b, 0);
  rate('PartitionLog.append', total, bytes, performance.now() - t);

  t = performance.now();
  const chunk = Buffer.allocUnsafe(1 << 20);
  for (let p = 0; p < pos; ) p += fs.readSync(plain, chunk, 0, chunk.length, p);
  rate('baseline: fs.readSync 1 MiB chunks', total, bytes, performance.now() - t);

  t = performance.now();
  let read = 0;
  let readBytes = 0;
  for (let offset = 0; offset < log.nextOffset; ) {
    const data = log.read(offset, 1 << 20);
    readBytes += data.length;
    for (let at = 0; at < data.length; at += 12 + data.readInt32BE(at + 8)) {
      read += data.readInt32BE(at + 57);
      offset = Number(data.readBigInt64BE(at)) + data.readInt32BE(at + 23) + 1;
    }
  }
  rate('PartitionLog.read 1 MiB (sequential consumer)', read, readBytes, performance.now() - t);

  const lookups = 2000;
  t = performance.now();
  for (let i = 0; i < lookups; i++) {
    const ts = T0 + Math.floor(((i * 7919) % lookups) / lookups * batches.length) * 64 + 5;
    if (!log.offsetForTimestamp(ts)) throw new Error(`no offset for ${ts}`);
  }
  const ms = performance.now() - t;
  console.log(`${'offsetForTimestamp (random targets)'.padEnd(44)} ${(ms * 1000 / lookups).toFixed(0).padStart(6)} us/lookup over ${log.segmentCount} segments`);

  t = performance.now();
  log.close();
  const reopened = PartitionLog.open(path.join(dir, 't-0'), 't', 0, { verifyCrc: true });
  console.log(`${'reopen with CRC check of the active segment'.padEnd(44)} ${(performance.now() - t).toFixed(0).padStart(6)} ms (next offset ${reopened.nextOffset})`);
  reopened.close();
  fs.closeSync(plain);
  fs.rmSync(dir, { recursive: true, force: true });
}
