/**
 * Avro logical types as kafkalab's columns hold them: instants and dates as epoch
 * milliseconds (the time columns read() produces), decimals as numbers, uuids as strings (no
 * conversion). Writing takes epoch ms, a Date or an ISO-8601 string for the time types, and a
 * number for decimals.
 */
import * as avro from 'avsc';

const DAY_MS = 86_400_000;

function toMillis(v: unknown): unknown {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string' && /^\d{4}-\d\d-\d\d/.test(v)) {
    const t = Date.parse(v);
    return Number.isNaN(t) ? v : t;
  }
  return v;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
abstract class TimeType extends avro.types.LogicalType {
  protected abstract readonly perMs: number;
  override _fromValue(v: any): number {
    return Number(v) / this.perMs;
  }
  override _toValue(v: any): any {
    const ms = toMillis(v);
    return typeof ms === 'number' ? Math.round(ms * this.perMs) : ms;
  }
  override _resolve(type: avro.Type): ((v: any) => any) | undefined {
    return avro.Type.isType(type, 'long', 'int', 'logical:timestamp-millis', 'logical:timestamp-micros') ? (v: any) => v : undefined;
  }
}

class TimestampMillis extends TimeType {
  protected readonly perMs = 1;
}
class TimestampMicros extends TimeType {
  protected readonly perMs = 1000;
}
class TimestampNanos extends TimeType {
  protected readonly perMs = 1e6;
}

class DateType extends avro.types.LogicalType {
  override _fromValue(days: any): number {
    return days * DAY_MS;
  }
  override _toValue(v: any): any {
    const ms = toMillis(v);
    return typeof ms === 'number' ? Math.floor(ms / DAY_MS) : ms;
  }
}

/** bytes or fixed holding a two's-complement big-endian unscaled integer. */
class DecimalType extends avro.types.LogicalType {
  private readonly scale: number;
  private readonly size: number | undefined;
  constructor(attrs: any, opts: any) {
    super(attrs, opts);
    this.scale = attrs.scale ?? 0;
    this.size = this.underlyingType.typeName === 'fixed' ? (this.underlyingType as any).size : undefined;
  }
  override _fromValue(buf: Buffer): number {
    if (!buf.length) return 0;
    let n = 0n;
    for (const b of buf) n = (n << 8n) | BigInt(b);
    if (buf[0] & 0x80) n -= 1n << BigInt(buf.length * 8);
    return Number(n) / 10 ** this.scale;
  }
  override _toValue(v: any): any {
    if (typeof v !== 'number' && typeof v !== 'bigint') return v;
    let n = typeof v === 'bigint' ? v * 10n ** BigInt(this.scale) : BigInt(Math.round(v * 10 ** this.scale));
    const bytes: number[] = [];
    const negative = n < 0n;
    const len = this.size ?? byteLength(n);
    if (negative) n += 1n << BigInt(len * 8);
    for (let i = 0; i < len; i++) {
      bytes.unshift(Number(n & 0xffn));
      n >>= 8n;
    }
    return Buffer.from(bytes);
  }
}

function byteLength(n: bigint): number {
  let len = 1;
  const abs = n < 0n ? -n - 1n : n;
  while (abs >= 1n << BigInt(len * 8 - 1)) len++;
  return len;
}

export const LOGICAL_TYPES = {
  'timestamp-millis': TimestampMillis,
  'timestamp-micros': TimestampMicros,
  'timestamp-nanos': TimestampNanos,
  'local-timestamp-millis': TimestampMillis,
  'local-timestamp-micros': TimestampMicros,
  'local-timestamp-nanos': TimestampNanos,
  date: DateType,
  decimal: DecimalType,
} as unknown as Record<string, new (attrs: any, opts: any) => avro.types.LogicalType>;
