/**
 * What the bridge checks in an MQTT payload before it goes to Kafka, and how it picks the key
 * and timestamp. A payload that fails gets a reason string, which travels to the dead-letter
 * topic in a header.
 */
import { KafkalabError } from '../util/errors';

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

/**
 * The Kafka key: a topic level (`1` → `cars/<carId>/sensors`; negative counts from the end),
 * a field of the JSON value (a string), or a function. null when absent.
 */
export function keyFor(key: KeyOption | undefined, topic: string, value: Record<string, unknown> | undefined): string | null {
  if (key === undefined) return null;
  if (typeof key === 'number') {
    const levels = topic.split('/');
    const level = levels[key < 0 ? levels.length + key : key];
    return level === undefined || level === '' ? null : level;
  }
  if (typeof key === 'function') return key(topic, value) ?? null;
  const v = value?.[key];
  return v === undefined || v === null ? null : String(v);
}

/** Event time from a numeric (epoch ms) or ISO-8601 field of the value, as kafkajs wants it. */
export function timestampFor(field: string | undefined, value: Record<string, unknown> | undefined): string | undefined {
  if (!field || !value) return undefined;
  const v = value[field];
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return String(Math.floor(v));
  if (typeof v === 'string') {
    const ms = Date.parse(v);
    if (Number.isFinite(ms) && ms >= 0) return String(ms);
  }
  return undefined;
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
