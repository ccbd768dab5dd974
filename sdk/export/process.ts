/**
 * Installing, building and running an exported app as child processes: what the end-to-end
 * test and the scoring benchmark do, and what a notebook can use to try an app locally.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as path from 'path';
import { KafkalabError } from '../util/errors';
import { retry, sleep } from '../util/retry';

export interface AppProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** HTTP port of /healthz and /metrics, known once the app logged it. */
  readonly port: number;
  /** Parsed JSON log lines so far (non-JSON lines are kept as { raw }). */
  readonly logs: Record<string, unknown>[];
  /** Resolves once /healthz answers 200 (model loaded, group joined). */
  ready(timeoutMs?: number): Promise<void>;
  metrics(): Promise<string>;
  kill(signal?: NodeJS.Signals): void;
  /** Resolves with the exit code (or the signal name) when the process ends. */
  readonly exited: Promise<number | string>;
}

/** Runs a command in `cwd`; rejects with its output when it fails. */
export function runIn(cwd: string, command: string, args: string[], timeoutMs = 600_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new KafkalabError(`\`${command} ${args.join(' ')}\` failed in ${cwd} (exit ${code}):\n${out.slice(-4000)}`, { code: 'EXPORT_RUN' }));
    });
  });
}

/** npm install (from npm's cache when it can) and npm run build. */
export async function installAndBuild(dir: string): Promise<void> {
  await runIn(dir, 'npm', ['install', '--prefer-offline', '--no-audit', '--no-fund']);
  await runIn(dir, 'npm', ['run', 'build']);
}

export function startAppProcess(dir: string, env: Record<string, string>): Promise<AppProcess> {
  // Extra node flags for the app (profiling, --inspect): KAFKALAB_APP_NODE_FLAGS="--cpu-prof".
  const flags = (process.env.KAFKALAB_APP_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, ['--max-semi-space-size=64', ...flags, path.join(dir, 'dist', 'src', 'main.js')], {
    cwd: dir,
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let port = 0;
  let buffered = '';
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return new Promise((resolve, reject) => {
    const onLine = (line: string) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line);
      } catch {
        entry = { raw: line };
      }
      logs.push(entry);
      if (entry.msg === 'http listening' && typeof entry.port === 'number') {
        port = entry.port;
        resolve(handle);
      }
    };
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        onLine(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
    });
    child.stderr!.on('data', (d: Buffer) => logs.push({ stderr: d.toString('utf8') }));
    void exited.then((code) => reject(new KafkalabError(`the app exited (${code}) before serving HTTP: ${JSON.stringify(logs.slice(-5))}`, { code: 'EXPORT_RUN' })));
    const handle: AppProcess = {
      child,
      pid: child.pid!,
      get port() {
        return port;
      },
      logs,
      exited,
      kill: (signal = 'SIGTERM') => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      },
      // A kept-alive socket the app's HTTP server has just closed fails one fetch ('fetch failed',
      // seen under load): try again on a new connection while the app is alive.
      metrics: () =>
        retry(async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text(), {
          attempts: 4,
          initialMs: 100,
          maxMs: 1000,
          retriable: () => child.exitCode === null && child.signalCode === null,
        }),
      ready: async (timeoutMs = 60_000) => {
        const deadline = Date.now() + timeoutMs;
        while (Date.now() < deadline) {
          if (child.exitCode !== null) throw new KafkalabError(`the app exited (${child.exitCode}): ${JSON.stringify(logs.slice(-5))}`, { code: 'EXPORT_RUN' });
          try {
            if ((await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200) return;
          } catch {
            // not listening yet
          }
          await sleep(100);
        }
        throw new KafkalabError(`the app was not ready after ${timeoutMs} ms: ${JSON.stringify(logs.slice(-5))}`, { code: 'EXPORT_RUN' });
      },
    };
  });
}

/** Reads one counter or gauge (summed over its label sets) from Prometheus text. */
export function metricValue(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(name + ' ') || line.startsWith(name + '{')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
