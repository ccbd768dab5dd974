// kill -9 in the middle of an append stream: every acknowledged record and commit survives and
// the log is consistent (contiguous offsets, valid CRCs), then takes new appends.
import { spawn } from 'child_process';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LogManager, OffsetStore } from '../../../sdk/broker/log';
import { parseBatches, tempDir, valuesBatch } from './batches';

test('kill -9 during appends loses nothing acknowledged', async () => {
  const { dir, remove } = tempDir('crash');
  const acked = [-1, -1];
  for (let round = 0; round < 2; round++) {
    const child = spawn(process.execPath, ['-r', 'tsx/cjs', path.join(__dirname, 'fixtures', 'crash-writer.ts'), dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buffered = '';
    let lines = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('writer produced too little in 30 s')), 30_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const parts = buffered.split('\n');
        buffered = parts.pop()!;
        for (const line of parts) {
          const [, p, last] = line.split(' ');
          acked[Number(p)] = Math.max(acked[Number(p)], Number(last));
          lines++;
        }
        if (lines >= 3000 && child.exitCode === null && !child.killed) {
          child.kill('SIGKILL');
          clearTimeout(timer);
        }
      });
      child.on('exit', () => resolve());
    });
  }
  const logs = LogManager.open(path.join(dir, 'topics'));
  const offsets = OffsetStore.open(path.join(dir, 'groups'));
  for (const p of [0, 1]) {
    const log = logs.partition('crash', p)!;
    assert.ok(log.nextOffset > acked[p], `partition ${p}: next ${log.nextOffset} > acked ${acked[p]}`);
    let expected = 0;
    while (expected < log.nextOffset) {
      for (const b of parseBatches(log.read(expected, 1 << 20))) {
        assert.is(b.baseOffset, expected, 'contiguous offsets');
        assert.ok(b.crcOk, 'valid CRC');
        expected = b.lastOffset + 1;
      }
    }
    assert.ok(log.segmentCount > 1, 'rolled during the run');
    assert.ok(offsets.fetch('g', 'crash', p)!.offset >= acked[p] + 1, 'acknowledged commit survived');
    assert.ok(offsets.fetch('g', 'crash', p)!.offset <= log.nextOffset);
    const r = log.append(valuesBatch('after', 2), 0);
    assert.is(r.baseOffset, expected);
  }
  offsets.close();
  logs.close();
  remove();
});

test.run();
