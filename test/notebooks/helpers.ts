/** Shared by the notebook suite: running Jupyter as child processes and reading .ipynb outputs. */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const NOTEBOOKS_DIR = path.join(ROOT, 'notebooks');
export const OUTPUT_DIR = path.join(ROOT, 'test-output', 'notebooks');
export const PYTHON = '/usr/bin/python3';

export interface Output {
  output_type: 'stream' | 'display_data' | 'execute_result' | 'error';
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
}
export interface Cell {
  cell_type: 'code' | 'markdown';
  source: string | string[];
  outputs?: Output[];
}
export interface Notebook {
  cells: Cell[];
  metadata: { kernelspec?: { name: string } };
}

export function notebookFiles(dir = NOTEBOOKS_DIR): string[] {
  return fs.readdirSync(dir).filter((f) => /^\d\d-.*\.ipynb$/.test(f)).sort();
}

export function readNotebook(file: string): Notebook {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Notebook;
}

export const joined = (t: string | string[] | unknown): string => (Array.isArray(t) ? t.join('') : typeof t === 'string' ? t : '');

export function codeOutputs(nb: Notebook): { cell: number; source: string; output: Output }[] {
  const out: { cell: number; source: string; output: Output }[] = [];
  nb.cells.forEach((c, i) => {
    if (c.cell_type === 'code') for (const o of c.outputs ?? []) out.push({ cell: i, source: joined(c.source), output: o });
  });
  return out;
}

/** Error outputs, and stderr text (the kafkalab kernel reports cell errors and type errors on stderr). */
export function problems(nb: Notebook): string[] {
  return codeOutputs(nb)
    .filter(({ output: o }) => o.output_type === 'error' || (o.output_type === 'stream' && o.name === 'stderr'))
    .map(({ cell, source, output: o }) => `cell ${cell} (${source.split('\n')[0].slice(0, 60)}): ${o.output_type === 'error' ? `${o.ename}: ${o.evalue}` : joined(o.text).slice(0, 600)}`);
}

/** Every text/plain and stream text of the notebook, for looking up printed figures. */
export function allText(nb: Notebook): string {
  return codeOutputs(nb).map(({ output: o }) => joined(o.text) + joined(o.data?.['text/plain'])).join('\n');
}

export function mimeOutputs(nb: Notebook, mime: string): string[] {
  return codeOutputs(nb).filter(({ output: o }) => o.data?.[mime] !== undefined).map(({ output: o }) => (typeof o.data![mime] === 'string' || Array.isArray(o.data![mime]) ? joined(o.data![mime]) : JSON.stringify(o.data![mime])));
}

/** A number printed as `name: value` (util.inspect of an object) in the notebook's text. */
export function printed(nb: Notebook, name: string): number {
  const m = new RegExp(`\\b${name}: (-?[0-9.e+-]+)`).exec(allText(nb));
  return m ? Number(m[1]) : NaN;
}

export interface Run {
  code: number | null;
  output: string;
}

/** Runs a command in its own process group, killing the group when it overruns `timeoutMs`. */
export function run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => killGroup(child.pid!), opts.timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output: output.split('\n').filter((l) => !/Debugger warning|frozen modules|Xfrozen_modules|PYDEVD_DISABLE|Debugging will proceed/.test(l)).join('\n') });
    });
  });
}

export function killGroup(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}

/**
 * Kills the process groups of every process whose command line mentions `marker` (a temp
 * folder only this test uses): Jupyter starts kernels in sessions of their own, so a kernel
 * (and the scoring apps it started) could outlive a killed nbconvert otherwise.
 */
export function killProcessesMentioning(marker: string): number[] {
  const killed: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmdline = '';
    try {
      cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmdline.includes(marker)) continue;
    const pid = Number(entry);
    killGroup(pid);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    killed.push(pid);
  }
  return killed;
}

export function processesMentioning(marker: string): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) found.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return found;
}

/** Waits (bounded) for processes mentioning `marker` to exit by themselves; returns those still running. */
export async function settle(marker: string, ms = 10_000): Promise<number[]> {
  const deadline = Date.now() + ms;
  let left = processesMentioning(marker);
  while (left.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    left = processesMentioning(marker);
  }
  return left;
}
