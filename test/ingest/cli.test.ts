/**
 * `kafkalab ingest` and `kafkalab simulate --mqtt` as separate processes, the way an operator
 * runs them: counters on stdout as JSON, Ctrl-C (SIGINT) drains and exits 0.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'child_process';
import * as path from 'path';
import { startBroker } from '../../sdk/broker';
import { startMqttBroker } from '../../sdk/ingest/mqtt-broker';
import { connect, waitFor } from './helpers';

const ROOT = path.join(__dirname, '..', '..');

function kafkalab(args: string[]): { child: ChildProcess; stdout: () => string; stderr: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', '-e', "require('./sdk/cli/main').main(process.argv.slice(1)).then((c) => { process.exitCode = c })", ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

test('simulate --mqtt feeds ingest --from --to; SIGINT drains and prints the counters', async () => {
  const kb = await startBroker({ port: 0 });
  const mb = await startMqttBroker({ port: 0 });
  const kafka = await connect({ brokers: kb.bootstrap });
  const ingest = kafkalab(['ingest', '--mqtt', mb.url, '--from', 'cars/+/sensors', '--to', 'car-sensors', '--key', '1', '--timestamp', 'ts', '--brokers', kb.bootstrap, '--stats-every', '0', '--log-level', 'warn', '--sequence', 'seq', '--metrics-port', '0']);
  try {
    assert.ok(await waitFor(() => ingest.stderr().includes('cars/+/sensors → car-sensors'), 20_000), `ingest started: ${ingest.stderr()}`);
    const metricsUrl = /metrics at (http:\/\/\S+)/.exec(ingest.stderr())?.[1];
    assert.ok(metricsUrl, ingest.stderr());
    const sim = kafkalab(['simulate', '--mqtt', mb.url, '--cars', '5', '--rate', 'inf', '--count', '300', '--seed', '3']);
    assert.is(await sim.exit, 0, sim.stderr());
    const result = JSON.parse(sim.stdout());
    assert.is(result.published, 300);
    assert.is(result.acknowledged, 300);
    const count = async () => {
      const offsets: { high: string }[] = await kafka.admin.fetchTopicOffsets('car-sensors').catch(() => []);
      return offsets.reduce((s, o) => s + Number(o.high), 0);
    };
    assert.ok(await waitFor(async () => (await count()) === 300, 15_000), `in Kafka: ${await count()}`);
    const metrics = await (await fetch(metricsUrl!)).text();
    assert.match(metrics, /^kafkalab_ingest_produced_total 300$/m);
    assert.match(metrics, /^kafkalab_ingest_sequence_gaps 0$/m, 'every car reading arrived: no gap');
    ingest.child.kill('SIGINT');
    assert.is(await ingest.exit, 0, ingest.stderr());
    const stats = JSON.parse(ingest.stdout().trim().split('\n').pop()!);
    assert.is(stats.produced, 300);
    assert.is(stats.inFlight, 0);
    assert.is(stats.sequenceGaps, 0);
  } finally {
    if (ingest.child.exitCode === null) ingest.child.kill('SIGKILL');
    await kafka.close();
    await mb.stop();
    await kb.stop();
  }
});

test('ingest without --to says what is missing', async () => {
  const run = kafkalab(['ingest', '--from', 'a/#']);
  assert.is(await run.exit, 1);
  assert.match(run.stderr(), /ingest needs --from FILTER and --to TOPIC/);
});

test.run();
