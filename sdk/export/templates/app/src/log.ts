/** Structured logs: one JSON object per line on stdout, the format log collectors expect. */
import type { logLevel as KafkaLogLevel, LogEntry } from 'kafkajs';
import type { LogLevel } from './config';
import { redact, redactText } from '@kafkalab/runtime';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export function jsonLogger(level: LogLevel, write: (line: string) => void = (l) => process.stdout.write(l + '\n')): Logger {
  const min = RANK[level];
  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[lvl] < min) return;
    // Secrets (SASL and key passwords, URL passwords) never reach a log line: the one redaction helper.
    write(JSON.stringify({ time: new Date().toISOString(), level: lvl, msg: redactText(msg), pid: process.pid, ...(fields && redact(fields)) }, errorReplacer));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** Routes kafkajs's own logs into ours, so that everything the process prints is JSON. */
export function kafkaLogCreator(log: Logger) {
  // kafkajs levels: NOTHING 0, ERROR 1, WARN 2, INFO 4, DEBUG 5
  return (_level: KafkaLogLevel) =>
    ({ namespace, level, log: entry }: LogEntry) => {
      const { message, timestamp: _ts, logger: _l, ...fields } = entry as LogEntry['log'] & { logger?: string };
      const lvl: LogLevel = level <= 1 ? 'error' : level === 2 ? 'warn' : level === 4 ? 'info' : 'debug';
      log[lvl](message, { component: `kafkajs.${namespace}`, ...fields });
    };
}
