/**
 * Log configuration, the storage layer's error type, and Kafka's topic-name rules.
 */

export interface LogConfig {
  /** Roll the active segment once it would grow past this many bytes. */
  segmentBytes: number;
  /** Roll the active segment once its records span more than this much time. */
  segmentMs: number;
  /** Delete closed segments whose newest record is older than this; -1 keeps them forever. */
  retentionMs: number;
  /** Per partition: delete the oldest closed segments while the log is larger; -1 = unlimited. */
  retentionBytes: number;
  /** Bytes of log between two entries of the sparse offset and time indexes. */
  indexIntervalBytes: number;
  /** CreateTime keeps the producer's record timestamps; LogAppendTime stamps each batch with the broker's clock on append. */
  messageTimestampType: TimestampType;
}

export type TimestampType = 'CreateTime' | 'LogAppendTime';
const TIMESTAMP_TYPES: readonly string[] = ['CreateTime', 'LogAppendTime'];

export const DEFAULT_LOG_CONFIG: LogConfig = Object.freeze({
  segmentBytes: 64 * 1024 * 1024,
  segmentMs: 7 * 24 * 3600 * 1000,
  retentionMs: 7 * 24 * 3600 * 1000,
  retentionBytes: -1,
  indexIntervalBytes: 4096,
  messageTimestampType: 'CreateTime',
});

/** Kafka error codes the storage layer answers with. */
export const LogErrorCode = {
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  INVALID_TOPIC_EXCEPTION: 17,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_CONFIG: 40,
  KAFKA_STORAGE_ERROR: 56,
} as const;

/** A storage failure carrying the Kafka error code the broker should answer with. */
export class LogError extends Error {
  readonly code: number;
  constructor(code: number, message: string, opts: { cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'LogError';
    this.code = code;
  }
}

const MAX_TOPIC_NAME = 249;
const LEGAL_TOPIC_NAME = /^[a-zA-Z0-9._-]+$/;

/** Throws LogError(INVALID_TOPIC_EXCEPTION) unless `name` is a legal Kafka topic name. */
export function validateTopicName(name: string): void {
  const bad = (why: string) =>
    new LogError(LogErrorCode.INVALID_TOPIC_EXCEPTION, `Invalid topic name ${JSON.stringify(name)}: ${why}`);
  if (typeof name !== 'string' || name.length === 0) throw bad('it is empty');
  if (name === '.' || name === '..') throw bad('"." and ".." are not allowed');
  if (name.length > MAX_TOPIC_NAME) throw bad(`it is ${name.length} characters long, the limit is ${MAX_TOPIC_NAME}`);
  if (!LEGAL_TOPIC_NAME.test(name)) throw bad('use only ASCII letters, digits, ".", "_" and "-"');
}

/** Kafka refuses topics whose names differ only by "." versus "_" (metric names collide). */
export function collisionKey(name: string): string {
  return name.replace(/\./g, '_');
}

const CONFIG_KEYS = Object.keys(DEFAULT_LOG_CONFIG) as Array<keyof LogConfig>;

/** Checks a partial config (unknown keys, non-integers, out-of-range values) and returns a clean copy. */
export function validateConfig(config: Partial<LogConfig> | undefined): Partial<LogConfig> {
  const out: Partial<LogConfig> = {};
  if (!config) return out;
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined) continue;
    const k = key as keyof LogConfig;
    if (!CONFIG_KEYS.includes(k)) {
      throw new LogError(LogErrorCode.INVALID_CONFIG, `Unknown log config "${key}"; known: ${CONFIG_KEYS.join(', ')}`);
    }
    if (k === 'messageTimestampType') {
      if (!TIMESTAMP_TYPES.includes(value as string)) {
        throw new LogError(LogErrorCode.INVALID_CONFIG, `Invalid value ${String(value)} for log config "${key}": expected CreateTime or LogAppendTime`);
      }
      out[k] = value as TimestampType;
      continue;
    }
    const unlimitedAllowed = k === 'retentionMs' || k === 'retentionBytes';
    const min = k === 'segmentBytes' ? 14 + 61 : k === 'indexIntervalBytes' ? 0 : 1;
    const ok = typeof value === 'number' && Number.isSafeInteger(value) && (value >= min || (unlimitedAllowed && value === -1));
    if (!ok) {
      throw new LogError(
        LogErrorCode.INVALID_CONFIG,
        `Invalid value ${String(value)} for log config "${key}": expected an integer >= ${min}${unlimitedAllowed ? ' or -1' : ''}`,
      );
    }
    if (k === 'segmentBytes' && (value as number) > MAX_SEGMENT_BYTES) {
      throw new LogError(LogErrorCode.INVALID_CONFIG, `segmentBytes ${value} is over the limit of ${MAX_SEGMENT_BYTES} (positions are int32)`);
    }
    (out as Record<string, unknown>)[k] = value;
  }
  return out;
}

/** Index entries store file positions as int32, as Kafka does. */
export const MAX_SEGMENT_BYTES = 0x7fffffff;

export function resolveConfig(...layers: Array<Partial<LogConfig> | undefined>): LogConfig {
  const out: LogConfig = { ...DEFAULT_LOG_CONFIG };
  for (const layer of layers) Object.assign(out, validateConfig(layer));
  return out;
}
