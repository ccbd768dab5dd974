/**
 * The data-plane pieces an exported app needs beside scoring, shared with the rest of kafkalab
 * rather than copied: producing hand-encoded record batches through kafkajs, the record-batch
 * encoding helpers and the Java client's key partitioner. (Their owners are sdk/kafka and
 * sdk/protocol; this file only names what the runtime package carries.)
 */
export { produceBody, produceToLeaders, produceVersion, rawProduceSupport, type KBroker, type KCluster, type KRequest } from '../kafka/raw-produce';
export { keyPartition, murmur2, varintSize, writeInt64, writeVarint } from '../protocol/batch-encoding';
export { crc32c } from '../protocol/crc32c';
