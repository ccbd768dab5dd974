/** Runs `kafkalab <args>` from the TypeScript sources as its own process, stdout and stderr together. */
import { spawn, type ChildProcess } from 'child_process';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');

export function kafkalab(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; out: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', path.join(ROOT, 'test', 'broker', 'run-cli.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out: () => out, exit };
}
