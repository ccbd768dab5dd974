// Running the third-party clients (kcat, and the Python clients under /usr/bin/python3, which
// has confluent-kafka and kafka-python) against the embedded broker of the test process.
import { spawn } from 'child_process';

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command asynchronously: the broker under test lives in this process, so a blocking
 * spawnSync would leave the client unanswered. Past `timeoutMs` the child is killed and the
 * promise rejects with what it printed so far.
 */
export function runProcess(command: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs: number; label?: string; cwd?: string }): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], env: opts.env ?? process.env, cwd: opts.cwd });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${opts.label ?? command} timed out after ${opts.timeoutMs} ms: ${stdout} ${stderr}`));
    }, opts.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}

/** A Python script against the broker at `bootstrap`, given as $BOOTSTRAP and as sys.argv[1]. */
export function runPython(bootstrap: string, script: string, timeoutMs = 60_000): Promise<ProcessResult> {
  return runProcess('/usr/bin/python3', ['-c', script, bootstrap], { env: { ...process.env, BOOTSTRAP: bootstrap }, timeoutMs, label: 'python' });
}

/** kcat against the broker at `bootstrap`; `input` goes to its stdin (empty when not given). */
export function runKcat(bootstrap: string, args: string[], input = '', timeoutMs = 20_000): Promise<ProcessResult> {
  return runProcess('kcat', ['-b', bootstrap, ...args], { input, timeoutMs, label: `kcat ${args.join(' ')}` });
}

/** The output of a run that had to succeed; otherwise an error with the exit code and stderr. */
export function succeeded(r: ProcessResult, what: string): string {
  if (r.code !== 0) throw new Error(`${what} exited with ${r.code}: ${r.stderr}`);
  return r.stdout;
}
