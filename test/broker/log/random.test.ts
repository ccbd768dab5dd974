// Randomized model check: random batch shapes and timestamps, random read sizes, small segments
// and index intervals, retention, clean and unclean reopens; every answer is compared with a
// plain in-memory model of the log. Seeded, so a failure replays.
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PartitionLog } from '../../../sdk/broker/log';
import { buildBatch, parseBatches, tempDir } from './batches';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

for (const seed of [1, 2, 3, 4]) {
  test(`model check, seed ${seed}`, () => {
    const rand = rng(seed);
    const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const { dir, remove } = tempDir('random');
    const pdir = path.join(dir, 't-0');
    const config = { segmentBytes: int(300, 3000), indexIntervalBytes: int(0, 600), retentionMs: -1, retentionBytes: -1 };
    let log = PartitionLog.open(pdir, 't', 0, { config });
    const model: Array<{ value: string; ts: number }> = [];
    let clock = 1_000_000;
    let start = 0;
    for (let step = 0; step < 400; step++) {
      const action = rand();
      if (action < 0.6) {
        const n = int(1, 12);
        const records = Array.from({ length: n }, () => {
          clock += int(-3, 10); // mostly increasing, sometimes out of order
          return { value: `${model.length}-${'x'.repeat(int(0, 80))}`, timestamp: clock };
        });
        const r = log.append(buildBatch(records, { compression: rand() < 0.2 ? 'gzip' : 'none' }), 3);
        assert.is(r.baseOffset, model.length);
        for (const rec of records) model.push({ value: rec.value, ts: rec.timestamp });
      } else if (action < 0.8 && model.length > start) {
        const from = int(start, model.length - 1);
        const batches = parseBatches(log.read(from, int(1, 2000)));
        assert.ok(batches.length > 0);
        assert.ok(batches[0].baseOffset <= from && from <= batches[0].lastOffset, 'first batch holds the offset');
        for (const b of batches) {
          assert.ok(b.crcOk);
          if (b.values.length) assert.equal(b.values, model.slice(b.baseOffset, b.lastOffset + 1).map((m) => m.value));
        }
      } else if (action < 0.9) {
        const target = clock - int(0, 400);
        const found = log.offsetForTimestamp(target);
        let expected = -1;
        for (let i = start; i < model.length; i++) {
          if (model[i].ts >= target) {
            expected = i;
            break;
          }
        }
        if (expected < 0) assert.is(found, null, `no record at or after ${target}`);
        else assert.equal(found, { offset: expected, timestamp: model[expected].ts }, `lookup ${target}`);
      } else if (action < 0.95) {
        const clean = rand() < 0.5;
        log.close();
        if (!clean) {
          // A crash mid-append: part of an unacknowledged batch at the end of the active segment.
          const active = fs.readdirSync(pdir).filter((f) => f.endsWith('.log')).sort().at(-1)!;
          const torn = buildBatch([{ value: 'torn', timestamp: clock }, { value: 'torn2', timestamp: clock }]);
          fs.appendFileSync(path.join(pdir, active), torn.subarray(0, int(1, torn.length - 1)));
        }
        log = PartitionLog.open(pdir, 't', 0, { config, verifyCrc: !clean });
        assert.is(log.nextOffset, model.length);
        assert.is(log.logStartOffset, start);
      } else {
        log.setConfig({ ...config, retentionBytes: int(500, 4000) });
        log.enforceRetention();
        start = log.logStartOffset;
        assert.ok(start <= model.length);
        log.setConfig(config);
      }
    }
    log.close();
    assert.ok(fs.readdirSync(pdir).length >= 3);
    remove();
  });
}

test.run();
