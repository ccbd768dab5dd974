// The package root: everything a notebook or an operator imports comes from here.
export { KafkalabError } from './util/errors';
export type { Logger, LogLevel } from './util/log';
export { consoleLogger, silentLogger } from './util/log';
export { plot, Figure } from './plot';
export type { FigureJSON, HTMLOptions } from './plot';
