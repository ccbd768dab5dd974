/**
 * The broker's security settings made real: the `tls`, `sasl` and `acls` options of
 * startBroker() become the 'security' service (see security.ts for the seam) and the TLS
 * listener options. Without them the broker stays exactly the plaintext default.
 *
 * - `sasl: { mechanisms, users, sessionLifetimeMs }`: every connection must authenticate with one
 *   of the mechanisms before anything but ApiVersions / SaslHandshake / SaslAuthenticate (else
 *   it is closed, as Kafka does); the principal is `User:<name>`. `sessionLifetimeMs` > 0 is
 *   answered in SaslAuthenticate v1+ (Kafka's connections.max.reauth.ms): a connection whose
 *   session expired must re-authenticate (KIP-368) before anything else, or is closed.
 * - `acls`: turns the ACL authorizer on (on by default with SASL). See acls.ts.
 * - `tls: { key, cert, ca?, requestCert? }`: the listener speaks TLS (SSL or SASL_SSL). With
 *   `requestCert` and a `ca`, clients must present a certificate signed by it; without SASL the
 *   principal is then `User:` + the certificate subject (`CN=alice,O=...`), like Kafka's SSL
 *   principal.
 */
import * as fs from 'fs';
import * as path from 'path';
import type * as tls from 'tls';
import { KafkalabError } from '../util/errors';
import { rememberSecret } from '../util/redact';
import { AclAuthorizer, type AclOptions } from './acls';
import { registerService, type BrokerState } from './registry';
import { PlainExchange, SASL_MECHANISMS, SaslUsers, ScramExchange, type SaslMechanism, type SaslUser, type ScramMechanism } from './sasl';
import { ALLOW_EVERYTHING, ANONYMOUS, SECURITY_SERVICE, type SaslExchange, type Security } from './security';

export interface TlsOptions {
  /** PEM private key of the broker's certificate. */
  key: string | Buffer;
  /** PEM certificate (chain) of the broker. */
  cert: string | Buffer;
  /** Passphrase of an encrypted key. */
  passphrase?: string;
  /** CA(s) client certificates must be signed by (mutual TLS, with requestCert). */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Require a client certificate signed by `ca` (Kafka's ssl.client.auth=required). */
  requestCert?: boolean;
}

export interface SaslOptions {
  /** Enabled mechanisms; default all three: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512. */
  mechanisms?: SaslMechanism[];
  /** user name -> password, or stored SCRAM credentials ({ 'SCRAM-SHA-256': { salt, iterations, storedKey, serverKey } }). */
  users: Record<string, SaslUser>;
  /** PBKDF2 iterations for credentials made from passwords (default 4096, Kafka's minimum). */
  iterations?: number;
  /** Session lifetime answered to clients (Kafka's connections.max.reauth.ms); 0 = unlimited (default). */
  sessionLifetimeMs?: number;
}

/** What startBroker passes on to the service (BrokerConfig.security). */
export interface SecurityConfig {
  sasl?: SaslOptions;
  acls?: AclOptions | false;
  /** Where ACLs persist. */
  aclFile?: string;
  tls?: TlsOptions;
}

/** Checks the options early so startBroker fails with a clear message, not at the first client. */
export function checkSecurityOptions(o: { tls?: TlsOptions; sasl?: SaslOptions; acls?: AclOptions | boolean }): void {
  const bad = (msg: string, hint?: string) => new KafkalabError(msg, { code: 'BAD_OPTION', hint });
  if (o.tls) {
    if (!o.tls.key || !o.tls.cert) throw bad('tls needs both key and cert (PEM contents)', 'e.g. tls: { key: fs.readFileSync("broker.key"), cert: fs.readFileSync("broker.crt") }');
    if (o.tls.requestCert && !o.tls.ca) throw bad('tls.requestCert needs tls.ca (the CA client certificates are checked against)');
  }
  if (o.sasl) {
    const mechanisms = o.sasl.mechanisms ?? [...SASL_MECHANISMS];
    if (!Array.isArray(mechanisms) || !mechanisms.length) throw bad('sasl.mechanisms must list at least one mechanism', `one of ${SASL_MECHANISMS.join(', ')}`);
    for (const m of mechanisms) {
      if (!(SASL_MECHANISMS as readonly string[]).includes(m)) throw bad(`unknown SASL mechanism ${String(m)}`, `use ${SASL_MECHANISMS.join(', ')}`);
    }
    if (!o.sasl.users || typeof o.sasl.users !== 'object' || !Object.keys(o.sasl.users).length) throw bad('sasl.users must name at least one user', "e.g. users: { alice: 'secret' }");
    const life = o.sasl.sessionLifetimeMs ?? 0;
    if (!Number.isInteger(life) || life < 0) throw bad(`sasl.sessionLifetimeMs must be a non-negative integer, got ${life}`);
  }
}

/** A users file for `--sasl-users`: JSON { "alice": "secret", "bob": { "SCRAM-SHA-256": {...} } }. */
export function readSaslUsersFile(file: string): Record<string, SaslUser> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new KafkalabError(`cannot read the SASL users file ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { code: 'BAD_OPTION' });
  }
  let users: unknown;
  try {
    users = JSON.parse(text);
  } catch {
    // The parser's message may quote the file's content (passwords): say only where.
    throw new KafkalabError(`the SASL users file ${file} is not valid JSON`, {
      code: 'BAD_OPTION',
      hint: 'expected {"alice": "password"} or {"alice": {"SCRAM-SHA-256": {"salt": ..., "iterations": 4096, "storedKey": ..., "serverKey": ...}}}',
    });
  }
  if (!users || typeof users !== 'object' || Array.isArray(users)) throw new KafkalabError(`the SASL users file ${file} must hold a JSON object of users`, { code: 'BAD_OPTION' });
  return users as Record<string, SaslUser>;
}

/** The security service for one broker, from its config. */
export function createSecurity(config: SecurityConfig | undefined): Security {
  const sasl = config?.sasl;
  const aclOptions = config?.acls === false ? undefined : config?.acls ?? (sasl ? {} : undefined);
  const acls = aclOptions ? new AclAuthorizer(aclOptions, config?.aclFile) : undefined;
  let users: SaslUsers | undefined;
  if (sasl) {
    for (const u of Object.values(sasl.users)) if (typeof u === 'string') rememberSecret(u);
    try {
      users = new SaslUsers(sasl.users, sasl.iterations);
    } catch (err) {
      throw new KafkalabError(`invalid sasl.users: ${(err as Error).message}`, { code: 'BAD_OPTION' });
    }
  }
  const mechanisms: readonly string[] = sasl ? sasl.mechanisms ?? [...SASL_MECHANISMS] : [];
  const lifetime = sasl?.sessionLifetimeMs ?? 0;
  return {
    saslMechanisms: mechanisms,
    requireAuthentication: Boolean(sasl),
    startSasl(mechanism): SaslExchange {
      if (!users || !mechanisms.includes(mechanism)) throw new Error(`SASL mechanism ${mechanism} is not enabled`);
      const inner: SaslExchange = mechanism === 'PLAIN' ? new PlainExchange(users) : new ScramExchange(mechanism as ScramMechanism, users);
      return {
        step(token) {
          const r = inner.step(token);
          return r.principal !== undefined && lifetime > 0 ? { ...r, sessionLifetimeMs: lifetime } : r;
        },
      };
    },
    authorizer: acls ?? ALLOW_EVERYTHING,
    acls,
  };
}

registerService(SECURITY_SERVICE, (broker: BrokerState) => createSecurity(broker.config.security));

/** Node's TLS server options for the listener. */
export function tlsServerOptions(t: TlsOptions): tls.TlsOptions {
  return { key: t.key, cert: t.cert, passphrase: t.passphrase, ca: t.ca, requestCert: Boolean(t.requestCert), rejectUnauthorized: Boolean(t.requestCert), minVersion: 'TLSv1.2' };
}

/** Kafka's SSL principal: `User:` + the certificate subject, most specific first (CN=alice,OU=...,O=...). */
export function tlsPrincipal(socket: tls.TLSSocket): string {
  if (!socket.authorized) return ANONYMOUS;
  const subject = socket.getPeerCertificate()?.subject as unknown as Record<string, string | string[]> | undefined;
  if (!subject || !Object.keys(subject).length) return ANONYMOUS;
  const parts = Object.entries(subject).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${k}=${x}`));
  return `User:${parts.reverse().join(',')}`;
}

export function aclFileIn(dataDir: string): string {
  return path.join(dataDir, 'acls.json');
}
