// Building the Go compat programs (test/compat/fixtures/go/<name>/main.go) against Debian's Go
// client packages, offline in GOPATH mode, and running them: each prints "PASS check" or
// "FAIL check: why" per line.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runProcess } from './helpers';
import { missingCommand } from '../helpers/skip';

const GOPATH = '/usr/share/gocode';
const PACKAGES: Record<string, string> = {
  'github.com/Shopify/sarama': 'golang-github-shopify-sarama-dev',
  'github.com/segmentio/kafka-go': 'golang-github-segmentio-kafka-go-dev',
  'github.com/confluentinc/confluent-kafka-go/kafka': 'golang-github-confluentinc-confluent-kafka-go-dev',
};

/** Why the Go programs cannot be built here (no go, or a Debian client package missing). */
export function missingGo(packages: string[]): string | undefined {
  const go = missingCommand('go', 'apt-get install -y golang-go', ['version']);
  if (go) return go;
  for (const p of packages) {
    if (!fs.existsSync(path.join(GOPATH, 'src', p))) return `${p} is not installed (apt-get install -y ${PACKAGES[p] ?? p})`;
  }
  return undefined;
}


const env = () => ({
  ...process.env,
  GOPATH,
  GO111MODULE: 'off',
  GOFLAGS: '',
  // A cache that outlives the test process: the first build compiles sarama's and librdkafka's
  // cgo parts (~40 s on this machine), later ones reuse them.
  GOCACHE: path.join(os.tmpdir(), 'kafkalab-compat-gocache'),
});

/** Builds fixtures/go/<name> into a temp dir; returns the binary's path (remove its dir after). */
export async function buildGo(name: string): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `kafkalab-go-${name}-`));
  const out = path.join(dir, name);
  // One package: the program's main.go beside the shared check.go.
  const src = path.join(dir, 'src');
  fs.mkdirSync(src);
  for (const file of [path.join(name, 'main.go'), 'check.go']) fs.copyFileSync(path.join(__dirname, 'fixtures', 'go', file), path.join(src, path.basename(file)));
  const r = await runProcess('go', ['build', '-o', out, '.'], { env: env(), timeoutMs: 300_000, label: `go build ${name}`, cwd: src });
  if (r.code !== 0) throw new Error(`go build ${name} failed: ${r.stderr}`);
  return out;
}

export interface Checks {
  passed: string[];
  failed: string[];
  output: string;
  /** The program's stderr (sarama's own log with SARAMA_LOG=1), to explain a failure. */
  stderr: string;
}

/** Runs a built program and sorts its PASS/FAIL lines. */
export async function runChecks(binary: string, args: string[], timeoutMs = 400_000, extraEnv: Record<string, string> = {}): Promise<Checks> {
  const r = await runProcess(binary, args, { timeoutMs, label: path.basename(binary), env: { ...process.env, ...extraEnv } });
  const lines = r.stdout.split('\n');
  const passed = lines.filter((l) => l.startsWith('PASS ')).map((l) => l.slice(5));
  const failed = lines.filter((l) => l.startsWith('FAIL '));
  if (r.code !== 0) failed.push(`exit code ${r.code}: ${r.stderr.slice(-2000)}`);
  return { passed, failed, output: r.stdout, stderr: r.stderr };
}
