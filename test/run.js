#!/usr/bin/env node
'use strict';
// Runs each uvu test file in its own Node process (TypeScript through tsx), a few at a time,
// with a time limit per file, then prints one closing line: "N passed, N failed, N skipped".
// A test skipped because its tool is missing prints a SKIP_MARK line (test/helpers/skip.ts):
// it counts as skipped, not passed. A file that ran no test and skipped none counts as failed
// (a test file that silently registers nothing is a bug, not a pass).
// Usage: node test/run.js [dir|file ...] [--exclude a,b] [--jobs N] [--timeout SECONDS]
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const exclude = opt('--exclude', '').split(',').filter(Boolean);
const jobs = Number(opt('--jobs', process.env.TEST_JOBS || '2'));
const timeoutS = Number(opt('--timeout', process.env.TEST_TIMEOUT || '300'));
const filter = opt('--grep', '');
const roots = args.length ? args : ['test'];
const root = path.resolve(__dirname, '..');
const SKIP_MARK = '[skipped]';
const summary = () => `${passed} passed, ${failed} failed, ${skipped} skipped`;

function walk(p, out) {
  const st = fs.statSync(p);
  if (st.isFile()) {
    out.push(p);
    return out;
  }
  for (const name of fs.readdirSync(p).sort()) {
    const full = path.join(p, name);
    if (fs.statSync(full).isDirectory()) {
      if (exclude.includes(name) || name === 'node_modules' || name === 'fixtures') continue;
      walk(full, out);
    } else if (/\.test\.[tj]s$/.test(name)) out.push(full);
  }
  return out;
}

const files = roots.flatMap((r) => walk(path.resolve(r), [])).filter((f) => !filter || f.includes(filter));
let passed = 0, failed = 0, skipped = 0;
const failures = [];
const started = Date.now();

// Each test runs in its own process group (detached) so a hung test can be killed whole; when
// the runner itself is stopped (CI's `timeout`, Ctrl-C), it takes those groups down with it.
const running = new Set();
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    for (const pid of running) try { process.kill(-pid, 'SIGKILL'); } catch {}
    failed += running.size;
    process.stdout.write(`\ntest run stopped by ${sig}\n${summary()}\n`);
    process.exit(1);
  });
}

function runOne(file) {
  return new Promise((resolve) => {
    const rel = path.relative(root, file);
    const t0 = Date.now();
    const child = spawn(process.execPath, ['-r', 'tsx/cjs', file], {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: '0', KAFKALAB_TEST: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    running.add(child.pid);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid, 'SIGKILL'); } catch {}
    }, timeoutS * 1000);
    child.on('close', (code) => {
      running.delete(child.pid);
      clearTimeout(timer);
      const text = out.replace(/\x1b\[[0-9;]*m/g, '');
      const num = (label) => {
        const m = new RegExp(`${label}:\\s+(\\d+)`).exec(text);
        return m ? Number(m[1]) : 0;
      };
      // uvu's Total counts the tests that ran (its own skips are apart); a test that reported a
      // skip through the helper ran and "passed" for uvu, so it moves from passed to skipped.
      const total = num('Total'), marks = text.split(SKIP_MARK).length - 1;
      const ok = Math.max(0, num('Passed') - marks), skip = num('Skipped') + Math.min(marks, num('Passed'));
      let bad = total - num('Passed');
      let note = timedOut ? ` TIMED OUT after ${timeoutS}s` : '';
      if ((code !== 0 || timedOut) && bad === 0) bad = 1; // a crash or hang counts as a failure
      if (!bad && total === 0 && skip === 0) {
        bad = 1;
        note += ' ran no test';
      }
      passed += ok; failed += bad; skipped += skip;
      const secs = ((Date.now() - t0) / 1000).toFixed(1);
      const status = bad ? 'FAIL' : skip ? 'skip' : 'ok  ';
      process.stdout.write(`${status} ${rel} (${ok} passed${skip ? `, ${skip} skipped` : ''} of ${total + num('Skipped')}, ${secs}s)${note}\n`);
      if (bad || process.env.TEST_VERBOSE) {
        failures.push(rel);
        process.stdout.write(out.split('\n').map((l) => '     | ' + l).join('\n') + '\n');
      }
      resolve();
    });
  });
}

// A file with a line `// runner: exclusive <name>` (e.g. `exclusive port-9092`, for tests that put
// a listener on the embedded default port) never runs beside another file naming the same thing:
// they would only skip each other.
const exclusive = new Map(files.map((f) => [f, (/^\/\/ runner: exclusive (\S+)/m.exec(fs.readFileSync(f, 'utf8')) || [])[1]]));
const held = new Set();

(async () => {
  const queue = files.slice();
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, async () => {
    while (queue.length) {
      const i = queue.findIndex((f) => !held.has(exclusive.get(f)));
      if (i < 0) {
        // Only files waiting for something another job holds are left: wait for it to be free.
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      const [file] = queue.splice(i, 1);
      const key = exclusive.get(file);
      if (key) held.add(key);
      try {
        await runOne(file);
      } finally {
        if (key) held.delete(key);
      }
    }
  }));
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (failures.length) process.stdout.write(`\nFailed files:\n${failures.map((f) => '  ' + f).join('\n')}\n`);
  process.stdout.write(`\n${files.length} test files in ${secs}s\n`);
  process.stdout.write(`${summary()}\n`);
  process.exitCode = failed || !files.length ? 1 : 0;
})();
