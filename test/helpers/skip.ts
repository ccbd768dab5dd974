/**
 * Skipping a test because a tool it needs is missing (Jupyter, Chromium, pandas, kcat, a Python
 * client, Mosquitto, a free :9092). uvu's `test.skip` is decided when a file is written; these
 * decide while it runs. Each skipped test prints one `[skipped] reason` line, which test/run.js
 * counts as skipped and takes out of the passed count: a missing tool never looks like a pass,
 * and a file whose tests are all skipped does not vanish as `ok (0/0)`.
 */
import { spawnSync } from 'child_process';
import * as net from 'net';
import type { Test } from 'uvu';

/** The line test/run.js counts, one per skipped test (keep in step with SKIP_MARK there). */
export const SKIP_MARK = '[skipped]';

/** Reports the running test as skipped; the caller returns right after (`return skip(...)`). */
export function skip(reason: string): void {
  process.stdout.write(`\n${SKIP_MARK} ${reason}\n`);
}

/**
 * `suite` itself when nothing is missing. When `missing` says what is, a stand-in whose tests
 * each report skipped with that reason, and whose hooks (before, after, each) do not run, so
 * a file that needs the tool everywhere is written as usual: `const test = needing(uvuTest, missingX())`.
 */
export function needing(suite: Test, missing: string | undefined): Test {
  if (missing === undefined) return suite;
  const noHook = Object.assign(() => undefined, { each: () => undefined });
  const skipping = ((name: string) => suite(name, () => skip(`${name}: ${missing}`))) as unknown as Test;
  return Object.assign(skipping, { before: noHook, after: noHook, only: skipping, skip: suite.skip, run: suite.run });
}

/** Why `command` cannot run here (not on PATH), with the install command; undefined when it can. */
export function missingCommand(command: string, install: string, args = ['--version']): string | undefined {
  const r = spawnSync(command, args, { stdio: 'ignore', timeout: 10_000 });
  return r.error ? `${command} is not installed (${install})` : undefined;
}

/** Why /usr/bin/python3 cannot import `modules` (comma-separated), with the install command. */
export function missingPython(modules: string, install: string): string | undefined {
  const r = spawnSync('/usr/bin/python3', ['-c', `import ${modules}`], { stdio: 'ignore', timeout: 30_000 });
  return r.status === 0 ? undefined : `/usr/bin/python3 cannot import ${modules} (${install})`;
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function listening(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.setTimeout(timeoutMs, () => (s.destroy(), resolve(false)));
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}
