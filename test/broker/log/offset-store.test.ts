import * as fs from 'fs';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OffsetStore } from '../../../sdk/broker/log';
import { tempDir } from './batches';

const entry = (topic: string, partition: number, offset: number, metadata: string | null = null) => ({
  topic,
  partition,
  offset,
  leaderEpoch: 0,
  metadata,
  commitTimestamp: 1_700_000_000_000 + offset,
});

test('commit, fetch, list, groups; everything survives a reopen', () => {
  const { dir, remove } = tempDir('offsets');
  let s = OffsetStore.open(dir, { flushIntervalMs: 0 });
  s.commit('g1', [entry('a', 0, 5), entry('a', 1, 7, 'meta')]);
  s.commit('g1', [entry('a', 0, 9)]);
  s.commit('g2', [entry('b', 0, 1)]);
  assert.equal(s.fetch('g1', 'a', 0), { offset: 9, leaderEpoch: 0, metadata: null, commitTimestamp: 1_700_000_000_009 });
  assert.is(s.fetch('g1', 'a', 2), undefined);
  assert.is(s.fetch('nobody', 'a', 0), undefined);
  assert.equal(s.groups(), ['g1', 'g2']);
  assert.throws(() => OffsetStore.open(dir), /already open/);
  s.close();
  s = OffsetStore.open(dir);
  assert.equal(s.list('g1'), [entry('a', 0, 9), entry('a', 1, 7, 'meta')]);
  assert.equal(s.list('g2'), [entry('b', 0, 1)]);
  assert.equal(s.list('nobody'), []);
  s.close();
  remove();
});

test('deleting a group or a topic is durable too', () => {
  const { dir, remove } = tempDir('offsets');
  let s = OffsetStore.open(dir, { flushIntervalMs: 0 });
  s.commit('g1', [entry('a', 0, 5), entry('b', 0, 6)]);
  s.commit('g2', [entry('a', 0, 1)]);
  s.commit('g3', [entry('c', 0, 1)]);
  s.deleteTopic('a');
  s.deleteGroup('g3');
  s.deleteGroup('unknown');
  assert.equal(s.groups(), ['g1']);
  s.close();
  s = OffsetStore.open(dir);
  assert.equal(s.groups(), ['g1']);
  assert.equal(s.list('g1'), [entry('b', 0, 6)]);
  s.close();
  remove();
});

test('compaction keeps the file small and the latest offsets exact', () => {
  const { dir, remove } = tempDir('offsets');
  let s = OffsetStore.open(dir, { flushIntervalMs: 0 });
  for (let i = 0; i < 5000; i++) s.commit(`g${i % 3}`, [entry('t', i % 4, i)]);
  const lines = fs.readFileSync(path.join(dir, 'group-offsets.log'), 'utf8').split('\n').length - 1;
  assert.ok(lines <= 1001, `compacted while running (${lines} lines)`);
  s.close();
  s = OffsetStore.open(dir);
  const after = fs.readFileSync(path.join(dir, 'group-offsets.log'), 'utf8').split('\n').length - 1;
  assert.ok(after <= 3, `compacted on open (${after} lines)`);
  // The last commit for group g(i%3), partition i%4: the largest i below 5000 with both residues.
  for (let g = 0; g < 3; g++) {
    for (let p = 0; p < 4; p++) {
      let last = -1;
      for (let i = 0; i < 5000; i++) if (i % 3 === g && i % 4 === p) last = i;
      assert.is(s.fetch(`g${g}`, 't', p)!.offset, last);
    }
  }
  s.close();
  remove();
});

test('a torn last line (crash mid-write) is dropped, earlier commits kept', () => {
  const { dir, remove } = tempDir('offsets');
  let s = OffsetStore.open(dir, { flushIntervalMs: 0 });
  s.commit('g', [entry('t', 0, 10)]);
  s.commit('g', [entry('t', 0, 11)]);
  s.close();
  fs.appendFileSync(path.join(dir, 'group-offsets.log'), '{"c":"g","e":[["t",0,12,0,nu');
  s = OffsetStore.open(dir);
  assert.is(s.fetch('g', 't', 0)!.offset, 11);
  s.commit('g', [entry('t', 0, 13)]);
  s.close();
  s = OffsetStore.open(dir);
  assert.is(s.fetch('g', 't', 0)!.offset, 13);
  s.close();
  remove();
});

test.run();
