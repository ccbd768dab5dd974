// Per-device gap counting under drops, duplicates and reordering (fast-check): the count is
// the numbers missing below each device's highest, whatever order the others arrived in.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { SequenceGaps } from '../../sdk/ingest/sequence-gaps';

test('gaps = numbers missing below each device’s highest, under drops, duplicates and local reordering', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          n: fc.integer({ min: 1, max: 400 }),
          start: fc.integer({ min: 0, max: 1_000_000 }),
          dropped: fc.array(fc.integer({ min: 0, max: 399 }), { maxLength: 50 }),
          dups: fc.array(fc.integer({ min: 0, max: 399 }), { maxLength: 10 }),
          // the first number stays first (it is where counting starts); at most 5 x 40 places late, within the window
          swaps: fc.array(fc.tuple(fc.integer({ min: 1, max: 399 }), fc.integer({ min: 1, max: 40 })), { maxLength: 5 }),
        }),
        { minLength: 1, maxLength: 5 },
      ),
      fc.integer({ min: 0, max: 1 << 30 }),
      (devices, seed) => {
        const g = new SequenceGaps();
        let expected = 0;
        let repeats = 0;
        const streams = devices.map((d, i) => {
          const drop = new Set(d.dropped.filter((x) => x < d.n && x > 0)); // the first one sets where counting starts
          const seqs: number[] = [];
          for (let k = 0; k < d.n; k++) if (!drop.has(k)) seqs.push(d.start + k);
          for (const x of d.dups) if (x < seqs.length) (seqs.splice(x + 1, 0, seqs[x]), repeats++);
          // Local reordering: a message arrives up to 40 places late (less than the window).
          for (const [at, by] of d.swaps) {
            if (at + by < seqs.length) {
              const [m] = seqs.splice(at, 1);
              seqs.splice(at + by, 0, m);
            }
          }
          const high = Math.max(...seqs);
          for (const x of drop) if (d.start + x < high) expected++;
          return { device: `dev${i}`, seqs };
        });
        // Interleave the devices pseudo-randomly.
        let r = seed;
        const next = () => ((r = (Math.imul(r, 1103515245) + 12345) >>> 0), r);
        const pos = streams.map(() => 0);
        for (;;) {
          const open = streams.map((_, i) => i).filter((i) => pos[i] < streams[i].seqs.length);
          if (!open.length) break;
          const i = open[next() % open.length];
          g.observe(streams[i].device, streams[i].seqs[pos[i]++]);
        }
        const s = g.stats();
        return s.gaps === expected && s.repeats === repeats && s.resets === 0;
      },
    ),
    { numRuns: 300 },
  );
});

test('a device that starts over is a reset, not a gap; memory is bounded by maxDevices', () => {
  const g = new SequenceGaps(3);
  for (let s = 1000; s < 1010; s++) g.observe('a', s);
  g.observe('a', 0); // rebooted
  g.observe('a', 1);
  assert.equal(g.stats(), { gaps: 0, repeats: 0, resets: 1, devices: 1 });
  for (const d of ['b', 'c', 'd', 'e']) g.observe(d, 5);
  assert.is(g.stats().devices, 3);
});

test.run();
