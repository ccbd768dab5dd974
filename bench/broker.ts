/**
 * `npm run bench:broker`: kcat (librdkafka 2.0.2) produces 1,000,000 records of 100 bytes into
 * the embedded broker (run as a child process through the CLI, as users run it) and consumes
 * them back. Prints records/s and MB/s (1 MB = 10^6 bytes of record values) per direction and
 * the CPU seconds of the broker and of kcat, plus a same-run baseline: the same bytes pushed
 * through a loopback TCP socket into a Node process that discards them (the ceiling of Node
 * socket I/O on this machine).
 * Each direction runs BENCH_RUNS times (default 3, each into a fresh topic) and the median run
 * is printed with the best one beside it, because a shared machine makes single runs noisy.
 * Then the same runs against a second broker started with `--tls-key --tls-cert --sasl-users`
 * (SASL_SSL, SCRAM-SHA-256; a throwaway CA made with openssl), printed beside plaintext.
 * Options (env): BENCH_RECORDS (default 1000000), BENCH_RECORD_BYTES (default 100), BENCH_RUNS,
 * BENCH_SECURE=0 skips the TLS + SASL run.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { makeCerts } from './tls-certs';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const RECORD_BYTES = Number(process.env.BENCH_RECORD_BYTES ?? 100);
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const TICKS = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim() || 100);
const ROOT = path.join(__dirname, '..', '..');

function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS; // utime + stime
}

function startBroker(dataDir: string, extraArgs: string[] = []): Promise<{ pid: number; port: number; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'kafkalab.js'), 'broker', '--port', '0', '--data-dir', dataDir, ...extraArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on [\d.]+:(\d+)/.exec(out);
      if (m) {
        resolve({
          pid: child.pid!,
          port: Number(m[1]),
          stop: () =>
            new Promise((done) => {
              child.on('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.on('exit', (code) => reject(new Error(`broker exited with ${code} before it was ready`)));
  });
}

/** Runs kcat under bash so that `times` reports kcat's own CPU seconds. */
function kcat(args: string[], onStdout?: (d: Buffer) => void): Promise<{ seconds: number; cpu: number }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn('bash', ['-c', 'kcat "$@"; rc=$?; times >&2; exit $rc', 'bash', ...args], { stdio: ['ignore', onStdout ? 'pipe' : 'ignore', 'pipe'] });
    let err = '';
    if (onStdout) child.stdout!.on('data', onStdout);
    child.stderr!.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const lines = err.trim().split('\n');
      const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s/.exec(lines[lines.length - 1] ?? '');
      if (code !== 0 || !m) return reject(new Error(`kcat ${args.join(' ')} failed (${code}): ${err}`));
      resolve({ seconds, cpu: Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]) });
    });
  });
}

async function tcpBaseline(file: string): Promise<number> {
  const size = fs.statSync(file).size;
  const sink = net.createServer((s) => s.on('data', () => {}));
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', () => r()));
  const port = (sink.address() as net.AddressInfo).port;
  const t0 = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => {
      const stream = fs.createReadStream(file, { highWaterMark: 1 << 20 });
      stream.pipe(sock);
      stream.on('end', () => sock.end());
    });
    sock.on('close', () => resolve());
    sock.on('error', reject);
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  sink.close();
  return size / seconds;
}

interface Run {
  seconds: number;
  cpu: number;
  broker: number;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** BENCH_RUNS produce + consume runs of `file` through kcat (with `clientArgs`) against one broker. */
async function runs(broker: { pid: number; port: number }, file: string, clientArgs: string[]): Promise<{ produce: Run[]; consume: Run[] }> {
  const bs = `127.0.0.1:${broker.port}`;
  const produceRuns: Run[] = [];
  const consumeRuns: Run[] = [];
  for (let run = 1; run <= RUNS; run++) {
    const topic = `bench-${run}`;
    // Create the topic first so that the produce run measures producing only.
    await kcat(['-L', '-b', bs, '-t', topic, ...clientArgs]);
    const b0 = cpuSeconds(broker.pid);
    const produce = await kcat(['-P', '-b', bs, '-t', topic, '-l', file, ...clientArgs]);
    const b1 = cpuSeconds(broker.pid);
    let consumed = 0;
    const consume = await kcat(['-C', '-b', bs, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '\n', '-X', 'fetch.wait.max.ms=100', ...clientArgs], (d) => {
      consumed += d.length;
    });
    const b2 = cpuSeconds(broker.pid);
    if (consumed !== RECORDS) throw new Error(`consumed ${consumed} records, expected ${RECORDS}`);
    produceRuns.push({ ...produce, broker: b1 - b0 });
    consumeRuns.push({ ...consume, broker: b2 - b1 });
  }
  return { produce: produceRuns, consume: consumeRuns };
}

async function main(): Promise<void> {
  if (spawnSync('kcat', ['-V']).status !== 0) throw new Error('kcat is not installed: apt-get install -y kcat');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-bench-'));
  const file = path.join(work, 'records.txt');
  const line = Buffer.alloc(RECORD_BYTES + 1, 'x');
  line[RECORD_BYTES] = 0x0a;
  const chunk = Buffer.concat(Array.from({ length: 10_000 }, () => line));
  const fd = fs.openSync(file, 'w');
  for (let i = 0; i < RECORDS; i += 10_000) fs.writeSync(fd, chunk, 0, Math.min(10_000, RECORDS - i) * line.length);
  fs.closeSync(fd);
  const payloadMB = (RECORDS * RECORD_BYTES) / 1e6;

  const broker = await startBroker(path.join(work, 'data'));
  let plain: { produce: Run[]; consume: Run[] };
  try {
    plain = await runs(broker, file, []);
  } finally {
    await broker.stop();
  }
  // The same against a TLS + SASL (SCRAM-SHA-256) broker: SASL_SSL, as a secured cluster runs.
  let secure: { produce: Run[]; consume: Run[] } | undefined;
  if (process.env.BENCH_SECURE !== '0') {
    const certs = makeCerts();
    const users = path.join(certs.dir, 'users.json');
    fs.writeFileSync(users, JSON.stringify({ bench: 'bench-password' }));
    const tlsBroker = await startBroker(path.join(work, 'data-tls'), ['--tls-key', certs.serverKey, '--tls-cert', certs.serverCert, '--sasl-users', users]);
    try {
      secure = await runs(tlsBroker, file, ['-X', 'security.protocol=SASL_SSL', '-X', 'sasl.mechanisms=SCRAM-SHA-256', '-X', 'sasl.username=bench', '-X', 'sasl.password=bench-password', '-X', `ssl.ca.location=${certs.caCert}`]);
    } finally {
      await tlsBroker.stop();
      certs.remove();
    }
  }
  try {
    const baseline = await tcpBaseline(file);

    const median = (runs: Run[]) => [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor((runs.length - 1) / 2)];
    const best = (runs: Run[]) => [...runs].sort((a, b) => a.seconds - b.seconds)[0];
    const row = (name: string, runs: Run[]) => {
      const r = median(runs);
      return `${name.padEnd(secure ? 35 : 8)} ${fmt(RECORDS / r.seconds).padStart(10)} records/s ${(payloadMB / r.seconds).toFixed(1).padStart(7)} MB/s   wall ${r.seconds.toFixed(2)} s   CPU broker ${r.broker.toFixed(2)} s, kcat ${r.cpu.toFixed(2)} s   (best of ${runs.length}: ${fmt(RECORDS / best(runs).seconds)} records/s)`;
    };
    const out = [
      `kafkalab broker bench: ${fmt(RECORDS)} records of ${RECORD_BYTES} bytes, kcat (librdkafka) <-> broker child process, ${os.cpus().length} cores, median of ${RUNS} runs, load average ${os.loadavg()[0].toFixed(1)}`,
      row('produce', plain.produce),
      row('consume', plain.consume),
      ...(secure ? [row('produce, TLS + SASL SCRAM-SHA-256', secure.produce), row('consume, TLS + SASL SCRAM-SHA-256', secure.consume)] : []),
      `baseline (same run): raw loopback TCP into a discarding Node process: ${(baseline / 1e6).toFixed(1)} MB/s (${fmt(baseline / (RECORD_BYTES + 1))} lines/s)`,
      `targets: produce >= 300,000 records/s, consume >= 1,000,000 records/s; wall times include kcat start-up and, for consume, one final 100 ms fetch wait`,
    ];
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`bench:broker failed: ${err?.stack ?? err}\n`);
  process.exitCode = 1;
});
