/**
 * What the bridge checks in an MQTT payload before it goes to Kafka, and how it picks the key
 * and timestamp. A payload that fails gets a reason string, which travels to the dead-letter
 * topic in a header.
 */
import { KafkalabError } from '../util/errors';
import { ColumnSet } from '../runtime/decode/columns';
import { JsonScanner } from '../runtime/decode/json-scan';

export type KeyOption = number | string | ((topic: string, value: unknown) => string | null | undefined);

export interface PayloadRules {
  /** Parse and check JSON (default true). false forwards payload bytes untouched. */
  json: boolean;
  /** Fields every object must have. */
  required: readonly string[];
  /** Largest payload accepted, in bytes. */
  maxBytes: number;
  /** Extra check: return a reason to reject, or nothing to accept. */
  validate?: (value: Record<string, unknown>, topic: string) => string | undefined | null | void;
}

export type Checked = { ok: true; value: Record<string, unknown> | undefined } | { ok: false; reason: string };

export function checkPayload(payload: Buffer, topic: string, rules: PayloadRules): Checked {
  if (payload.length > rules.maxBytes) return { ok: false, reason: `payload of ${payload.length} bytes exceeds maxBytes ${rules.maxBytes}` };
  if (!rules.json) return { ok: true, value: undefined };
  if (payload.length === 0) return { ok: false, reason: 'empty payload' };
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: `invalid JSON: ${(err as Error).message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, reason: `expected a JSON object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}` };
  }
  const obj = value as Record<string, unknown>;
  const missing = rules.required.filter((f) => obj[f] === undefined || obj[f] === null);
  if (missing.length) return { ok: false, reason: `missing required field${missing.length > 1 ? 's' : ''} ${missing.join(', ')}` };
  if (rules.validate) {
    let reason: string | undefined | null | void;
    try {
      reason = rules.validate(obj, topic);
    } catch (err) {
      reason = `validate threw: ${(err as Error).message}`;
    }
    if (reason) return { ok: false, reason: String(reason) };
  }
  return { ok: true, value: obj };
}

/** What the bridge needs from a payload it accepts. */
export interface Accepted {
  ok: true;
  key: string | null;
  /** Event time in epoch ms, when the timestamp field holds a usable one. */
  timestamp: number | undefined;
  /** What a key function threw (the record then has no key). */
  keyError?: string;
  /** The per-device sequence number, when a sequence field was asked for and holds a number. */
  seq?: number;
}
export type Verdict = Accepted | { ok: false; reason: string };

/**
 * The bridge's per-message check, with key and timestamp. When no `validate` function or key
 * function needs the parsed object, the payload is scanned in place by the runtime's JSON
 * scanner (the one read() decodes with) and only the required, key and timestamp fields' values
 * are decoded; otherwise, and whenever the scan gives up, checkPayload (JSON.parse) gives the
 * verdict and the reason.
 */
export function payloadChecker(rules: PayloadRules, key: KeyOption | undefined, timestampField: string | undefined, sequenceField?: string): (payload: Buffer, topic: string) => Verdict {
  const keyField = typeof key === 'string' ? key : undefined;
  const fields = [...new Set([...rules.required, ...(keyField ? [keyField] : []), ...(timestampField ? [timestampField] : []), ...(sequenceField ? [sequenceField] : [])])];
  // Writes no cells: only validates, and notes where the wanted top-level values are.
  const scanner = new JsonScanner(new ColumnSet(), () => null, { spans: fields });
  const at = (name: string | undefined) => (name === undefined ? -1 : fields.indexOf(name));
  const requiredAt = rules.required.map((f) => at(f));
  const keyAt = at(keyField);
  const tsAt = at(timestampField);
  const seqAt = at(sequenceField);
  const scannable = rules.json && !rules.validate && typeof key !== 'function';

  const slow = (payload: Buffer, topic: string): Verdict => {
    const checked = checkPayload(payload, topic, rules);
    if (!checked.ok) return checked;
    const timestamp = timestampMs(timestampField, checked.value);
    const raw = sequenceField === undefined ? undefined : checked.value?.[sequenceField];
    const seq = typeof raw === 'number' ? { seq: raw } : {};
    try {
      return { ok: true, key: keyFor(key, topic, checked.value), timestamp, ...seq };
    } catch (err) {
      return { ok: true, key: null, timestamp, keyError: (err as Error).message, ...seq };
    }
  };
  if (!scannable) return slow;
  const topicKey = typeof key === 'number' ? (topic: string) => keyFor(key, topic, undefined) : () => null;

  return (payload, topic) => {
    if (payload.length > rules.maxBytes || payload.length === 0) return slow(payload, topic);
    if (!scanner.write(payload)) return slow(payload, topic);
    const spans = scanner.spans;
    const missing: string[] = [];
    for (let r = 0; r < requiredAt.length; r++) {
      const s = spans[requiredAt[r] * 2];
      if (s < 0 || payload[s] === 0x6e /* null */) missing.push(rules.required[r]);
    }
    if (missing.length) return { ok: false, reason: `missing required field${missing.length > 1 ? 's' : ''} ${missing.join(', ')}` };
    const valueOf = (f: number): unknown => (spans[f * 2] < 0 ? undefined : JSON.parse(payload.toString('utf8', spans[f * 2], spans[f * 2 + 1])));
    let k: string | null;
    if (keyAt >= 0) {
      const v = valueOf(keyAt);
      k = v === undefined || v === null ? null : String(v);
    } else k = topicKey(topic);
    let timestamp: number | undefined;
    if (tsAt >= 0 && spans[tsAt * 2] >= 0) {
      const s = spans[tsAt * 2];
      const c = payload[s];
      // Numbers are read straight from their bytes (JSON's grammar is a subset of Number()'s).
      if (c === 0x2d || (c >= 0x30 && c <= 0x39)) timestamp = validMs(Number(payload.toString('latin1', s, spans[tsAt * 2 + 1])));
      else if (c === 0x22) timestamp = timestampMs(timestampField, { [timestampField as string]: valueOf(tsAt) });
    }
    if (seqAt >= 0 && spans[seqAt * 2] >= 0) {
      const c = payload[spans[seqAt * 2]];
      if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return { ok: true, key: k, timestamp, seq: Number(payload.toString('latin1', spans[seqAt * 2], spans[seqAt * 2 + 1])) };
    }
    return { ok: true, key: k, timestamp };
  };
}

function validMs(v: number): number | undefined {
  return Number.isFinite(v) && v >= 0 ? Math.floor(v) : undefined;
}

/** Event time from a numeric (epoch ms) or ISO-8601 field of the value. */
export function timestampMs(field: string | undefined, value: Record<string, unknown> | undefined): number | undefined {
  if (!field || !value) return undefined;
  const v = value[field];
  if (typeof v === 'number') return validMs(v);
  if (typeof v === 'string') return validMs(Date.parse(v));
  return undefined;
}

/**
 * The Kafka key: a topic level (`1` → `cars/<carId>/sensors`; negative counts from the end),
 * a field of the JSON value (a string), or a function. null when absent.
 */
export function keyFor(key: KeyOption | undefined, topic: string, value: Record<string, unknown> | undefined): string | null {
  if (key === undefined) return null;
  if (typeof key === 'number') return topicLevel(topic, key);
  if (typeof key === 'function') return key(topic, value) ?? null;
  const v = value?.[key];
  return v === undefined || v === null ? null : String(v);
}

/** Level n of an MQTT topic (negative counts from the end), without splitting it into an array; null when absent or empty. */
export function topicLevel(topic: string, n: number): string | null {
  if (n < 0) {
    let levels = 1;
    for (let i = topic.indexOf('/'); i !== -1; i = topic.indexOf('/', i + 1)) levels++;
    n += levels;
    if (n < 0) return null;
  }
  let start = 0;
  for (let k = 0; k < n; k++) {
    const slash = topic.indexOf('/', start);
    if (slash === -1) return null;
    start = slash + 1;
  }
  const end = topic.indexOf('/', start);
  const level = end === -1 ? topic.slice(start) : topic.slice(start, end);
  return level === '' ? null : level;
}

/** Event time from a numeric (epoch ms) or ISO-8601 field of the value, as kafkajs wants it. */
export function timestampFor(field: string | undefined, value: Record<string, unknown> | undefined): string | undefined {
  const ms = timestampMs(field, value);
  return ms === undefined ? undefined : String(ms);
}

/** Accepts `1`, `'1'` (topic level), `'carId'` (field) from the CLI. */
export function parseKeyOption(raw: string | number | undefined): KeyOption | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw === 'number') return raw;
  if (/^-?\d+$/.test(raw)) return Number(raw);
  if (raw.startsWith('field:')) return raw.slice(6);
  if (!/^[A-Za-z_][\w.-]*$/.test(raw)) throw new KafkalabError(`Invalid key "${raw}"`, { code: 'BAD_OPTION', hint: 'use a topic level number (1 for cars/<carId>/sensors) or a field name' });
  return raw;
}

/** Validates MQTT topic filters: '+' and '#' only as whole levels, '#' only last. */
export function checkFilter(filter: string): void {
  const levels = filter.split('/');
  const bad = !filter || levels.some((l, i) => (l.includes('#') && (l !== '#' || i !== levels.length - 1)) || (l.includes('+') && l !== '+'));
  if (bad) throw new KafkalabError(`Invalid MQTT topic filter "${filter}"`, { code: 'BAD_OPTION', hint: "'+' matches one whole level, '#' all remaining levels and only at the end, e.g. cars/+/sensors" });
}
