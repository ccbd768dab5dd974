// kill -9 of a process that appends to a compacted topic while compaction passes run: after
// every crash the log opens cleanly (no leftover pass files), every record is intact, and the
// latest value of every key is at least its last acknowledged one (nothing acknowledged lost).
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LogManager } from '../../../sdk/broker/log';
import { parseBatches, readRecords, tempDir } from './batches';

test('kill -9 during compaction passes loses nothing acknowledged', async () => {
  const { dir, remove } = tempDir('compact-crash');
  const acked = new Map<string, number>();
  let next = 0;
  let passes = 0;
  const interrupted: string[] = [];
  for (let round = 0; round < 5; round++) {
    const child = spawn(process.execPath, ['-r', 'tsx/cjs', path.join(__dirname, 'fixtures', 'compaction-writer.ts'), dir, String(next)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    // Kill at a different moment each round: some milliseconds after the Nth pass began.
    const killAfterPasses = 2 + round * 2;
    const delayMs = [0, 2, 5, 9, 14][round];
    let buffered = '';
    let seen = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('writer made too little progress in 120 s')), 120_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) {
          const [kind, key, value] = line.split(' ');
          if (kind === 'ack') acked.set(key, Math.max(acked.get(key) ?? -1, Number(value)));
          else if (kind === 'clean' && ++seen === killAfterPasses) {
            setTimeout(() => child.kill('SIGKILL'), delayMs);
            clearTimeout(timer);
          }
        }
      });
      child.on('exit', () => resolve());
    });
    passes += seen;
    next = Math.max(...acked.values()) + 10_000; // past anything written but not acknowledged

    const logger = { debug() {}, warn() {}, error() {}, info: (msg: string) => void (/interrupted compaction/.test(msg) && interrupted.push(msg)), child: () => logger };
    const logs = LogManager.open(path.join(dir, 'topics'), { cleanerIntervalMs: 0, logger });
    const log = logs.partition('cmp', 0)!;
    const pdir = path.join(dir, 'topics', 'cmp-0');
    assert.equal(fs.readdirSync(pdir).filter((f) => /cleaned|swap/.test(f)), [], `round ${round}: no leftover pass files`);
    const latest = new Map<string, number>();
    let last = -1;
    for (const r of readRecords(log)) {
      assert.ok(r.offset > last, 'offsets increase');
      last = r.offset;
      latest.set(r.key!, Number(r.value));
    }
    for (let o = log.logStartOffset; o < log.nextOffset; ) {
      const batches = parseBatches(log.read(o, 1 << 20));
      for (const b of batches) assert.ok(b.crcOk, `CRC at ${b.baseOffset}`);
      o = batches[batches.length - 1].lastOffset + 1;
    }
    for (const [key, value] of acked) assert.ok((latest.get(key) ?? -1) >= value, `round ${round}: ${key} latest ${latest.get(key)} >= acked ${value}`);
    logs.close();
  }
  assert.ok(passes >= 15, `compaction ran (${passes} passes)`);
  // How often the kill landed inside a pass depends on timing, so it is reported, not asserted;
  // compaction.test.ts covers both recovery paths deterministically.
  console.log(`  ${passes} passes, ${interrupted.length} of 5 kills inside a pass (${interrupted.join('; ')})`);
  remove();
});

test.run();
