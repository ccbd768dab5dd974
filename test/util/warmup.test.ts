import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { enableCompileCache, warmInBackground } from '../../sdk/util/warmup';

test('compile cache: on where Node has it (22.1+), a no-op on Node 20', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-cc-'));
  const got = enableCompileCache(dir);
  const has = typeof (require('module') as { enableCompileCache?: unknown }).enableCompileCache === 'function';
  if (has) assert.ok(got && got.startsWith(dir), `cache folder ${got}`);
  else assert.is(got, undefined);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('warm-up: loads in order, one per turn, a failing module does not stop the rest', async () => {
  const seen: string[] = [];
  const keepAlive = setInterval(() => {}, 1000); // the warm-up's timers are unref'd, as in the kernel
  const done = warmInBackground([() => seen.push('a'), () => { throw new Error('not installed'); }, () => seen.push('c')], 1);
  assert.equal(seen, [], 'nothing runs before the caller yields');
  await done;
  clearInterval(keepAlive);
  assert.equal(seen, ['a', 'c']);
});

test.run();
