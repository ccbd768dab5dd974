// The package root: everything a notebook or an operator imports comes from here.
export { KafkalabError } from './util/errors';
export type { Logger, LogLevel } from './util/log';
export { consoleLogger, silentLogger } from './util/log';
export { startBroker } from './broker';
export type { Broker, BrokerOptions } from './broker';
export { startSchemaRegistry, SchemaRegistryClient, SchemaRegistryError, SchemaDecoder } from './registry';
export type { SchemaRegistry, SchemaRegistryOptions, SchemaRegistryTarget, RegistryAuth, SchemaType, CompatibilityLevel, SchemaReference, SchemaFormatName, SubjectNameStrategy } from './registry';
export { connect, KafkaConnection, Topic, parsePosition, ORIGINAL_TIMESTAMP_HEADER } from './kafka';
export type { ConnectOptions, CreateTopicOptions, ProduceOptions, ProduceResult, ReadOptions, StreamOptions, ReplayOptions, ReplayReport, Position } from './kafka';
export { Stream } from './stream/stream';
export type { Job, Sink, StreamStats, FrameConsumer, ToOptions, TransactionalSink } from './stream/stream';
export type { Row, AnonymizeOptions } from './stream/operators';
export type { WindowOptions, AggSpec, AggFunction } from './stream/window';
export type { BatchOptions } from './stream/queue';
export { toDataFrame, frameFromRecords, recordsOf, columnsOf, matrixOf, describeColumns, readReport, attrsOf, isMaterialized, columnBytes } from './frame/dataframe';
export type { DataFrame, ReadReport, ColumnStats, FrameAttrs } from './frame/dataframe';
export type { Format, CsvOptions } from './runtime/decode/record-decoder';
export { generateCarReadings, carReadings, CAR_FEATURES, CAR_SENSOR_FIELDS, CAR_READING_FIELDS, ANOMALY_TYPES } from './ingest/simulator';
export type { CarReading, CarReadingsOptions, CarFeature, AnomalyType } from './ingest/simulator';
export { simulateCars, startMqttBroker, ingestMqtt, writeCarReadings, readCarReadings } from './ingest';
export type { SimulateOptions, SimulationResult, Simulation, MqttBroker, MqttBrokerOptions, IngestOptions, IngestStats, IngestBridge, CarFileFormat } from './ingest';
export { generateMotorReadings, motorReadings, flatMotorReading, simulateMotors, writeMotorReadings, readMotorReadings, MOTOR_FEATURES, MOTOR_READING_FIELDS, MOTOR_FAULT_TYPES } from './ingest';
export type { MotorReading, MotorReadingsOptions, MotorFaultType, SimulateMotorsOptions, MotorSimulationResult, PublishOptions, DatasetFileFormat } from './ingest';
export {
  Autoencoder, backend, initBackend, Scaler, StandardScaler, MinMaxScaler, addWindowFeatures, rolling, FeatureState, featureMatrix,
  windowFeatureNames, percentile, meanStd, confusion, precisionRecallF1, rocAuc, detectionMetrics, evaluateScores, bestThreshold,
  computeThreshold, PIPELINE_VERSION, WINDOW_STATS, ACTIVATIONS, describeThreshold, DEFAULT_THRESHOLD, THRESHOLD_METHODS, fitParetoTail, tailQuantile, tailRate, medianMad,
  promoteModel, modelVersions, ensureModelsTopic, DriftMonitor, featureDistribution, psi, decodeModelVersion, readModelVersion, ModelFeed,
} from './ml';
export type {
  AutoencoderOptions, FitOptions, ScoreOptions, PredictOptions, ExplainOptions, EvaluateOptions, BackendName, ScalerKind, PipelineSpec, WindowFeatureSpec,
  WindowStat, ScalerSpec, ThresholdSpec, Confusion, DetectionMetrics, Evaluation, TypeMetrics, ThresholdRule, Progress, History,
  EarlyStoppingOptions, Activation, TableLike, MethodRule, ParetoTail, ValidationOptions, ValidationInfo, CalibrateOptions,
  ModelPublishOptions, ModelPublishResult, DriftReport, DistributionSpec, ModelVersion, ModelRole, DriftWatchOptions, SequenceOptions,
} from './ml';
export { plot, Figure } from './plot';
export type { FigureJSON, HTMLOptions } from './plot';
export { exportScoringApp, savedModel } from './export';
export { installAndBuild, startAppProcess, metricValue } from './export/process';
export type { AppProcess } from './export/process';
export type { ExportOptions, ExportResult, ExportableModel } from './export';
export { display, watch, trainingProgress, inKernel, DisplayHandle } from '../kernel/runtime';
export type { WatchOptions, WatchSummary, TrainingProgress } from '../kernel/runtime';
