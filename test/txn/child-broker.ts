// A kafkalab broker in its own process (the CLI from the TypeScript sources), for kill -9 tests.
import { spawn, type ChildProcess } from 'child_process';
import * as path from 'path';

export interface ChildBroker {
  child: ChildProcess;
  port: number;
  /** SIGKILL, resolved once the process is gone. */
  kill9(): Promise<void>;
}

export function startChildBroker(dir: string, opts: { port?: number; partitions?: number } = {}): Promise<ChildBroker> {
  const args = ['-r', 'tsx/cjs', path.join(__dirname, '../broker/run-cli.ts'), 'broker', '--port', String(opts.port ?? 0), '--data-dir', dir, '--partitions', String(opts.partitions ?? 1)];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`broker not ready in 30s: ${err}`)), 30_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on [\d.]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          child,
          port: Number(m[1]),
          kill9: async () => {
            child.kill('SIGKILL');
            await exited;
          },
        });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited ${code}: ${err}`));
    });
  });
}

/**
 * Every value of `topic` read by a fresh kafkajs consumer group, read_committed unless
 * `readUncommitted`: waits until `expect` values came and no more arrive for `settleMs`, or
 * nothing arrived for `quietMs`.
 */
export async function readValues(kafka: import('kafkajs').Kafka, topic: string, readUncommitted: boolean, expect: number, opts: { quietMs?: number; settleMs?: number } = {}): Promise<string[]> {
  const quietMs = opts.quietMs ?? 3000;
  const settleMs = opts.settleMs ?? 500;
  const c = kafka.consumer({ groupId: `r-${Math.random()}`, readUncommitted, maxWaitTimeInMs: 100 });
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  const out: string[] = [];
  let last = Date.now();
  await c.run({ eachMessage: async ({ message }) => void (out.push(message.value!.toString()), (last = Date.now())) });
  while (Date.now() - last < quietMs && !(out.length >= expect && Date.now() - last > settleMs)) await new Promise((r) => setTimeout(r, 100));
  await c.disconnect();
  return out;
}
