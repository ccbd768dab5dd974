/**
 * Helpers for bench:ingest: a Mosquitto instance of the bench's own (for the backlog drain,
 * which needs a queue limit the system Mosquitto does not have) and per-process CPU readings
 * from /proc, so that every run prints where the two cores went.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

/** CPU time (user + system) of a process in ms, from /proc/<pid>/stat; undefined when unreadable (not Linux, gone). */
export function cpuMsOf(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the command: state is [0], utime [11], stime [12], in clock ticks (USER_HZ, 100 on Linux).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

/** Busy CPU time of the whole machine in ms (all cores: every /proc/stat field but idle and iowait). */
export function machineBusyMs(): number | undefined {
  try {
    const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = cpu;
    return ((user + nice + system + irq + softirq + steal) * 1000) / 100;
  } catch {
    return undefined;
  }
}

/** The pid of the system Mosquitto from its pid file, when readable. */
export function systemMosquittoPid(): number | undefined {
  for (const f of ['/run/mosquitto/mosquitto.pid', '/var/run/mosquitto/mosquitto.pid', '/var/run/mosquitto.pid']) {
    try {
      const pid = Number(fs.readFileSync(f, 'utf8').trim());
      if (pid > 0 && cpuMsOf(pid) !== undefined) return pid;
    } catch {
      // next
    }
  }
  return undefined;
}

/**
 * CPU of named processes over a window, as % of one core. `extra` adds CPU measured elsewhere
 * (process.cpuUsage of this process, the publishers' own reports), in ms.
 */
export class CpuWindow {
  private readonly start = new Map<string, number>();
  private readonly t0 = Date.now();
  private readonly machine0 = machineBusyMs();

  constructor(private readonly pids: Record<string, number | undefined>) {
    for (const [name, pid] of Object.entries(pids)) {
      const ms = cpuMsOf(pid);
      if (ms !== undefined) this.start.set(name, ms);
    }
  }

  /** "mosquitto 55%, kafka broker 20%, ... (of one core; 2 cores = 200%)" */
  report(extra: Record<string, number>): string {
    const wall = Math.max(1, Date.now() - this.t0);
    const parts: string[] = [];
    let total = 0;
    const add = (name: string, ms: number) => {
      total += ms;
      parts.push(`${name} ${Math.round((ms / wall) * 100)}%`);
    };
    for (const [name, pid] of Object.entries(this.pids)) {
      const begin = this.start.get(name);
      const end = cpuMsOf(pid);
      if (begin !== undefined && end !== undefined) add(name, end - begin);
      else parts.push(`${name} ?`);
    }
    for (const [name, ms] of Object.entries(extra)) add(name, ms);
    const machine = machineBusyMs();
    // What other processes (other work on the machine) took in the same window.
    const others = machine !== undefined && this.machine0 !== undefined ? `; other processes ${Math.max(0, Math.round(((machine - this.machine0 - total) / wall) * 100))}%` : '';
    return `CPU over ${(wall / 1000).toFixed(1)} s: ${parts.join(', ')}; total ${Math.round((total / wall) * 100)}% of ${os.cpus().length * 100}%${others}`;
  }
}

export interface BenchMosquitto {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** The bench's broker settings: no limit on queued messages, no in-flight limit of its own. */
export const UNLIMITED_QUEUES = ['max_queued_messages 0', 'max_queued_bytes 0', 'max_inflight_messages 0'];

/**
 * Starts `mosquitto -c <temp config>` on a free loopback port, without persistence. By default
 * (the bench's) with no limit on the messages queued for an offline persistent session
 * (max_queued_messages 0) and the in-flight window set by each MQTT 5 client's Receive Maximum
 * (max_inflight_messages 0 lifts the 3.1.1 default of 20); tests pass other `settings` lines.
 * Resolves once it accepts connections.
 */
export async function startBenchMosquitto(binary: string, settings: string[] = UNLIMITED_QUEUES): Promise<BenchMosquitto> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-bench-mosquitto-'));
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      ...settings,
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      '',
    ].join('\n'),
  );
  const proc: ChildProcess = spawn(binary, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  // A bench that dies (process.exit on a failed child) must not leave its Mosquitto behind.
  const cleanUp = () => {
    if (proc.exitCode === null && !proc.signalCode) proc.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', cleanUp);
  const deadline = Date.now() + 5000;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode) {
      process.off('exit', cleanUp);
      cleanUp();
      throw new Error(`${binary} exited: ${stderr.trim()}`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline) {
      process.off('exit', cleanUp);
      cleanUp();
      throw new Error(`${binary} did not listen on 127.0.0.1:${port} within 5 s: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    pid: proc.pid!,
    stop: async () => {
      process.off('exit', cleanUp);
      if (proc.exitCode === null && !proc.signalCode) proc.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
      if (stderr.trim()) process.stderr.write(`bench mosquitto: ${stderr.trim()}\n`);
    },
  };
}
