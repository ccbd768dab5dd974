/**
 * The window restore (sdk/runtime/score/windows.ts) as a property: random pipelines (window
 * sizes, statistics, keys), random key interleavings over partitions with missing readings,
 * repeats, records that cannot be scored and control records, consumed by two consumers that
 * commit with the window checkpoint, crash (back to the last commit), lose partitions to each
 * other and replay uncommitted batches. Every record's features, each time it is scored, equal
 * an uninterrupted run's, to the bit. The partition logs are arrays here; the heavy chaos test
 * does the same against the real broker and app.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import {
  checkpointFrom, FeatureState, PartitionWindows, prepareRows, PIPELINE_VERSION, WINDOW_CHECKPOINT, WINDOW_STATS, windowCheckpoint, windowFeatureNames,
  type PipelineSpec, type WindowRecord, type WindowSource, type WindowStat,
} from '../../../sdk/runtime';

interface Entry {
  key: string | null;
  x: number | null;
  y: number | null;
  control?: boolean;
}

function pipeline(windows: { field: 'x' | 'y'; size: number; stats: WindowStat[] }[], sequence?: number): PipelineSpec {
  const features = ['x', 'y', ...windowFeatureNames(windows)];
  return {
    version: PIPELINE_VERSION, key: 'k', inputs: [{ name: 'x', fill: -1 }, { name: 'y', fill: 0.5 }], windows, features,
    ...(sequence ? { sequence: { length: sequence } } : {}),
    scaler: { kind: 'none', offset: features.map(() => 0), scale: features.map(() => 1) },
    threshold: { value: 1, method: 'fixed' },
    model: { format: 'tfjs-layers', path: 'model.json', inputSize: features.length, layers: [2], activation: 'relu', outputActivation: 'linear' },
    schema: { fields: [] },
  };
}

/** Scores entries in order into `state` (the app's path: prepareRows with each row's offset); returns what the model reads (features, or a sequence model's window) or the problem per entry. */
function feed(spec: PipelineSpec, entries: { e: Entry; offset: number }[], state: FeatureState): string[] {
  const rows = entries.length;
  const p = prepareRows(spec, { k: entries.map((r) => r.e.key), x: entries.map((r) => r.e.x), y: entries.map((r) => r.e.y) }, rows, state, undefined, entries.map((r) => r.offset));
  const out: string[] = entries.map((_, r) => `dead: ${p.problems[r]}`);
  const span = spec.features.length * (spec.sequence?.length ?? 1);
  for (let k = 0; k < p.rows; k++) out[p.index[k]] = Array.from(p.input.subarray(k * span, (k + 1) * span), (v) => Object.is(v, -0) ? '-0' : String(v)).join(',');
  return out;
}

const windowArb = fc.record({
  field: fc.constantFrom<'x' | 'y'>('x', 'y'),
  size: fc.integer({ min: 1, max: 12 }),
  stats: fc.subarray([...WINDOW_STATS], { minLength: 1 }),
});
// Few distinct values so that `run` and equal min/max happen; null is a missing reading (fill),
// 1e39 is beyond float32 (the record is dead and must not touch the windows).
const valueArb = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(0, 1, 2, -3.5, 0.1, 1e-7, 123456.789) }, { weight: 2, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) }, { weight: 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constant(1e39) });
const entryArb = (keys: number): fc.Arbitrary<Entry> =>
  fc.oneof(
    { weight: 20, arbitrary: fc.record({ key: fc.integer({ min: 0, max: keys - 1 }).map((k) => `key-${k}`), x: valueArb, y: valueArb }) },
    { weight: 1, arbitrary: fc.record({ key: fc.constant(null), x: valueArb, y: valueArb }) },
    { weight: 3, arbitrary: fc.constant<Entry>({ key: null, x: null, y: null, control: true }) },
  );

type Action = { kind: 'batch'; partition: number; size: number; commit: boolean; skipControl: boolean } | { kind: 'crash'; consumer: number } | { kind: 'move'; partition: number };
const actionArb = (partitions: number): fc.Arbitrary<Action> =>
  fc.oneof(
    { weight: 8, arbitrary: fc.record({ kind: fc.constant<'batch'>('batch'), partition: fc.integer({ min: 0, max: partitions - 1 }), size: fc.integer({ min: 1, max: 15 }), commit: fc.boolean(), skipControl: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant<'crash'>('crash'), consumer: fc.integer({ min: 0, max: 1 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant<'move'>('move'), partition: fc.integer({ min: 0, max: partitions - 1 }) }) },
  );

const caseArb = fc
  .record({
    windows: fc.array(windowArb, { minLength: 0, maxLength: 3 }),
    // A sequence model's histories of feature rows (sometimes without any windows) must be restored too.
    sequence: fc.option(fc.integer({ min: 2, max: 6 }), { freq: 2, nil: undefined }),
    keys: fc.integer({ min: 1, max: 8 }),
    partitions: fc.integer({ min: 1, max: 3 }),
  })
  .filter((c) => c.windows.length > 0 || c.sequence !== undefined)
  .chain((c) =>
    fc.record({
      windows: fc.constant(c.windows),
      sequence: fc.constant(c.sequence),
      partitions: fc.constant(c.partitions),
      // Each key lives in one partition (producers key records by the window key).
      home: fc.array(fc.integer({ min: 0, max: c.partitions - 1 }), { minLength: c.keys, maxLength: c.keys }),
      entries: fc.array(entryArb(c.keys), { minLength: 1, maxLength: 250, size: 'max' }),
      actions: fc.array(actionArb(c.partitions), { minLength: 1, maxLength: 100, size: 'max' }),
    }),
  );

interface Rec extends WindowRecord {
  e: Entry;
}

test('restored windows give the same features as an uninterrupted run, through crashes, moves and replays', async () => {
  let restores = 0;
  let fromCheckpoint = 0;
  let catchUps = 0;
  let replays = 0;
  const kinds: Record<string, number> = {};
  await fc.assert(
    fc.asyncProperty(caseArb, async (c) => {
      const spec = pipeline(c.windows.map((w) => ({ ...w, stats: [...w.stats] })), c.sequence);
      // The partition logs; a key's records go to its home partition, unkeyed ones to partition 0.
      const logs: Rec[][] = Array.from({ length: c.partitions }, () => []);
      for (const e of c.entries) {
        const p = e.key === null ? 0 : c.home[Number(e.key.slice(4))];
        logs[p].push({ e, offset: String(logs[p].length), timestamp: '0', key: null, value: null });
      }
      const data = (p: number, from: number, to: number) => logs[p].slice(from, to).filter((r) => !r.e.control).map((r) => ({ e: r.e, offset: Number(r.offset) }));
      // The uninterrupted run: each partition's records once, in order.
      const truth = logs.map((log, p) => {
        const got = feed(spec, data(p, 0, log.length), new FeatureState(spec));
        const byOffset = new Map<number, string>();
        data(p, 0, log.length).forEach((r, i) => byOffset.set(r.offset, got[i]));
        return byOffset;
      });

      const committed = logs.map(() => ({ offset: -1, metadata: null as string | null }));
      const source: WindowSource<Rec> = {
        committed: async (p) => committed[p],
        logStart: async () => 0,
        read: async (p, from, to, on) => {
          // In chunks, as fetches come.
          for (let at = from; at < to; at += 7) {
            const chunk = logs[p].slice(at, Math.min(at + 7, to)).filter((r) => !r.e.control);
            if (chunk.length) on(chunk);
          }
        },
        feed: (records, _p, state) => void feed(spec, records.map((r) => ({ e: r.e, offset: Number(r.offset) })), state),
      };
      let consumers = [new PartitionWindows(() => new FeatureState(spec)), new PartitionWindows(() => new FeatureState(spec))];
      const owner = logs.map((_, p) => p % 2);
      const fetchAt = logs.map(() => 0);
      const scoredUpTo = logs.map(() => 0);
      const rewind = (p: number) => (fetchAt[p] = Math.max(0, committed[p].offset));

      for (const a of c.actions) {
        if (a.kind === 'crash') {
          // A new process: no state; its partitions are read again from their commits.
          consumers[a.consumer] = new PartitionWindows(() => new FeatureState(spec));
          logs.forEach((_, p) => owner[p] === a.consumer && rewind(p));
          continue;
        }
        if (a.kind === 'move') {
          owner[a.partition] = 1 - owner[a.partition];
          consumers[1 - owner[a.partition]].keep(logs.map((_, p) => p).filter((p) => owner[p] !== owner[a.partition] && p !== a.partition));
          rewind(a.partition);
          continue;
        }
        const p = a.partition;
        const log = logs[p];
        if (fetchAt[p] >= log.length) {
          // Nothing more to read: a rebalance brings back the last commit (the replay case).
          rewind(p);
          continue;
        }
        const windows = consumers[owner[p]];
        let first = fetchAt[p];
        // A batch may begin past control records (as a kafkajs batch's messages do).
        if (a.skipControl) while (first < log.length && log[first].e.control) first++;
        if (first >= log.length) {
          fetchAt[p] = first;
          continue;
        }
        if (first < scoredUpTo[p]) replays++;
        let state = windows.at(p, first);
        if (!state) {
          const r = await windows.restore(p, first, source);
          state = r.state;
          restores++;
          kinds[r.report.kind] = (kinds[r.report.kind] ?? 0) + 1;
          if (r.report.kind === 'checkpoint') fromCheckpoint++;
          if (r.report.kind === 'catch-up') catchUps++;
          assert.is(r.report.to, first);
        }
        const end = Math.min(log.length, first + a.size);
        const batch = data(p, first, end);
        const got = feed(spec, batch, state);
        batch.forEach((r, i) => assert.is(got[i], truth[p].get(r.offset), `partition ${p} offset ${r.offset}`));
        windows.advance(p, state, end);
        fetchAt[p] = end;
        scoredUpTo[p] = Math.max(scoredUpTo[p], end);
        if (a.commit) committed[p] = { offset: end, metadata: windows.checkpoint(state, end) };
      }
      consumers = [];
    }),
    { numRuns: Number(process.env.WINDOWS_RUNS ?? 300), seed: Number(process.env.WINDOWS_SEED ?? 20261206) },
  );
  console.log(kinds);
  console.log(`restores: ${restores} (${fromCheckpoint} from a checkpoint, ${catchUps} catch-ups), batches replayed: ${replays}`);
  assert.ok(fromCheckpoint > 50 && catchUps > 5 && replays > 50, 'the cases exercised checkpoints, catch-ups and replays');
});

test('the checkpoint is the oldest offset any key still needs, bounded by the window size', () => {
  const spec = pipeline([{ field: 'x', size: 3, stats: ['mean'] }, { field: 'y', size: 2, stats: ['diff'] }]);
  const state = new FeatureState(spec);
  const keys = ['a', 'b', 'a', 'a', 'a', 'b', 'a'];
  feed(spec, keys.map((key, i) => ({ e: { key, x: i, y: i }, offset: 100 + i })), state);
  // a's last 3 readings: offsets 103, 104, 106; b's: 101, 105 (fewer than 3: all of them).
  assert.is(state.earliest(), 101);
  assert.is(windowCheckpoint(state, 107), `${WINDOW_CHECKPOINT}101`);
  assert.is(checkpointFrom(windowCheckpoint(state, 107)), 101);
  feed(spec, [{ e: { key: 'b', x: 1, y: 1 }, offset: 107 }, { e: { key: 'b', x: 1, y: 1 }, offset: 108 }], state);
  assert.is(state.earliest(), 103);
  // Unusable metadata is no checkpoint (then the restore reads from the log start).
  for (const m of [null, '', 'something else', `${WINDOW_CHECKPOINT}x`, `${WINDOW_CHECKPOINT}-1`, `${WINDOW_CHECKPOINT}1e3`, `${WINDOW_CHECKPOINT}99999999999999999999`]) assert.is(checkpointFrom(m), undefined, String(m));
  // A row pushed without its offset leaves nothing honest to commit.
  state.push('c', [1, 1], new Float64Array(spec.features.length));
  assert.is(windowCheckpoint(state, 109), '');
  // No windows: nothing to restore.
  const flat = pipeline([]);
  const s2 = new FeatureState(flat);
  feed(flat, [{ e: { key: 'a', x: 1, y: 1 }, offset: 5 }], s2);
  assert.is(windowCheckpoint(s2, 6), `${WINDOW_CHECKPOINT}6`);
});

test('without a usable checkpoint the restore reads from the log start; a group that never committed starts empty', async () => {
  const spec = pipeline([{ field: 'x', size: 4, stats: ['mean', 'run'] }]);
  const log: Rec[] = Array.from({ length: 50 }, (_, i) => ({ e: { key: `k${i % 3}`, x: i % 5, y: 0 }, offset: String(i), timestamp: '0', key: null, value: null }));
  let reads = 0;
  const mk = (committed: { offset: number; metadata: string | null }, start = 0): WindowSource<Rec> => ({
    committed: async () => committed,
    logStart: async () => start,
    read: async (_p, from, to, on) => {
      reads++;
      on(log.slice(from, to));
    },
    feed: (records, _p, state) => void feed(spec, records.map((r) => ({ e: r.e, offset: Number(r.offset) })), state),
  });
  // A new owner each time (an owner with state behind `to` reads up instead: the catch-up).
  const w = { restore: (p: number, to: number, src: WindowSource<Rec>) => new PartitionWindows(() => new FeatureState(spec)).restore(p, to, src) };
  let r = await w.restore(0, 30, mk({ offset: 30, metadata: null }));
  assert.equal([r.report.kind, r.report.from, r.report.records, r.report.keys], ['log-start', 0, 30, 3]);
  r = await w.restore(0, 20, mk({ offset: -1, metadata: null }));
  assert.equal([r.report.kind, r.report.from, r.report.records, r.report.keys], ['empty', 20, 0, 0]);
  // A checkpoint below the log start (retention deleted what a window held): as much as the log has, and said.
  r = await w.restore(0, 30, mk({ offset: 30, metadata: `${WINDOW_CHECKPOINT}5` }, 10));
  assert.equal([r.report.kind, r.report.from, r.report.records, r.report.truncated], ['checkpoint', 10, 20, true]);
  // A commit beyond the offset to restore to (an operator moved the group back): its checkpoint does not apply.
  r = await w.restore(0, 10, mk({ offset: 40, metadata: `${WINDOW_CHECKPOINT}35` }));
  assert.equal([r.report.kind, r.report.from], ['log-start', 0]);
  assert.ok(reads >= 3);
});

test('a model version swapped in takes over the windows and their positions, or starts them empty', async () => {
  const spec = pipeline([{ field: 'x', size: 3, stats: ['mean', 'diff'] }]);
  const other = pipeline([{ field: 'y', size: 5, stats: ['max'] }]);
  const old = new PartitionWindows(() => new FeatureState(spec));
  const empty: WindowSource<Rec> = { committed: async () => ({ offset: -1, metadata: null }), logStart: async () => 0, read: async () => undefined, feed: () => undefined };
  const { state } = await old.restore(2, 0, empty);
  feed(spec, [0, 1, 2, 3].map((i) => ({ e: { key: `k${i % 2}`, x: i, y: i }, offset: i })), state);
  old.advance(2, state, 4);
  const same = new PartitionWindows(() => new FeatureState(spec));
  same.inherit(old);
  const s2 = same.at(2, 4)!;
  assert.ok(s2, 'positioned where the old version stood');
  assert.is(same.checkpoint(s2, 4), old.checkpoint(state, 4));
  assert.equal(feed(spec, [{ e: { key: 'k0', x: 9, y: 9 }, offset: 4 }], s2), feed(spec, [{ e: { key: 'k0', x: 9, y: 9 }, offset: 4 }], state));
  const changed = new PartitionWindows(() => new FeatureState(other));
  changed.inherit(old);
  const s3 = changed.at(2, 4)!;
  assert.is(s3.size, 0, 'other windows start empty at the swap');
  assert.is(changed.checkpoint(s3, 4), `${WINDOW_CHECKPOINT}4`);
  // A partition without state asks for a restore.
  assert.is(new PartitionWindows(() => new FeatureState(spec)).at(1, 0), undefined);
});

test('one checkpoint covers a shadow model beside the live one: the further-reaching windows set it', () => {
  const live = pipeline([{ field: 'x', size: 2, stats: ['mean'] }]);
  const candidate = pipeline([{ field: 'y', size: 5, stats: ['max'] }], 3);
  const a = new FeatureState(live);
  const b = new FeatureState(candidate);
  const rows = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => ({ e: { key: 'k', x: i, y: i }, offset: 20 + i }));
  feed(live, rows, a);
  feed(candidate, rows, b);
  // live holds offsets 26-27; the candidate's oldest sequence row (25) needs what its key's windows held before it (20-24).
  assert.is(a.earliest(), 26);
  assert.is(b.earliest(), 20);
  assert.is(windowCheckpoint(a, 28, b), `${WINDOW_CHECKPOINT}20`);
  assert.is(windowCheckpoint(b, 28, a), `${WINDOW_CHECKPOINT}20`);
  // A sequence model without windows: its rows only.
  const bare = new FeatureState(pipeline([], 4));
  feed(bare.spec, rows, bare);
  assert.is(bare.earliest(), 24);
});

test.run();
