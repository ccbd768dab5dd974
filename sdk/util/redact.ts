/**
 * The one redaction helper of kafkalab: secrets never reach a log line, an error message or a
 * metric, in the CLI, the bridge, the broker, the kernel, the registry or an exported app.
 *
 * - `redactText(s)`: passwords in URLs (`scheme://user:PASS@host` → `scheme://user:***@host`),
 *   `password=...`-style pairs, and every secret value the process was handed (see
 *   `rememberSecret`), also in their URL-encoded form.
 * - `redact(value)`: a copy of a log-field object where keys that name secrets (password,
 *   passphrase, secret, token, credentials, authorization, userInfo...) are masked, strings go
 *   through redactText and Errors become { name, message, stack } redacted.
 * - `rememberSecret(s)`: where kafkalab receives a secret (SASL and MQTT passwords, key
 *   passphrases, registry credentials) it registers it, so it is masked wherever it might be
 *   echoed later (a library's error message, a URL in a stack trace).
 *
 * consoleLogger (util/log.ts) and KafkalabError apply it to everything they print; the exported
 * app's JSON logger applies it too (it is part of @kafkalab/runtime). Imports nothing.
 */
export const MASK = '***';

const SECRET_KEY = /^(pass|passwd|password|passphrase|secret|token|credentials?|authorization|api[-_]?key|user[-_]?info|basic[-_]?auth|sasl[-_]?password|client[-_]?secret|private[-_]?key)$|(password|passphrase|secret|token)$/i;
/** scheme://user:password@ (the password may be empty; user may be empty). */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/?#@:]*):([^\s/?#@]*)@/gi;
/** key=value / key: value pairs whose key names a secret, in free text (query strings, librdkafka-style config dumps). */
const PAIR = /\b((?:sasl\.)?(?:password|passwd|passphrase|secret|token|api[-_]?key))(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&,;"']+)/gi;

const MAX_REMEMBERED = 64;
const MIN_SECRET = 3;
const remembered = new Set<string>();

/** Registers a secret value to mask wherever it shows up later. Short values (< 3 chars) are not (they would mask ordinary text). */
export function rememberSecret(value: string | undefined | null): void {
  if (typeof value !== 'string' || value.length < MIN_SECRET || remembered.has(value)) return;
  if (remembered.size >= MAX_REMEMBERED) remembered.delete(remembered.values().next().value as string);
  remembered.add(value);
}

/** Forgets every remembered secret (tests). */
export function forgetSecrets(): void {
  remembered.clear();
}

export function redactText(s: string): string {
  if (typeof s !== 'string' || s.length === 0) return s;
  let out = s.replace(URL_PASSWORD, (_m, head: string) => `${head}:${MASK}@`).replace(PAIR, (_m, k: string, sep: string) => `${k}${sep}${MASK}`);
  for (const secret of remembered) {
    if (out.includes(secret)) out = out.split(secret).join(MASK);
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret && out.includes(encoded)) out = out.split(encoded).join(MASK);
  }
  return out;
}

/** A URL as it is safe to show: the password replaced by *** (the user name kept). */
export function redactUrl(url: string): string {
  return redactText(url);
}

/** A copy of `value` safe to log (see the module comment). */
export function redact<T>(value: T): T {
  return walk(value, 0, new WeakSet()) as T;
}

function walk(v: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof v === 'string') return redactText(v);
  if (v === null || typeof v !== 'object') return v;
  if (seen.has(v) || depth > 8) return '[…]';
  seen.add(v);
  if (v instanceof Error) {
    const o: Record<string, unknown> = { name: v.name, message: redactText(v.message) };
    if (v.stack) o.stack = redactText(v.stack);
    const code = (v as { code?: unknown }).code;
    if (code !== undefined) o.code = code;
    return o;
  }
  if (Buffer.isBuffer(v) || ArrayBuffer.isView(v)) return v;
  if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1, seen));
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, typeof k === 'string' && SECRET_KEY.test(k) ? MASK : walk(x, depth + 1, seen)]));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = SECRET_KEY.test(k) && x !== undefined && x !== null && x !== '' ? MASK : walk(x, depth + 1, seen);
  return out;
}
