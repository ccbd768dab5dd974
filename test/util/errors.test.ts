import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closest, KafkalabError } from '../../sdk/util/errors';
import { parseDuration } from '../../sdk/util/duration';
import { parseFlags } from '../../sdk/cli/args';

test('closest suggests a near topic name and nothing for a far one', () => {
  assert.is(closest('car-sensor', ['car-anomalies', 'car-sensors', 'scratch']), 'car-sensors');
  assert.is(closest('zzzzzz', ['car-anomalies', 'car-sensors']), undefined);
});

test('KafkalabError carries code, hint and cause', () => {
  const cause = new Error('ECONNREFUSED');
  const e = new KafkalabError('Cannot reach Kafka at h:9092', { code: 'UNREACHABLE', hint: 'set KAFKA_BROKERS', cause, retriable: true });
  assert.ok(e instanceof Error);
  assert.is(e.message, 'Cannot reach Kafka at h:9092; set KAFKA_BROKERS');
  assert.is(e.cause, cause);
  assert.is(e.retriable, true);
});

test('parseDuration', () => {
  assert.is(parseDuration('10s'), 10_000);
  assert.is(parseDuration('1.5h'), 5_400_000);
  assert.is(parseDuration('250ms'), 250);
  assert.throws(() => parseDuration('ten seconds'), /expected a number followed by/);
});

test('parseFlags: values, aliases, negation, unknown options', () => {
  const spec = { port: { type: 'number', default: 9092 }, dataDir: { type: 'string' }, verbose: { type: 'boolean', alias: 'v' } } as const;
  const f = parseFlags(['--port', '0', '--data-dir=/tmp/x', '-v', 'extra'], spec, 'broker');
  assert.is(f.port, 0);
  assert.is(f.dataDir, '/tmp/x');
  assert.is(f.verbose, true);
  assert.equal(f._, ['extra']);
  assert.is(parseFlags(['--no-verbose'], spec, 'broker').verbose, false);
  assert.throws(() => parseFlags(['--prot', '1'], spec, 'broker'), /unknown option --prot/);
});

test.run();
