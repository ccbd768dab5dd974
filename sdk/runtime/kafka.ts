/**
 * The data-plane pieces an exported app needs beside scoring, shared with the rest of kafkalab
 * rather than copied: the one adapter to kafkajs's internals (with its self-check), producing
 * hand-encoded record batches through it, group-less fetching of a partition's range (the window
 * restore), the one record-batch encoder and the Java client's key
 * partitioner, Kafka's error table, sleep/backoff/retry, and the one redaction helper (logs never carry secrets). (Their owners are sdk/kafka and
 * sdk/protocol; this file only names what the runtime package carries.)
 */
export { completeProducer } from '../kafka/complete-send';
export { openCluster, internalsStatus, type ClusterClient, type ClusterOptions } from '../kafka/adapter';
export { openFetcher, readRange, type KafkajsMessage, type PartitionFetch, type TopicFetcher } from '../kafka/fetcher';
export { PRODUCE_VERSIONS, produceBody, produceToLeaders } from '../kafka/raw-produce';
export { keyPartition, murmur2, RecordBatchWriter, varintSize, writeInt64, writeVarint, type BatchIdentity, type HeaderBytes } from '../protocol/batch-encoding';
export { ErrorCode, errorName, isRetriable, LEADER_MOVED, type ErrorName } from '../protocol/errors';
export { backoff, retry, sleep, type BackoffOptions, type RetryOptions } from '../util/retry';
export { crc32c } from '../protocol/crc32c';
export { redact, redactText, redactUrl, rememberSecret } from '../util/redact';
export { TRANSACTIONAL_BATCH, TransactionalBatches, TransactionsUnsupported, type TxnOffset } from '../kafka/raw-transactions';
