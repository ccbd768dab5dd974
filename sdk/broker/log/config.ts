/**
 * Log configuration (the resolved values storage acts on; topic-configs.ts maps Kafka's config
 * names onto them), the storage layer's error type, and Kafka's topic-name rules.
 */
import { ErrorCode } from '../../protocol/errors';

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
  /** 'delete' (retention), 'compact' (keep the last value per key), or both. */
  cleanupPolicy: CleanupPolicy;
  /** Compaction keeps a tombstone (null value) this long after its segment is cleaned, so consumers see the delete. */
  deleteRetentionMs: number;
  /** Compaction starts when dirty bytes / cleanable bytes reach this ratio (0..1). */
  minCleanableDirtyRatio: number;
  /** Records younger than this are never compacted. */
  minCompactionLagMs: number;
  /** A dirty record older than this makes its log eligible for cleaning whatever the ratio. */
  maxCompactionLagMs: number;
}

export type TimestampType = 'CreateTime' | 'LogAppendTime';
export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete';

export const DEFAULT_LOG_CONFIG: LogConfig = Object.freeze({
  segmentBytes: 64 * 1024 * 1024,
  segmentMs: 7 * 24 * 3600 * 1000,
  retentionMs: 7 * 24 * 3600 * 1000,
  retentionBytes: -1,
  indexIntervalBytes: 4096,
  messageTimestampType: 'CreateTime' as TimestampType,
  cleanupPolicy: 'delete' as CleanupPolicy,
  deleteRetentionMs: 24 * 3600 * 1000,
  minCleanableDirtyRatio: 0.5,
  minCompactionLagMs: 0,
  maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
});

/** Kafka error codes the storage layer answers with: the one table's (sdk/protocol/errors.ts). */
export const LogErrorCode = ErrorCode;

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

/** Index entries store file positions as int32, as Kafka does. */
export const MAX_SEGMENT_BYTES = 0x7fffffff;
