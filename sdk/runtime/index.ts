/**
 * kafkalab's record-to-score runtime: the one implementation of what happens between a Kafka
 * record and its anomaly score, run by the notebook (topic.read/stream, Autoencoder.score,
 * predict, explain) and by every exported scoring app, which depends on it as the package
 * `@kafkalab/runtime` (packed from this tree at export time).
 *
 *   decode/   where a record becomes a row (and a column): the JSON byte scanner, the JSON.parse
 *             path, the type rules (values.ts), typed columns, the record decoder and its
 *             failure reasons
 *   score/    where a score is computed: pipeline.json, window features per key, the scaler,
 *             the TensorFlow.js backend and model call, scores, verdicts and top features
 *   kafka.ts  what an app needs beside scoring: the raw produce path and record-batch helpers
 *   registry.ts  the Schema Registry client and encoder (an app's Avro output)
 *
 * It imports only Node's built-ins, kafkajs, TensorFlow.js and the schema libraries (avsc,
 * protobufjs, ajv; loaded on first use) (test/runtime/closure.test.ts walks its imports), so that
 * an app carries nothing of the notebook side.
 */
export { Column, ColumnSet, recordColumns, rowColumns, type CellValue, type ColumnData, type ColumnType, type Schema } from './decode/columns';
export { flattenValue, type CellSink } from './decode/flatten';
export { JsonScanner, type ScanOptions } from './decode/json-scan';
export { FORMATS, META_COLUMNS, RecordDecoder, splitCsvLine, type CsvOptions, type DecodeOptions, type DecoderOptions, type Format, type RawRecord } from './decode/record-decoder';
export { SchemaCache, SchemaEntry, type SchemaSource } from './decode/schema/schemas';
export { compileAvroColumns, type AvroColumnPlan, type AvroColumnReader } from './decode/schema/avro-columns';
export { DECODE_FAILURE, FLOAT32_MAX, MAX_DEPTH, isMissing, numericText, toNumber } from './decode/values';

export { backend, initBackend, tf, type BackendName } from './score/backend';
export { FeatureState, featureMatrix, recordsMatrix } from './score/features';
export { fileLoadHandler, forward, loadModel, MODEL_FILE } from './score/model';
export {
  checkPipeline, featurePlan, PIPELINE_VERSION, WINDOW_STATS, windowFeatureName, windowFeatureNames,
  type FeatureSource, type InputSpec, type ModelSpec, type PipelineSpec, type ScalerSpec, type ThresholdSpec, type WindowFeatureSpec, type WindowStat,
} from './score/pipeline';
export { featureErrors, rowScores, topFeatures, topFeaturesInto } from './score/reconstruction';
export { prepareRows, reasonKind, recordProblem, ROW_PROBLEM, type PreparedRows, type RowColumns } from './score/rows';
export { fitScaler, scaleInPlace, scaleRow } from './score/scaler';
export { Scorer, type Contribution, type RowScores } from './score/scorer';
export { SequenceState, windowFeatureErrors } from './score/sequence';
export { checkpointFrom, PartitionWindows, WINDOW_CHECKPOINT, windowCheckpoint, type RestoreReport, type WindowRecord, type WindowSource } from './score/windows';
export { binOf, DRIFT_BINS, DriftMonitor, featureDistribution, psi, PSI_FLOOR, type DistributionSpec, type DriftReport, type FeatureBins } from './score/drift';
export {
  contentId, decodeModelVersion, DEFAULT_MODEL_NAME, encodeModelVersion, loadVersionModel, MODEL_ROLES, MODEL_VERSION_FORMAT, modelArtifacts, modelKey, modelVersionOf,
  parseModelKey, readModelVersion, versionOf, type ModelRole, type ModelVersion,
} from './score/versions';
export { ensureModelTopic, ModelFeed, type ModelFeedOptions, type ModelState } from './model-feed';

export * from './kafka';
export * from './registry';
