/**
 * Structured, namespaced logging that does nothing unless the caller asks for it.
 * Library code never writes to stdout; the CLI and the kernel pass a logger that does.
 */
import { redact, redactText } from './redact';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(namespace: string): Logger;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

class SilentLogger implements Logger {
  debug(): void {}
  info(): void {}
  warn(): void {}
  error(): void {}
  child(): Logger {
    return this;
  }
}

export const silentLogger: Logger = new SilentLogger();

export interface ConsoleLoggerOptions {
  level?: LogLevel;
  namespace?: string;
  /** 'text' for humans (CLI), 'json' for machines (exported apps, services). */
  format?: 'text' | 'json';
  /** Where lines go; stderr by default so that stdout stays for data. */
  write?: (line: string) => void;
}

export function consoleLogger(opts: ConsoleLoggerOptions = {}): Logger {
  const min = LEVELS[opts.level ?? 'info'];
  const format = opts.format ?? 'text';
  const write = opts.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const make = (ns: string | undefined): Logger => {
    const emit = (level: LogLevel, rawMsg: string, rawFields?: Record<string, unknown>) => {
      if (LEVELS[level] < min) return;
      // Secrets never reach a log line (util/redact.ts).
      const msg = redactText(rawMsg);
      const fields = rawFields && redact(rawFields);
      if (format === 'json') {
        write(JSON.stringify({ time: new Date().toISOString(), level, ns, msg, ...fields }));
      } else {
        const extra = fields && Object.keys(fields).length ? ' ' + JSON.stringify(fields) : '';
        write(`${level.padEnd(5)} ${ns ? `[${ns}] ` : ''}${msg}${extra}`);
      }
    };
    return {
      debug: (m, f) => emit('debug', m, f),
      info: (m, f) => emit('info', m, f),
      warn: (m, f) => emit('warn', m, f),
      error: (m, f) => emit('error', m, f),
      child: (name) => make(ns ? `${ns}:${name}` : name),
    };
  };
  return make(opts.namespace);
}

/** KAFKALAB_LOG=debug|info|warn|error turns on logging to stderr for any component. */
export function defaultLogger(namespace: string): Logger {
  const level = process.env.KAFKALAB_LOG as LogLevel | undefined;
  if (!level || !(level in LEVELS)) return silentLogger;
  return consoleLogger({ level, namespace });
}
