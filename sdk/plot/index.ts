/** Plotly figure builders: every function returns a `Figure` that the kafkalab kernel draws inline. */
import { histogram, line, scatter } from './charts';
import { anomalies, confusion, featureErrors, loss } from './ml';

export const plot = { line, scatter, histogram, anomalies, loss, confusion, featureErrors };

export { Figure, isFigure, plotlyBundle, plotlyVersion } from './figure';
export type { FigureJSON, HTMLOptions, Layout, Trace } from './figure';
export type { CommonOptions, HistogramOptions, LineOptions, ScatterOptions } from './charts';
export type { AnomaliesOptions, ConfusionInput, ConfusionOptions, FeatureErrorInput, FeatureErrorOptions, LossHistory, LossOptions } from './ml';
