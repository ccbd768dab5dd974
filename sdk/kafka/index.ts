// Kafka topics as DataFrames and streams: the client side, on kafkajs.
export { connect, KafkaConnection, isListening } from './connect';
export type { ConnectOptions, CreateTopicOptions } from './connect';
export { explainKafkaError, TOPIC_NAME_RULE } from './errors';
export type { PartitionInfo } from './catalog';
export { Topic } from './topic';
export type { ProduceOptions, ProduceResult } from './topic';
export type { ReadOptions } from './read';
export type { SourceOptions as StreamOptions } from './source';
export type { ReplayOptions, ReplayReport } from './replay';
export { ORIGINAL_TIMESTAMP_HEADER } from './replay';
export { parsePosition, resolveRanges } from './position';
export type { Position, PositionSpec, OffsetRange } from './position';
