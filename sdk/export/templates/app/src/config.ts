/**
 * Configuration comes only from the environment (twelve-factor), validated once at start-up.
 * Every problem is reported at once, each with the variable to fix, instead of failing on the first.
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import { defaults } from './defaults';
import { rememberSecret } from '@kafkalab/runtime';

export type OutputMode = 'all' | 'anomalies';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export interface Config {
  brokers: string[];
  clientId: string;
  inputTopic: string;
  outputTopic: string;
  dlqTopic: string;
  groupId: string;
  outputMode: OutputMode;
  batchSize: number;
  batchMs: number;
  topFeatures: number;
  /** Input fields copied into each result under `fields` (identifiers such as a VIN or sequence number). */
  passthroughFields: string[];
  /** Overrides the threshold chosen in the notebook when set. */
  threshold?: number;
  fromBeginning: boolean;
  partitionsConcurrently: number;
  sessionTimeoutMs: number;
  /** How often the consumer heartbeats, which is also how soon it notices a rebalance (a new or departed instance). */
  heartbeatIntervalMs: number;
  /** Who encodes the output records: kafkalab's record-batch writer (fast) or kafkajs's producer. */
  produceEncoder: 'kafkalab' | 'kafkajs';
  /** at-least-once: outputs acknowledged, then offsets committed; exactly-once: both in one Kafka transaction (transactions.ts). */
  processingGuarantee: 'at-least-once' | 'exactly-once';
  /** exactly-once: transactional ids are `<prefix>.<inputTopic>.<partition>` (default: the group id). */
  transactionalIdPrefix: string;
  transactionTimeoutMs: number;
  ssl?: { rejectUnauthorized: boolean; ca?: string[]; cert?: string; key?: string; passphrase?: string } | true;
  sasl?: { mechanism: SaslMechanism; username: string; password: string };
  port: number;
  logLevel: LogLevel;
  modelDir: string;
  /** Compacted topic of published model versions to follow (ae.publish); unset: the model in modelDir only. */
  modelTopic?: string;
  /** Which model's versions on modelTopic (the key prefix ae.publish writes). */
  modelName: string;
  /** Where the live-versus-candidate comparison of each batch goes while a candidate runs in shadow. */
  shadowTopic: string;
  /** Rows per half of the sliding window the drift figures cover. */
  driftWindow: number;
  /** The Schema Registry of Confluent-framed input (Avro, Protobuf, JSON Schema) and of Avro output. */
  schemaRegistry?: { url: string; auth?: { username: string; password: string } };
  /** Results as JSON text (default) or as Avro registered under `<OUTPUT_TOPIC>-value`. */
  outputFormat: 'json' | 'avro';
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const str = (name: string, fallback: string): string => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? fallback : v;
  };
  const int = (name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name}="${raw}" must be an integer between ${min} and ${max}`);
      return fallback;
    }
    return n;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = env[name]?.trim().toLowerCase();
    if (raw === undefined || raw === '') return fallback;
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    problems.push(`${name}="${env[name]}" must be true or false`);
    return fallback;
  };
  const oneOf = <T extends string>(name: string, fallback: T, allowed: readonly T[]): T => {
    const raw = env[name]?.trim().toLowerCase();
    if (raw === undefined || raw === '') return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    problems.push(`${name}="${env[name]}" must be one of: ${allowed.join(', ')}`);
    return fallback;
  };
  const file = (name: string): string | undefined => {
    const p = env[name]?.trim();
    if (!p) return undefined;
    try {
      return readFileSync(p, 'utf8');
    } catch (err) {
      problems.push(`${name}="${p}" cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
      return undefined;
    }
  };

  const brokers = str('KAFKA_BROKERS', defaults.brokers)
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  for (const b of brokers) if (!/^[^\s:]+:\d{1,5}$/.test(b)) problems.push(`KAFKA_BROKERS entry "${b}" must look like host:port`);
  if (brokers.length === 0) problems.push('KAFKA_BROKERS is empty; set it to host:port[,host:port...]');

  const inputTopic = str('INPUT_TOPIC', defaults.inputTopic);
  const outputTopic = str('OUTPUT_TOPIC', defaults.outputTopic);
  const dlqTopic = str('DLQ_TOPIC', defaults.dlqTopic || `${inputTopic}-dlq`);
  for (const [name, t] of [['INPUT_TOPIC', inputTopic], ['OUTPUT_TOPIC', outputTopic], ['DLQ_TOPIC', dlqTopic]] as const) {
    if (!/^[a-zA-Z0-9._-]{1,249}$/.test(t)) problems.push(`${name}="${t}" is not a valid Kafka topic name (letters, digits, ".", "_", "-")`);
  }
  if (inputTopic === outputTopic) problems.push(`OUTPUT_TOPIC must differ from INPUT_TOPIC ("${inputTopic}")`);
  if (dlqTopic === inputTopic) problems.push(`DLQ_TOPIC must differ from INPUT_TOPIC ("${inputTopic}")`);

  let threshold: number | undefined;
  const rawThreshold = env.THRESHOLD?.trim();
  if (rawThreshold) {
    threshold = Number(rawThreshold);
    if (!Number.isFinite(threshold) || threshold < 0) {
      problems.push(`THRESHOLD="${rawThreshold}" must be a non-negative number`);
      threshold = undefined;
    }
  }

  let ssl: Config['ssl'];
  const ca = file('KAFKA_SSL_CA');
  const cert = file('KAFKA_SSL_CERT');
  const key = file('KAFKA_SSL_KEY');
  if (bool('KAFKA_SSL', Boolean(ca || cert || key))) {
    const rejectUnauthorized = bool('KAFKA_SSL_REJECT_UNAUTHORIZED', true);
    rememberSecret(env.KAFKA_SSL_KEY_PASSWORD);
    ssl = ca || cert || key || !rejectUnauthorized ? { rejectUnauthorized, ca: ca ? [ca] : undefined, cert, key, passphrase: env.KAFKA_SSL_KEY_PASSWORD || undefined } : true;
    if (Boolean(cert) !== Boolean(key)) problems.push('KAFKA_SSL_CERT and KAFKA_SSL_KEY must be set together (client certificate authentication)');
  }

  let sasl: Config['sasl'];
  const mechanism = env.KAFKA_SASL_MECHANISM?.trim();
  if (mechanism) {
    const m = oneOf<SaslMechanism>('KAFKA_SASL_MECHANISM', 'plain', ['plain', 'scram-sha-256', 'scram-sha-512']);
    const username = env.KAFKA_SASL_USERNAME ?? '';
    const password = env.KAFKA_SASL_PASSWORD ?? '';
    rememberSecret(password);
    if (!username) problems.push('KAFKA_SASL_USERNAME must be set when KAFKA_SASL_MECHANISM is set');
    if (!password) problems.push('KAFKA_SASL_PASSWORD must be set when KAFKA_SASL_MECHANISM is set');
    sasl = { mechanism: m, username, password };
  } else if (env.KAFKA_SASL_USERNAME || env.KAFKA_SASL_PASSWORD) {
    problems.push('KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD are set but KAFKA_SASL_MECHANISM is not (plain, scram-sha-256 or scram-sha-512)');
  }

  const offsetReset = oneOf('AUTO_OFFSET_RESET', defaults.autoOffsetReset as 'earliest' | 'latest', ['earliest', 'latest']);
  const config: Config = {
    brokers,
    clientId: str('KAFKA_CLIENT_ID', defaults.appName),
    inputTopic,
    outputTopic,
    dlqTopic,
    groupId: str('GROUP_ID', defaults.groupId),
    outputMode: oneOf<OutputMode>('OUTPUT_MODE', defaults.outputMode as OutputMode, ['all', 'anomalies']),
    batchSize: int('BATCH_SIZE', defaults.batchSize, 1, 1_000_000),
    batchMs: int('BATCH_MS', defaults.batchMs, 0, 60_000),
    topFeatures: int('TOP_FEATURES', defaults.topFeatures, 0, 1000),
    passthroughFields: str('PASSTHROUGH_FIELDS', '').split(',').map((f) => f.trim()).filter(Boolean),
    threshold,
    fromBeginning: offsetReset === 'earliest',
    partitionsConcurrently: int('PARTITIONS_CONCURRENTLY', 4, 1, 1000),
    sessionTimeoutMs: int('SESSION_TIMEOUT_MS', 30_000, 6_000, 3_600_000),
    heartbeatIntervalMs: int('HEARTBEAT_INTERVAL_MS', 1000, 100, 1_200_000),
    produceEncoder: oneOf<'kafkalab' | 'kafkajs'>('PRODUCE_ENCODER', 'kafkalab', ['kafkalab', 'kafkajs']),
    processingGuarantee: oneOf<'at-least-once' | 'exactly-once'>('PROCESSING_GUARANTEE', 'at-least-once', ['at-least-once', 'exactly-once']),
    transactionalIdPrefix: str('TRANSACTIONAL_ID_PREFIX', str('GROUP_ID', defaults.groupId)),
    transactionTimeoutMs: int('TRANSACTION_TIMEOUT_MS', 60_000, 1000, 900_000),
    ssl,
    sasl,
    port: int('PORT', 8080, 0, 65535),
    logLevel: oneOf<LogLevel>('LOG_LEVEL', 'info', ['debug', 'info', 'warn', 'error']),
    modelDir: path.resolve(str('MODEL_DIR', path.join(__dirname, '..', '..', 'model'))),
    modelTopic: str('MODEL_TOPIC', '') || undefined,
    modelName: str('MODEL_NAME', 'model'),
    shadowTopic: str('SHADOW_TOPIC', `${outputTopic}-shadow`),
    driftWindow: int('DRIFT_WINDOW', 50_000, 100, 100_000_000),
    schemaRegistry: schemaRegistry(env, problems),
    outputFormat: oneOf<'json' | 'avro'>('OUTPUT_FORMAT', 'json', ['json', 'avro']),
  };
  if (config.outputFormat === 'avro' && !config.schemaRegistry) problems.push('OUTPUT_FORMAT=avro needs SCHEMA_REGISTRY_URL (the results\' schema is registered there)');
  for (const [name, t] of [['MODEL_TOPIC', config.modelTopic], ['SHADOW_TOPIC', config.shadowTopic]] as const) {
    if (t !== undefined && !/^[a-zA-Z0-9._-]{1,249}$/.test(t)) problems.push(`${name}="${t}" is not a valid Kafka topic name (letters, digits, ".", "_", "-")`);
  }
  if (config.modelTopic !== undefined && [inputTopic, outputTopic, dlqTopic].includes(config.modelTopic)) problems.push(`MODEL_TOPIC must differ from INPUT_TOPIC, OUTPUT_TOPIC and DLQ_TOPIC ("${config.modelTopic}")`);
  if (config.modelName.includes(':')) problems.push(`MODEL_NAME="${config.modelName}" must not contain ":"`);
  if (config.heartbeatIntervalMs * 3 > config.sessionTimeoutMs) {
    problems.push(`HEARTBEAT_INTERVAL_MS=${config.heartbeatIntervalMs} must be at most a third of SESSION_TIMEOUT_MS (${config.sessionTimeoutMs})`);
  }
  if (problems.length) throw new ConfigError(problems);
  return config;
}

/** SCHEMA_REGISTRY_URL, with SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO=user:secret as Confluent's clients take it. */
function schemaRegistry(env: Env, problems: string[]): Config['schemaRegistry'] {
  const url = env.SCHEMA_REGISTRY_URL?.trim();
  const info = env.SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO ?? '';
  if (!url) {
    if (info) problems.push('SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO is set but SCHEMA_REGISTRY_URL is not');
    return undefined;
  }
  if (!/^https?:\/\/[^\s/]+/.test(url)) problems.push('SCHEMA_REGISTRY_URL must look like http://host:8081');
  const colon = info.indexOf(':');
  if (info && colon <= 0) problems.push('SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO must be user:secret');
  return info && colon > 0 ? { url, auth: { username: info.slice(0, colon), password: info.slice(colon + 1) } } : { url };
}

/** The configuration as it is safe to log: no secrets. */
export function describeConfig(c: Config): Record<string, unknown> {
  return {
    ...c,
    ssl: c.ssl ? (c.ssl === true ? 'on' : { rejectUnauthorized: c.ssl.rejectUnauthorized, ca: Boolean(c.ssl.ca), clientCert: Boolean(c.ssl.cert) }) : 'off',
    sasl: c.sasl ? { mechanism: c.sasl.mechanism, username: c.sasl.username } : 'off',
    schemaRegistry: c.schemaRegistry ? { url: c.schemaRegistry.url.replace(/\/\/[^@/]*@/, '//***@'), username: c.schemaRegistry.auth?.username } : 'off',
  };
}
