/**
 * SASL mechanisms of the broker: PLAIN (RFC 4616) and SCRAM-SHA-256 / SCRAM-SHA-512
 * (RFC 5802, RFC 7677), written from the RFCs.
 *
 * Users are kept as SCRAM credentials only (salt, iterations, StoredKey, ServerKey per hash, as
 * Kafka keeps them): a plaintext password given in the options is turned into credentials at
 * start and not kept. PLAIN checks a password against the SCRAM-SHA-256 credential (or
 * SCRAM-SHA-512 when that is the only one), so one user store serves every mechanism.
 *
 * Failures throw one message that names the mechanism and never the user's input, like Kafka's
 * "Authentication failed during authentication due to invalid credentials with SASL mechanism".
 */
import * as crypto from 'crypto';
import type { SaslExchange } from './security';

export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];
export type ScramMechanism = Exclude<SaslMechanism, 'PLAIN'>;
export const SCRAM_MECHANISMS: readonly ScramMechanism[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];

/** Kafka refuses fewer (and more than 16384) iterations for SCRAM credentials. */
export const SCRAM_MIN_ITERATIONS = 4096;
export const SCRAM_MAX_ITERATIONS = 16384;

/** One user's SCRAM credential for one hash (RFC 5802 section 3), base64 fields. */
export interface ScramCredential {
  salt: string;
  iterations: number;
  storedKey: string;
  serverKey: string;
}

/** A user as configured: a password (turned into credentials) or stored credentials per mechanism. */
export type SaslUser = string | Partial<Record<ScramMechanism, ScramCredential>>;

const HASH: Record<ScramMechanism, { name: 'sha256' | 'sha512'; bytes: number }> = {
  'SCRAM-SHA-256': { name: 'sha256', bytes: 32 },
  'SCRAM-SHA-512': { name: 'sha512', bytes: 64 },
};

const hmac = (hash: string, key: Buffer, data: string | Buffer) => crypto.createHmac(hash, key).update(data).digest();
const digest = (hash: string, data: Buffer) => crypto.createHash(hash).update(data).digest();

/** SaltedPassword = Hi(Normalize(password), salt, i): PBKDF2 with HMAC of the mechanism's hash. */
export function saltedPassword(mechanism: ScramMechanism, password: string, salt: Buffer, iterations: number): Buffer {
  const h = HASH[mechanism];
  // The password's UTF-8 bytes, without SASLprep: what Kafka's ScramFormatter, librdkafka and kafkajs all do.
  return crypto.pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, h.bytes, h.name);
}

/** The credential a server stores for `password` (a fresh random salt unless one is given). */
export function scramCredential(mechanism: ScramMechanism, password: string, opts: { iterations?: number; salt?: Buffer } = {}): ScramCredential {
  const h = HASH[mechanism];
  const iterations = opts.iterations ?? SCRAM_MIN_ITERATIONS;
  const salt = opts.salt ?? crypto.randomBytes(16);
  const salted = saltedPassword(mechanism, password, salt, iterations);
  const clientKey = hmac(h.name, salted, 'Client Key');
  return {
    salt: salt.toString('base64'),
    iterations,
    storedKey: digest(h.name, clientKey).toString('base64'),
    serverKey: hmac(h.name, salted, 'Server Key').toString('base64'),
  };
}

/** Credentials of every user for every SCRAM mechanism; what the broker keeps. */
export class SaslUsers {
  private readonly users = new Map<string, Partial<Record<ScramMechanism, ScramCredential>>>();

  constructor(users: Record<string, SaslUser>, iterations = SCRAM_MIN_ITERATIONS) {
    for (const [name, user] of Object.entries(users)) {
      if (!name) throw new Error('SASL user names must not be empty');
      if (typeof user === 'string') {
        if (!user) throw new Error(`SASL user ${name} has an empty password`);
        this.users.set(name, Object.fromEntries(SCRAM_MECHANISMS.map((m) => [m, scramCredential(m, user, { iterations })])));
        continue;
      }
      if (!user || typeof user !== 'object') throw new Error(`SASL user ${name}: expected a password or SCRAM credentials`);
      const creds: Partial<Record<ScramMechanism, ScramCredential>> = {};
      for (const [mech, c] of Object.entries(user)) {
        if (!(SCRAM_MECHANISMS as readonly string[]).includes(mech)) throw new Error(`SASL user ${name}: unknown mechanism ${mech} (expected ${SCRAM_MECHANISMS.join(' or ')})`);
        const problem = credentialProblem(mech as ScramMechanism, c);
        if (problem) throw new Error(`SASL user ${name}, ${mech}: ${problem}`);
        creds[mech as ScramMechanism] = c;
      }
      if (!Object.keys(creds).length) throw new Error(`SASL user ${name} has no credentials`);
      this.users.set(name, creds);
    }
  }

  get size(): number {
    return this.users.size;
  }

  credential(user: string, mechanism: ScramMechanism): ScramCredential | undefined {
    return this.users.get(user)?.[mechanism];
  }

  /** PLAIN: the password checked against the user's stored SCRAM credential. */
  checkPassword(user: string, password: string): boolean {
    const creds = this.users.get(user);
    const mechanism = creds?.['SCRAM-SHA-256'] ? 'SCRAM-SHA-256' : 'SCRAM-SHA-512';
    const c = creds?.[mechanism];
    if (!c) return false;
    const h = HASH[mechanism];
    const clientKey = hmac(h.name, saltedPassword(mechanism, password, Buffer.from(c.salt, 'base64'), c.iterations), 'Client Key');
    return safeEqual(digest(h.name, clientKey), Buffer.from(c.storedKey, 'base64'));
  }
}

function credentialProblem(mechanism: ScramMechanism, c: unknown): string | undefined {
  const o = c as Partial<ScramCredential> | null;
  if (!o || typeof o !== 'object') return 'expected { salt, iterations, storedKey, serverKey }';
  if (!Number.isInteger(o.iterations) || o.iterations! < SCRAM_MIN_ITERATIONS || o.iterations! > SCRAM_MAX_ITERATIONS) {
    return `iterations must be an integer from ${SCRAM_MIN_ITERATIONS} to ${SCRAM_MAX_ITERATIONS}`;
  }
  const bytes = HASH[mechanism].bytes;
  for (const k of ['salt', 'storedKey', 'serverKey'] as const) {
    if (typeof o[k] !== 'string' || !o[k]) return `${k} must be a base64 string`;
  }
  if (Buffer.from(o.storedKey!, 'base64').length !== bytes || Buffer.from(o.serverKey!, 'base64').length !== bytes) return `storedKey and serverKey must be ${bytes} bytes (base64)`;
  return undefined;
}

function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

export class SaslAuthenticationError extends Error {
  constructor(mechanism: string) {
    super(`Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`);
    this.name = 'SaslAuthenticationError';
  }
}

/** PLAIN: one token `authzid NUL authcid NUL passwd`; the authorization id, if any, must be the user. */
export class PlainExchange implements SaslExchange {
  private done = false;
  constructor(private readonly users: SaslUsers) {}

  step(token: Buffer): { response: Buffer; principal?: string } {
    if (this.done) throw new SaslAuthenticationError('PLAIN');
    this.done = true;
    const parts = token.toString('utf8').split('\0');
    if (parts.length !== 3) throw new SaslAuthenticationError('PLAIN');
    const [authzid, user, password] = parts;
    if (!user || (authzid && authzid !== user) || !this.users.checkPassword(user, password)) throw new SaslAuthenticationError('PLAIN');
    return { response: Buffer.alloc(0), principal: `User:${user}` };
  }
}

/** RFC 5802 saslname: "=2C" is ',' and "=3D" is '='; any other '=' is malformed. */
function unescapeName(s: string): string | undefined {
  if (/=(?!2C|3D)/.test(s)) return undefined;
  return s.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/** SCRAM-SHA-256/512 server side: client-first, server-first, client-final, server-final. */
export class ScramExchange implements SaslExchange {
  private state: 'first' | 'final' | 'done' = 'first';
  private user = '';
  private gs2Header = '';
  private nonce = '';
  private clientFirstBare = '';
  private serverFirst = '';
  private credential: ScramCredential | undefined;

  constructor(
    private readonly mechanism: ScramMechanism,
    private readonly users: SaslUsers,
    private readonly serverNonce: () => string = () => crypto.randomBytes(18).toString('base64'),
  ) {}

  private fail(): never {
    this.state = 'done';
    throw new SaslAuthenticationError(this.mechanism);
  }

  step(token: Buffer): { response: Buffer; principal?: string } {
    if (this.state === 'first') return this.first(token.toString('utf8'));
    if (this.state === 'final') return this.final(token.toString('utf8'));
    return this.fail();
  }

  private first(msg: string): { response: Buffer } {
    // gs2-header: cbind-flag "," [authzid] ","; channel binding ("p=") is not offered here.
    const m = /^([ny]),(a=[^,]*)?,(.*)$/s.exec(msg);
    if (!m) return this.fail();
    this.gs2Header = `${m[1]},${m[2] ?? ''},`;
    this.clientFirstBare = m[3];
    const attrs = parseAttributes(this.clientFirstBare);
    if (!attrs || attrs[0]?.[0] !== 'n' || attrs[1]?.[0] !== 'r' || attrs.some(([k]) => k === 'm')) return this.fail();
    const user = unescapeName(attrs[0][1]);
    const clientNonce = attrs[1][1];
    if (!user || !clientNonce || /[^\x21-\x2b\x2d-\x7e]/.test(clientNonce)) return this.fail();
    if (m[2] && unescapeName(m[2].slice(2)) !== user) return this.fail();
    this.credential = this.users.credential(user, this.mechanism);
    if (!this.credential) return this.fail();
    this.user = user;
    this.nonce = clientNonce + this.serverNonce();
    this.serverFirst = `r=${this.nonce},s=${this.credential.salt},i=${this.credential.iterations}`;
    this.state = 'final';
    return { response: Buffer.from(this.serverFirst, 'utf8') };
  }

  private final(msg: string): { response: Buffer; principal: string } {
    const attrs = parseAttributes(msg);
    if (!attrs || attrs.length < 3) return this.fail();
    const [c, r] = attrs;
    const p = attrs[attrs.length - 1];
    if (c[0] !== 'c' || r[0] !== 'r' || p[0] !== 'p') return this.fail();
    // Kafka checks that the final nonce ENDS with the server-first one: librdkafka (2.0.2 at least)
    // sends its client nonce again in front of the combined nonce, and Kafka accepts that.
    if (c[1] !== Buffer.from(this.gs2Header, 'utf8').toString('base64') || !r[1].endsWith(this.nonce)) return this.fail();
    const withoutProof = msg.slice(0, msg.lastIndexOf(',p='));
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const h = HASH[this.mechanism];
    const cred = this.credential!;
    const storedKey = Buffer.from(cred.storedKey, 'base64');
    const proof = Buffer.from(p[1], 'base64');
    if (proof.length !== h.bytes) return this.fail();
    const clientSignature = hmac(h.name, storedKey, authMessage);
    const clientKey = Buffer.alloc(h.bytes);
    for (let i = 0; i < h.bytes; i++) clientKey[i] = proof[i] ^ clientSignature[i];
    if (!safeEqual(digest(h.name, clientKey), storedKey)) return this.fail();
    const serverSignature = hmac(h.name, Buffer.from(cred.serverKey, 'base64'), authMessage);
    this.state = 'done';
    return { response: Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8'), principal: `User:${this.user}` };
  }
}

/** "k=v,k=v" with single-letter keys; undefined when malformed. */
function parseAttributes(s: string): Array<[string, string]> | undefined {
  const out: Array<[string, string]> = [];
  for (const part of s.split(',')) {
    const m = /^([A-Za-z])=(.*)$/s.exec(part);
    if (!m) return undefined;
    out.push([m[1], m[2]]);
  }
  return out;
}
