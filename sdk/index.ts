// The package root: everything a notebook or an operator imports comes from here.
export { KafkalabError } from './util/errors';
export type { Logger, LogLevel } from './util/log';
export { consoleLogger, silentLogger } from './util/log';
export { startBroker } from './broker';
export type { Broker, BrokerOptions } from './broker';
export { generateCarReadings, carReadings, CAR_FEATURES, CAR_SENSOR_FIELDS, CAR_READING_FIELDS, ANOMALY_TYPES } from './ingest/simulator';
export type { CarReading, CarReadingsOptions, CarFeature, AnomalyType } from './ingest/simulator';
export { plot, Figure } from './plot';
export type { FigureJSON, HTMLOptions } from './plot';
export { display, watch, trainingProgress, inKernel, DisplayHandle } from '../kernel/runtime';
export type { WatchOptions, WatchSummary, TrainingProgress } from '../kernel/runtime';
