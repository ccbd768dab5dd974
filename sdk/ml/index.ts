// Models: the autoencoder, its backend, features, scalers, thresholds and metrics.
export { Autoencoder } from './autoencoder';
export { promoteModel, modelVersions, ensureModelsTopic } from './production';
export type { ModelPublishOptions, ModelPublishResult } from './production';
export { DriftMonitor, featureDistribution, psi, decodeModelVersion, readModelVersion, ModelFeed } from '../runtime';
export type { DriftReport, DistributionSpec, ModelVersion, ModelRole } from '../runtime';
export type { DriftWatchOptions } from './autoencoder';
export type { SequenceOptions } from './sequence';
export type { AutoencoderOptions, FitOptions, ScoreOptions, PredictOptions, ExplainOptions, EvaluateOptions, FeatureScores } from './autoencoder';
export { backend, initBackend } from '../runtime/score/backend';
export type { BackendName } from '../runtime/score/backend';
export { Scaler, StandardScaler, MinMaxScaler } from './scaler';
export type { ScalerKind } from './scaler';
export { addWindowFeatures, rolling } from './features';
export {
  FeatureState, featureMatrix, recordsMatrix, windowFeatureNames, windowFeatureName, fitScaler, scaleInPlace, featureErrors, rowScores,
  topFeatures, recordProblem, checkPipeline, PIPELINE_VERSION, WINDOW_STATS,
} from '../runtime';
export type { PipelineSpec, WindowFeatureSpec, WindowStat, ScalerSpec, ThresholdSpec, InputSpec, ModelSpec } from '../runtime';
export { percentile, meanStd, confusion, precisionRecallF1, rocAuc, detectionMetrics, evaluateScores, bestThreshold } from './metrics';
export type { Confusion, DetectionMetrics, Evaluation, TypeMetrics } from './metrics';
export { computeThreshold, describeThreshold, DEFAULT_THRESHOLD, THRESHOLD_METHODS } from './threshold';
export type { ThresholdRule, MethodRule } from './threshold';
export { fitParetoTail, tailQuantile, tailRate, medianMad } from './tail';
export type { ParetoTail } from './tail';
export type { ValidationOptions, ValidationInfo } from './split';
export type { CalibrateOptions } from './calibrate';
export type { Progress, History, EarlyStoppingOptions } from './train';
export type { Activation } from './model';
export { ACTIVATIONS } from './model';
export type { TableLike } from './input';
