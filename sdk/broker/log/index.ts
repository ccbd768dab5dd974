/**
 * The broker's log storage: partition logs of record batches on disk, the topic catalog and
 * committed group offsets. Synchronous file I/O on purpose: one broker thread, local disk.
 */
export { DEFAULT_LOG_CONFIG, LogError, LogErrorCode, validateTopicName } from './config';
export type { CleanupPolicy, LogConfig, TimestampType } from './config';
export { AlterConfigOp, TOPIC_CONFIG_NAMES } from './topic-configs';
export type { ConfigKind, ConfigSourceName, ConfigSynonym, DescribedConfig } from './topic-configs';
export { PartitionLog } from './partition-log';
export type { PartitionLogOptions } from './partition-log';
export { LogManager } from './log-manager';
export type { LogManagerOptions, TopicInfo } from './log-manager';
export { OffsetStore } from './offset-store';
export type { CommittedEntry, CommittedOffset, OffsetStoreOptions } from './offset-store';
