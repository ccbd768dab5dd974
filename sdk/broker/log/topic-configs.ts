/**
 * Topic configuration with Kafka's names and semantics, for CreateTopics, DescribeConfigs,
 * AlterConfigs and IncrementalAlterConfigs. Every Kafka 4.x topic config is known: those that
 * map to a LogConfig field act on the log; the others are validated, stored and described
 * but change nothing here (the broker has one replica, no tiered storage, no quotas...).
 *
 * Sources, as DescribeConfigs reports them: 'topic' (an override set on the topic), 'broker'
 * (a startBroker({ log }) default, Kafka's static broker config) and 'default'.
 * Error codes follow Kafka: 40 INVALID_CONFIG for unknown names and bad values, 42
 * INVALID_REQUEST for nulls in AlterConfigs and for a name twice in one request.
 */
import { DEFAULT_LOG_CONFIG, LogConfig, LogError, LogErrorCode, type CleanupPolicy } from './config';

export type ConfigKind = 'boolean' | 'string' | 'int' | 'short' | 'long' | 'double' | 'list' | 'class' | 'password';
export type ConfigSourceName = 'topic' | 'broker' | 'default';

export interface ConfigSynonym {
  name: string;
  value: string | null;
  source: ConfigSourceName;
}

export interface DescribedConfig extends ConfigSynonym {
  readOnly: boolean;
  sensitive: boolean;
  type: ConfigKind;
  documentation: string;
  /** The topic override, the broker's default and the built-in default, most specific first. */
  synonyms: ConfigSynonym[];
}

/** IncrementalAlterConfigs operations (the wire's op codes). */
export const AlterConfigOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

interface ConfigDef {
  name: string;
  kind: ConfigKind;
  doc: string;
  /** The LogConfig field it sets; without one the config is stored and described only. */
  field?: keyof LogConfig;
  /** Kafka's default, for configs without a field (fields take theirs from DEFAULT_LOG_CONFIG). */
  fallback?: string;
  /** The broker-wide key Kafka lists as this config's synonym. */
  broker?: string;
  min?: number;
  max?: number;
  oneOf?: readonly string[];
}

const LONG_MAX = '9223372036854775807';
const INT_MAX = 2 ** 31 - 1;

const DEFS: ConfigDef[] = [
  { name: 'cleanup.policy', kind: 'list', field: 'cleanupPolicy', broker: 'log.cleanup.policy', oneOf: ['compact', 'delete'], doc: 'delete: drop old segments by retention.ms/retention.bytes; compact: keep the last value of every key; both: compact, then apply retention.' },
  { name: 'compression.gzip.level', kind: 'int', fallback: '-1', min: -1, max: 9, doc: 'Accepted and stored; batches are kept as produced.' },
  { name: 'compression.lz4.level', kind: 'int', fallback: '9', min: 1, max: 17, doc: 'Accepted and stored; batches are kept as produced.' },
  { name: 'compression.type', kind: 'string', fallback: 'producer', oneOf: ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'], broker: 'compression.type', doc: 'Accepted and stored; kafkalab keeps batches compressed as the producer sent them (producer).' },
  { name: 'compression.zstd.level', kind: 'int', fallback: '3', min: -131072, max: 22, doc: 'Accepted and stored; batches are kept as produced.' },
  { name: 'delete.retention.ms', kind: 'long', field: 'deleteRetentionMs', broker: 'log.cleaner.delete.retention.ms', min: 0, doc: 'How long a tombstone stays readable after compaction first reached it.' },
  { name: 'file.delete.delay.ms', kind: 'long', fallback: '60000', broker: 'log.segment.delete.delay.ms', min: 0, doc: 'Accepted and stored; kafkalab deletes segment files at once.' },
  { name: 'flush.messages', kind: 'long', fallback: LONG_MAX, broker: 'log.flush.interval.messages', min: 1, doc: 'Accepted and stored; kafkalab fsyncs every second (appends reach the OS at once).' },
  { name: 'flush.ms', kind: 'long', fallback: LONG_MAX, broker: 'log.flush.interval.ms', min: 0, doc: 'Accepted and stored; kafkalab fsyncs every second (appends reach the OS at once).' },
  { name: 'follower.replication.throttled.replicas', kind: 'list', fallback: '', doc: 'Accepted and stored; one node, no replication.' },
  { name: 'index.interval.bytes', kind: 'int', field: 'indexIntervalBytes', broker: 'log.index.interval.bytes', min: 0, doc: 'Bytes of log between two entries of the offset and time indexes.' },
  { name: 'leader.replication.throttled.replicas', kind: 'list', fallback: '', doc: 'Accepted and stored; one node, no replication.' },
  { name: 'local.retention.bytes', kind: 'long', fallback: '-2', broker: 'log.local.retention.bytes', min: -2, doc: 'Accepted and stored; no tiered storage.' },
  { name: 'local.retention.ms', kind: 'long', fallback: '-2', broker: 'log.local.retention.ms', min: -2, doc: 'Accepted and stored; no tiered storage.' },
  { name: 'max.compaction.lag.ms', kind: 'long', field: 'maxCompactionLagMs', broker: 'log.cleaner.max.compaction.lag.ms', min: 1, doc: 'A record left uncompacted this long makes the log eligible for cleaning whatever its dirty ratio.' },
  { name: 'max.message.bytes', kind: 'int', fallback: '1048588', broker: 'message.max.bytes', min: 0, doc: 'Accepted and stored; requests are bounded by the broker frame limit (maxFrameBytes).' },
  { name: 'message.timestamp.after.max.ms', kind: 'long', fallback: '3600000', broker: 'log.message.timestamp.after.max.ms', min: 0, doc: 'Accepted and stored; timestamps are not range-checked.' },
  { name: 'message.timestamp.before.max.ms', kind: 'long', fallback: LONG_MAX, broker: 'log.message.timestamp.before.max.ms', min: 0, doc: 'Accepted and stored; timestamps are not range-checked.' },
  { name: 'message.timestamp.type', kind: 'string', field: 'messageTimestampType', broker: 'log.message.timestamp.type', oneOf: ['CreateTime', 'LogAppendTime'], doc: 'CreateTime keeps the producer timestamps; LogAppendTime stamps every batch with the broker clock on append.' },
  { name: 'min.cleanable.dirty.ratio', kind: 'double', field: 'minCleanableDirtyRatio', broker: 'log.cleaner.min.cleanable.ratio', min: 0, max: 1, doc: 'Compact once the uncompacted share of the closed segments reaches this ratio.' },
  { name: 'min.compaction.lag.ms', kind: 'long', field: 'minCompactionLagMs', broker: 'log.cleaner.min.compaction.lag.ms', min: 0, doc: 'Records younger than this stay uncompacted.' },
  { name: 'min.insync.replicas', kind: 'int', fallback: '1', broker: 'min.insync.replicas', min: 1, doc: 'Accepted and stored; one node, so 1 in effect.' },
  { name: 'preallocate', kind: 'boolean', fallback: 'false', broker: 'log.preallocate', doc: 'Accepted and stored; segments are not preallocated.' },
  { name: 'remote.log.copy.disable', kind: 'boolean', fallback: 'false', doc: 'Accepted and stored; no tiered storage.' },
  { name: 'remote.log.delete.on.disable', kind: 'boolean', fallback: 'false', doc: 'Accepted and stored; no tiered storage.' },
  { name: 'remote.storage.enable', kind: 'boolean', fallback: 'false', doc: 'Accepted and stored; no tiered storage.' },
  { name: 'retention.bytes', kind: 'long', field: 'retentionBytes', broker: 'log.retention.bytes', doc: 'Per partition: delete the oldest closed segments while the log is larger; negative = unlimited.' },
  { name: 'retention.ms', kind: 'long', field: 'retentionMs', broker: 'log.retention.ms', min: -1, doc: 'Delete closed segments whose newest record is older than this; -1 keeps them forever.' },
  { name: 'segment.bytes', kind: 'int', field: 'segmentBytes', broker: 'log.segment.bytes', min: 75, doc: 'Roll the active segment past this size (kafkalab accepts small values, down to 75, for tests).' },
  { name: 'segment.index.bytes', kind: 'int', fallback: '10485760', broker: 'log.index.size.max.bytes', min: 4, doc: 'Accepted and stored; indexes grow as needed.' },
  { name: 'segment.jitter.ms', kind: 'long', fallback: '0', broker: 'log.roll.jitter.ms', min: 0, doc: 'Accepted and stored; rolls are not jittered.' },
  { name: 'segment.ms', kind: 'long', field: 'segmentMs', broker: 'log.roll.ms', min: 1, doc: 'Roll the active segment once its records span this long.' },
  { name: 'unclean.leader.election.enable', kind: 'boolean', fallback: 'false', broker: 'unclean.leader.election.enable', doc: 'Accepted and stored; one node.' },
];

const BY_NAME = new Map(DEFS.map((d) => [d.name, d]));
const BY_FIELD = new Map(DEFS.filter((d) => d.field).map((d) => [d.field!, d]));

export const TOPIC_CONFIG_NAMES: readonly string[] = DEFS.map((d) => d.name);

function invalid(name: string, value: string, why: string): LogError {
  return new LogError(LogErrorCode.INVALID_CONFIG, `Invalid value ${value} for configuration ${name}: ${why}`);
}

/** The typed value of `text` for `def` (what a LogConfig field holds), or throws 40. */
function parseValue(def: ConfigDef, text: string): unknown {
  const value = text.trim();
  switch (def.kind) {
    case 'int':
    case 'short':
    case 'long': {
      if (!/^-?\d+$/.test(value)) throw invalid(def.name, text, `Not a number of type ${def.kind.toUpperCase()}`);
      const big = BigInt(value);
      const limit = def.kind === 'long' ? 2n ** 63n : def.kind === 'int' ? 2n ** 31n : 2n ** 15n;
      if (big >= limit || big < -limit) throw invalid(def.name, text, `Not a number of type ${def.kind.toUpperCase()}`);
      const n = big > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(big);
      inRange(def, text, n);
      return n;
    }
    case 'double': {
      const n = Number(value);
      if (value === '' || !Number.isFinite(n)) throw invalid(def.name, text, 'Not a number of type DOUBLE');
      inRange(def, text, n);
      return n;
    }
    case 'boolean':
      if (!/^(true|false)$/i.test(value)) throw invalid(def.name, text, 'Expected value to be either true or false');
      return value.toLowerCase() === 'true';
    case 'list': {
      const items = value === '' ? [] : value.split(',').map((s) => s.trim());
      for (const item of items) {
        if (def.oneOf && !def.oneOf.includes(item.toLowerCase())) throw invalid(def.name, text, `String must be one of: ${def.oneOf.join(', ')}`);
      }
      if (def.field === 'cleanupPolicy') return cleanupPolicyOf(items, def, text);
      return items.join(',');
    }
    default:
      if (def.oneOf && !def.oneOf.includes(value)) throw invalid(def.name, text, `String must be one of: ${def.oneOf.join(', ')}`);
      return value;
  }
}

function cleanupPolicyOf(items: string[], def: ConfigDef, text: string): CleanupPolicy {
  const set = new Set(items.map((i) => i.toLowerCase()));
  if (set.size === 0) throw invalid(def.name, text, 'name compact, delete or both');
  return set.has('compact') ? (set.has('delete') ? 'compact,delete' : 'compact') : 'delete';
}

function inRange(def: ConfigDef, text: string, n: number): void {
  if (def.min !== undefined && n < def.min) throw invalid(def.name, text, `Value must be at least ${def.min}`);
  if (def.max !== undefined && n > def.max) throw invalid(def.name, text, `Value must be no more than ${def.max}`);
  if (def.kind === 'int' && n > INT_MAX) throw invalid(def.name, text, 'Not a number of type INT');
}

/** A LogConfig field's value as Kafka writes it. */
function fieldText(field: keyof LogConfig, value: unknown): string {
  if (typeof value === 'number' && value >= Number.MAX_SAFE_INTEGER) return LONG_MAX;
  return String(value);
}

/**
 * Checks topic configs given by Kafka name (CreateTopics, AlterConfigs) and returns them as
 * stored overrides (trimmed text) with the LogConfig part they set. A null value is refused
 * with `nullCode` (CreateTopics: 40, AlterConfigs: 42, as Kafka answers).
 */
export function parseTopicConfigs(
  configs: Record<string, string | null>,
  nullCode: number = LogErrorCode.INVALID_CONFIG,
): { overrides: Record<string, string>; log: Partial<LogConfig> } {
  const nulls = Object.keys(configs).filter((k) => configs[k] === null || configs[k] === undefined);
  if (nulls.length) {
    const what = nullCode === LogErrorCode.INVALID_CONFIG ? 'Null value not supported for topic configs: ' : 'Null value not supported for : ';
    throw new LogError(nullCode, what + nulls.join(', '));
  }
  const overrides: Record<string, string> = {};
  const log: Partial<LogConfig> = {};
  for (const [name, text] of Object.entries(configs) as Array<[string, string]>) {
    const def = BY_NAME.get(name);
    if (!def) throw new LogError(LogErrorCode.INVALID_CONFIG, `Unknown topic config name: ${name}`);
    const value = parseValue(def, text);
    overrides[name] = text.trim();
    if (def.field) (log as Record<string, unknown>)[def.field] = value;
  }
  const min = log.minCompactionLagMs ?? DEFAULT_LOG_CONFIG.minCompactionLagMs;
  const max = log.maxCompactionLagMs ?? DEFAULT_LOG_CONFIG.maxCompactionLagMs;
  if (min > max) {
    throw new LogError(LogErrorCode.INVALID_CONFIG, `conflict topic config setting min.compaction.lag.ms (${min}) > max.compaction.lag.ms (${max})`);
  }
  return { overrides, log };
}

/** Checks a partial LogConfig (broker defaults, PartitionLog options) with the same rules. */
export function validateConfig(config: Partial<LogConfig> | undefined): Partial<LogConfig> {
  const out: Partial<LogConfig> = {};
  for (const [key, value] of Object.entries(config ?? {})) {
    if (value === undefined) continue;
    const def = BY_FIELD.get(key as keyof LogConfig);
    if (!def) throw new LogError(LogErrorCode.INVALID_CONFIG, `Unknown log config "${key}"; known: ${[...BY_FIELD.keys()].join(', ')}`);
    if (typeof value !== (def.kind === 'double' || def.kind === 'long' || def.kind === 'int' ? 'number' : 'string')) {
      throw new LogError(LogErrorCode.INVALID_CONFIG, `Invalid value ${String(value)} for log config "${key}" (${def.name}): expected a ${def.kind}`);
    }
    try {
      (out as Record<string, unknown>)[key] = parseValue(def, String(value));
    } catch (err) {
      throw new LogError(LogErrorCode.INVALID_CONFIG, `${(err as Error).message} (log config "${key}")`);
    }
  }
  return out;
}

export function resolveConfig(...layers: Array<Partial<LogConfig> | undefined>): LogConfig {
  const out: LogConfig = { ...DEFAULT_LOG_CONFIG };
  for (const layer of layers) Object.assign(out, validateConfig(layer));
  return out;
}

/** Stored overrides of a topic as the LogConfig fields they set (overrides were validated when set). */
export function logConfigOf(overrides: Record<string, string>): Partial<LogConfig> {
  const out: Partial<LogConfig> = {};
  for (const [name, text] of Object.entries(overrides)) {
    const def = BY_NAME.get(name);
    if (def?.field) (out as Record<string, unknown>)[def.field] = parseValue(def, text);
  }
  return out;
}

/** Kafka names for a LogConfig partial (older catalogs stored topic configs by field). */
export function overridesOf(config: Partial<LogConfig>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, value] of Object.entries(config)) {
    const def = BY_FIELD.get(field as keyof LogConfig);
    if (def && value !== undefined) out[def.name] = fieldText(def.field!, value);
  }
  return out;
}

/** Every topic config with its effective value, source and synonyms (DescribeConfigs). */
export function describeTopicConfigs(overrides: Record<string, string>, brokerDefaults: Partial<LogConfig>): DescribedConfig[] {
  return DEFS.map((def) => {
    const synonyms: ConfigSynonym[] = [];
    if (overrides[def.name] !== undefined) synonyms.push({ name: def.name, value: overrides[def.name], source: 'topic' });
    if (def.field && brokerDefaults[def.field] !== undefined) {
      synonyms.push({ name: def.broker ?? def.name, value: fieldText(def.field, brokerDefaults[def.field]), source: 'broker' });
    }
    const builtIn = def.field ? fieldText(def.field, DEFAULT_LOG_CONFIG[def.field]) : def.fallback ?? null;
    synonyms.push({ name: def.broker ?? def.name, value: builtIn, source: 'default' });
    return {
      name: def.name,
      value: synonyms[0].value,
      source: synonyms[0].source,
      readOnly: false,
      sensitive: false,
      type: def.kind,
      documentation: def.doc,
      synonyms,
    };
  });
}

/** The broker-wide key, value and built-in default of each LogConfig field (for describing the broker). */
export function brokerLogConfigs(defaults: Partial<LogConfig>): Array<{ name: string; value: string; builtIn: string; type: ConfigKind; documentation: string }> {
  return [...BY_FIELD.values()].map((def) => {
    const field = def.field!;
    const builtIn = fieldText(field, DEFAULT_LOG_CONFIG[field]);
    return {
      name: def.broker ?? def.name,
      value: defaults[field] !== undefined ? fieldText(field, defaults[field]) : builtIn,
      builtIn,
      type: def.kind,
      documentation: `Default of the topic config ${def.name}: ${def.doc}`,
    };
  });
}

/**
 * IncrementalAlterConfigs on a topic's overrides: SET, DELETE, and APPEND/SUBTRACT for list
 * configs (starting from the override, else the default, as Kafka does). Returns the new
 * overrides; validation is parseTopicConfigs' afterwards.
 */
export function applyIncremental(
  current: Record<string, string>,
  ops: Array<{ name: string; op: number; value: string | null }>,
  brokerDefaults: Partial<LogConfig>,
): Record<string, string> {
  const names = ops.map((o) => o.name);
  if (new Set(names).size !== names.length) throw new LogError(LogErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys');
  const nulls = ops.filter((o) => o.op !== AlterConfigOp.DELETE && o.value === null).map((o) => o.name);
  if (nulls.length) throw new LogError(LogErrorCode.INVALID_REQUEST, `Null value not supported for : ${nulls.join(', ')}`);
  const next = { ...current };
  for (const { name, op, value } of ops) {
    const def = BY_NAME.get(name);
    if (op === AlterConfigOp.DELETE) {
      delete next[name];
      continue;
    }
    if (op !== AlterConfigOp.SET && op !== AlterConfigOp.APPEND && op !== AlterConfigOp.SUBTRACT) {
      throw new LogError(LogErrorCode.INVALID_REQUEST, `Unknown config operation ${op} for ${name}`);
    }
    if (!def) throw new LogError(LogErrorCode.INVALID_CONFIG, `Unknown topic config name: ${name}`);
    if (op === AlterConfigOp.SET) {
      next[name] = value!;
      continue;
    }
    const verb = op === AlterConfigOp.APPEND ? 'append' : 'subtract';
    if (def.kind !== 'list') throw new LogError(LogErrorCode.INVALID_CONFIG, `Config value ${verb} is not allowed for config key: ${name}`);
    const base = next[name] ?? describeTopicConfigs({}, brokerDefaults).find((d) => d.name === name)!.value ?? '';
    const items = base.split(',').map((s) => s.trim()).filter(Boolean);
    const given = value!.split(',').map((s) => s.trim()).filter(Boolean);
    const result = op === AlterConfigOp.APPEND ? [...items, ...given.filter((g) => !items.includes(g))] : items.filter((i) => !given.includes(i));
    next[name] = result.join(',');
  }
  return next;
}
