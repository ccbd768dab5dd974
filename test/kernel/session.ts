/** A real Jupyter kernel session for tests, driven through jupyter_session.py (Debian's jupyter_client). */
import { ChildProcessWithoutNullStreams, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { installKernel } from '../../kernel/install';

export const PYTHON = '/usr/bin/python3';

export interface Output {
  type: 'stream' | 'display_data' | 'update_display_data' | 'execute_result' | 'error';
  name?: string;
  text?: string;
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
  traceback?: string[];
  execution_count?: number;
  transient?: { display_id?: string };
}

export interface ExecReply {
  status: string;
  execution_count?: number;
  ename?: string;
  evalue?: string;
  traceback?: string[];
  /** Execution counts announced by execute_input messages. */
  input_counts?: (number | null)[];
}

export interface ExecResult {
  status: string;
  outputs: Output[];
  reply: ExecReply;
}

/** Installs the kernelspec into a fresh prefix and returns the JUPYTER_PATH entry that finds it. */
export function tempKernelPath(): { jupyterPath: string; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-kernel-'));
  installKernel({ location: { prefix: dir } });
  return { jupyterPath: path.join(dir, 'share', 'jupyter'), dir };
}

export class JupyterSession {
  private proc: ChildProcessWithoutNullStreams;
  private queue: string[] = [];
  private waiters: ((line: string | undefined) => void)[] = [];
  private partial = '';
  private stderr = '';
  readonly tmp: string;

  constructor(cwd: string) {
    const { jupyterPath, dir } = tempKernelPath();
    this.tmp = dir;
    this.proc = spawn(PYTHON, [path.join(__dirname, 'jupyter_session.py'), 'kafkalab', cwd], {
      env: { ...process.env, JUPYTER_PATH: jupyterPath, PYTHONUNBUFFERED: '1' },
    });
    this.proc.stderr.on('data', (d) => (this.stderr += d));
    // Replies can be megabytes long (a chart carries plotly.js): split lines by hand.
    this.proc.stdout.setEncoding('utf8');
    this.proc.stdout.on('data', (chunk: string) => {
      const parts = (this.partial + chunk).split('\n');
      this.partial = parts.pop()!;
      for (const line of parts) {
        const w = this.waiters.shift();
        if (w) w(line);
        else this.queue.push(line);
      }
    });
    this.proc.once('exit', () => this.waiters.splice(0).forEach((w) => w(undefined)));
  }

  /** The jupyter_client process: the kernel's parent. */
  get parentPid(): number | undefined {
    return this.proc.pid;
  }

  async send<T = Record<string, unknown>>(cmd: Record<string, unknown>): Promise<T> {
    if (process.env.KAFKALAB_TEST_DEBUG) process.stderr.write(`> ${JSON.stringify(cmd).slice(0, 120)}\n`);
    this.proc.stdin.write(JSON.stringify(cmd) + '\n');
    const line = this.queue.length ? this.queue.shift() : this.exited ? undefined : await new Promise<string | undefined>((r) => this.waiters.push(r));
    if (line === undefined) throw new Error(`jupyter session ended; stderr:\n${this.stderr.slice(-3000)}`);
    const reply = JSON.parse(line);
    if (reply.exception) throw new Error(`jupyter session: ${reply.exception}\n${this.stderr.slice(-3000)}`);
    return reply as T;
  }

  execute(code: string, timeout = 120): Promise<ExecResult> {
    return this.send<ExecResult>({ op: 'execute', code, timeout });
  }

  /** Exited or killed by a signal (then exitCode stays null). */
  private get exited(): boolean {
    return this.proc.exitCode !== null || this.proc.signalCode !== null;
  }

  async close(): Promise<void> {
    if (!this.exited) {
      try {
        await this.send({ op: 'shutdown' });
      } catch {
        /* already gone */
      }
    }
    if (!this.exited) {
      const exited = new Promise((r) => this.proc.once('exit', r));
      this.proc.stdin.end();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    }
    if (!this.exited) this.proc.kill('SIGKILL');
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }
}

export function textOf(r: ExecResult, stream?: 'stdout' | 'stderr'): string {
  return r.outputs.filter((o) => o.type === 'stream' && (!stream || o.name === stream)).map((o) => o.text).join('');
}

export function errors(r: ExecResult): Output[] {
  return r.outputs.filter((o) => o.type === 'error');
}

/** Rich outputs: the cell's value (execute_result) and what it displayed or updated. */
export function displays(r: ExecResult): Output[] {
  return r.outputs.filter((o) => o.type === 'execute_result' || o.type === 'display_data' || o.type === 'update_display_data');
}

export function results(r: ExecResult): Output[] {
  return r.outputs.filter((o) => o.type === 'execute_result');
}
