/**
 * The data-plane pieces an exported app needs beside scoring, shared with the rest of kafkalab
 * rather than copied: the one adapter to kafkajs's internals (with its self-check), producing
 * hand-encoded record batches through it, the record-batch encoding helpers and the Java
 * client's key partitioner. (Their owners are sdk/kafka and
 * sdk/protocol; this file only names what the runtime package carries.)
 */
export { openCluster, internalsStatus, type ClusterClient, type ClusterOptions } from '../kafka/adapter';
export { PRODUCE_VERSIONS, produceBody, produceToLeaders } from '../kafka/raw-produce';
export { keyPartition, murmur2, varintSize, writeInt64, writeVarint } from '../protocol/batch-encoding';
export { crc32c } from '../protocol/crc32c';
