/**
 * TLS and SASL settings from the environment, with the exported app's names, so that every
 * command that connects to Kafka (`kafkalab ingest`, `simulate --kafka`, notebooks) reaches a
 * secured cluster the same way the app does:
 *   KAFKA_SSL (true/false; on when a CA or client certificate is given), KAFKA_SSL_CA,
 *   KAFKA_SSL_CERT, KAFKA_SSL_KEY (PEM file paths), KAFKA_SSL_KEY_PASSWORD,
 *   KAFKA_SSL_REJECT_UNAUTHORIZED (default true), KAFKA_SASL_MECHANISM (plain, scram-sha-256,
 *   scram-sha-512), KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD.
 * connect() uses them when its `ssl` / `sasl` options are not given. Secrets are remembered for
 * redaction (util/redact.ts) and never echoed in errors.
 */
import * as fs from 'fs';
import type { KafkaConfig } from 'kafkajs';
import { KafkalabError } from '../util/errors';
import { rememberSecret } from '../util/redact';

const MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

export function securityFromEnv(env: NodeJS.ProcessEnv = process.env): { ssl?: KafkaConfig['ssl']; sasl?: KafkaConfig['sasl'] } {
  const bad = (msg: string) => new KafkalabError(msg, { code: 'BAD_OPTION' });
  const file = (name: string): string | undefined => {
    const p = env[name]?.trim();
    if (!p) return undefined;
    try {
      return fs.readFileSync(p, 'utf8');
    } catch (err) {
      throw bad(`${name}=${p} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  };
  const flag = (name: string, dflt: boolean): boolean => {
    const v = env[name]?.trim().toLowerCase();
    if (!v) return dflt;
    if (['true', '1', 'yes'].includes(v)) return true;
    if (['false', '0', 'no'].includes(v)) return false;
    throw bad(`${name} must be true or false, got "${env[name]}"`);
  };
  const out: { ssl?: KafkaConfig['ssl']; sasl?: KafkaConfig['sasl'] } = {};
  const ca = file('KAFKA_SSL_CA');
  const cert = file('KAFKA_SSL_CERT');
  const key = file('KAFKA_SSL_KEY');
  if (Boolean(cert) !== Boolean(key)) throw bad('KAFKA_SSL_CERT and KAFKA_SSL_KEY must be set together (client certificate authentication)');
  if (flag('KAFKA_SSL', Boolean(ca || cert))) {
    const rejectUnauthorized = flag('KAFKA_SSL_REJECT_UNAUTHORIZED', true);
    const passphrase = env.KAFKA_SSL_KEY_PASSWORD || undefined;
    rememberSecret(passphrase);
    out.ssl = ca || cert || !rejectUnauthorized ? { rejectUnauthorized, ca: ca ? [ca] : undefined, cert, key, passphrase } : true;
  }
  const mechanism = env.KAFKA_SASL_MECHANISM?.trim().toLowerCase();
  if (mechanism) {
    if (!(MECHANISMS as readonly string[]).includes(mechanism)) throw bad(`KAFKA_SASL_MECHANISM must be one of ${MECHANISMS.join(', ')}, got "${env.KAFKA_SASL_MECHANISM}"`);
    const username = env.KAFKA_SASL_USERNAME ?? '';
    const password = env.KAFKA_SASL_PASSWORD ?? '';
    if (!username || !password) throw bad('KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD must be set when KAFKA_SASL_MECHANISM is set');
    rememberSecret(password);
    out.sasl = { mechanism: mechanism as (typeof MECHANISMS)[number], username, password } as KafkaConfig['sasl'];
  } else if (env.KAFKA_SASL_USERNAME || env.KAFKA_SASL_PASSWORD) {
    throw bad('KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD are set but KAFKA_SASL_MECHANISM is not (plain, scram-sha-256 or scram-sha-512)');
  }
  return out;
}
