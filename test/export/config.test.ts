/**
 * The exported app's configuration: every problem reported at once, each naming its variable.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, describeConfig, loadConfig } from '../../sdk/export/templates/app/src/config';

const base = { KAFKA_BROKERS: '127.0.0.1:9092', INPUT_TOPIC: 'in', OUTPUT_TOPIC: 'out', DLQ_TOPIC: 'in-dlq', GROUP_ID: 'g', BATCH_SIZE: '512', BATCH_MS: '10', TOP_FEATURES: '3', OUTPUT_MODE: 'all', AUTO_OFFSET_RESET: 'earliest' };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...base, ...env });
    return [];
  } catch (err) {
    assert.instance(err, ConfigError);
    return (err as ConfigError).problems;
  }
}

test('heartbeats default to every second, a third of the session timeout at most', () => {
  const c = loadConfig(base);
  assert.is(c.heartbeatIntervalMs, 1000);
  assert.is(c.sessionTimeoutMs, 30_000);
  assert.is(loadConfig({ ...base, HEARTBEAT_INTERVAL_MS: '10000' }).heartbeatIntervalMs, 10_000);
  assert.equal(problems({ HEARTBEAT_INTERVAL_MS: '10001' }), ['HEARTBEAT_INTERVAL_MS=10001 must be at most a third of SESSION_TIMEOUT_MS (30000)']);
  assert.equal(problems({ SESSION_TIMEOUT_MS: '6000', HEARTBEAT_INTERVAL_MS: '2500' }), ['HEARTBEAT_INTERVAL_MS=2500 must be at most a third of SESSION_TIMEOUT_MS (6000)']);
});

test('Schema Registry and OUTPUT_FORMAT: avro needs a registry; credentials never described', () => {
  assert.is(loadConfig(base).outputFormat, 'json');
  assert.is(loadConfig(base).schemaRegistry, undefined);
  const c = loadConfig({ ...base, SCHEMA_REGISTRY_URL: 'http://sr:8081', SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: 'key:s3cret:x', OUTPUT_FORMAT: 'avro' });
  assert.equal(c.schemaRegistry, { url: 'http://sr:8081', auth: { username: 'key', password: 's3cret:x' } });
  assert.is(c.outputFormat, 'avro');
  assert.not.match(JSON.stringify(describeConfig(c)), /s3cret/);
  assert.equal(problems({ OUTPUT_FORMAT: 'avro' }), ["OUTPUT_FORMAT=avro needs SCHEMA_REGISTRY_URL (the results' schema is registered there)"]);
  assert.equal(problems({ OUTPUT_FORMAT: 'xml' }), ['OUTPUT_FORMAT="xml" must be one of: json, avro']);
  assert.equal(problems({ SCHEMA_REGISTRY_URL: 'sr:8081', SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: 'nocolon' }), ['SCHEMA_REGISTRY_URL must look like http://host:8081', 'SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO must be user:secret']);
});

test('every bad variable is reported at once', () => {
  const found = problems({ HEARTBEAT_INTERVAL_MS: 'soon', BATCH_SIZE: '0' });
  assert.is(found.length, 2, found.join('; '));
  assert.ok(found.some((p) => p.startsWith('HEARTBEAT_INTERVAL_MS="soon"')), found.join('; '));
  assert.ok(found.some((p) => p.startsWith('BATCH_SIZE="0"')), found.join('; '));
});

test('PROCESSING_GUARANTEE: at-least-once by default, exactly-once with transactional ids per partition', () => {
  const c = loadConfig(base);
  assert.is(c.processingGuarantee, 'at-least-once');
  const e = loadConfig({ ...base, PROCESSING_GUARANTEE: 'exactly-once' });
  assert.is(e.processingGuarantee, 'exactly-once');
  assert.is(e.transactionalIdPrefix, 'g');
  assert.is(e.transactionTimeoutMs, 60_000);
  assert.is(loadConfig({ ...base, TRANSACTIONAL_ID_PREFIX: 'scorer-eu' }).transactionalIdPrefix, 'scorer-eu');
  assert.equal(problems({ PROCESSING_GUARANTEE: 'twice', TRANSACTION_TIMEOUT_MS: '10' }), [
    'PROCESSING_GUARANTEE="twice" must be one of: at-least-once, exactly-once',
    'TRANSACTION_TIMEOUT_MS="10" must be an integer between 1000 and 900000',
  ]);
});

test.run();
