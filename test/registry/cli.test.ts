// `kafkalab broker --schema-registry-port 0`: the registry's line after the broker's, a working
// registry on the printed URL, schemas kept across a restart of the command, clean stop.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { callRegistry } from './helpers';

function startCli(dir: string) {
  const cli = path.join(__dirname, '..', 'broker', 'run-cli.ts');
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', cli, 'broker', '--port', '0', '--schema-registry-port', '0', '--data-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready lines in 30s: ${out} ${err}`)), 30_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /^kafkalab broker listening on 127\.0\.0\.1:\d+\nkafkalab schema registry listening on (http:\/\/127\.0\.0\.1:\d+)\n$/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code}: ${err}`));
    });
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, ready, exited, output: () => out };
}

test('the broker command runs a registry, prints its URL second, keeps schemas across restarts', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-registry-cli-'));
  try {
    const first = startCli(dir);
    const url = await first.ready;
    const r = await callRegistry(url, 'POST', '/subjects/cli-value/versions', { schema: '{"type":"record","name":"C","fields":[{"name":"a","type":"int"}]}' });
    assert.equal(r.body, { id: 1 });
    first.child.kill('SIGTERM');
    assert.is(await first.exited, 0);
    assert.is(first.output().split('\n').filter(Boolean).length, 2, 'two lines on stdout');

    const second = startCli(dir);
    const url2 = await second.ready;
    assert.equal((await callRegistry(url2, 'GET', '/subjects/cli-value/versions')).body, [1]);
    second.child.kill('SIGINT');
    assert.is(await second.exited, 0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
