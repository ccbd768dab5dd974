import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../src/config';
import { defaults } from '../src/defaults';

test('defaults come from the export', () => {
  const c = loadConfig({});
  assert.equal(c.inputTopic, defaults.inputTopic);
  assert.equal(c.outputTopic, defaults.outputTopic);
  assert.equal(c.groupId, defaults.groupId);
  assert.equal(c.ssl, undefined);
  assert.equal(c.sasl, undefined);
});

test('environment overrides, and every problem is reported at once', () => {
  const c = loadConfig({ KAFKA_BROKERS: 'a:1, b:2', OUTPUT_MODE: 'anomalies', BATCH_SIZE: '500', KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p', KAFKA_SSL: 'true' });
  assert.deepEqual(c.brokers, ['a:1', 'b:2']);
  assert.equal(c.outputMode, 'anomalies');
  assert.equal(c.batchSize, 500);
  assert.equal(c.sasl?.mechanism, 'scram-sha-256');
  assert.equal(c.ssl, true);
  assert.throws(
    () => loadConfig({ KAFKA_BROKERS: 'nohost', OUTPUT_MODE: 'some', BATCH_SIZE: '-3', KAFKA_SASL_MECHANISM: 'plain' }),
    (err: unknown) => err instanceof ConfigError && err.problems.length === 5,
  );
});
