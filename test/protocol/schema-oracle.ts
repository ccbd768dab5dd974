/**
 * Test oracles for the message descriptions, written independently of the codec compiler:
 * - `arbitraryMessage`: fast-check values for a message at one version (null only where that
 *   version allows it, tagged structs sometimes absent);
 * - `project`: what decoding must give back for such a value at that version (fields off the
 *   wire at that version replaced by their defaults).
 */
import * as fc from 'fast-check';
import { inRange, ZERO_UUID, type Field, type Fields, type Message } from '../../sdk/protocol/schema';
import type { AnyType } from '../../sdk/protocol/schema/dsl';

const INT_RANGES: Record<string, [number, number]> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

function typeArb(t: AnyType, version: number, flexible: boolean): fc.Arbitrary<unknown> {
  if (t.kind === 'array') return fc.array(typeArb(t.of, version, flexible), { maxLength: 3 });
  if (t.kind === 'struct') return structArb(t.fields, version, flexible);
  const range = INT_RANGES[t.name];
  if (range) return fc.integer({ min: range[0], max: range[1] });
  switch (t.name) {
    case 'float64':
      return fc.double({ noNaN: true });
    case 'bool':
      return fc.boolean();
    case 'string':
      return fc.string({ unit: 'grapheme', maxLength: 6 });
    case 'uuid':
      return fc.uint8Array({ minLength: 16, maxLength: 16 }).map((a) => Buffer.from(a));
    default:
      return fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a));
  }
}

function fieldArb(f: Field, version: number, flexible: boolean): fc.Arbitrary<unknown> {
  const base = typeArb(f.type, version, flexible);
  if (inRange(f.nullable, version)) return fc.option(base, { nil: null });
  if (f.tag !== undefined && f.type.kind === 'struct') return fc.option(base, { nil: undefined });
  return base;
}

function structArb(fields: Fields, version: number, flexible: boolean): fc.Arbitrary<Record<string, unknown>> {
  const shape: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [k, f] of Object.entries(fields)) shape[k] = fieldArb(f, version, flexible);
  return fc.record(shape);
}

export function arbitraryMessage(m: Message, version: number): fc.Arbitrary<Record<string, unknown>> {
  return structArb(m.fields, version, m.isFlexible(version));
}

function defaultValue(f: Field): unknown {
  if (f.default !== undefined) return f.default;
  const t = f.type;
  if (t.kind === 'array') return [];
  if (t.kind === 'struct') return f.tag !== undefined ? undefined : projectStruct(t.fields, {}, -1, false);
  if (t.name === 'bool') return false;
  if (t.name === 'string') return '';
  if (t.name === 'uuid') return ZERO_UUID;
  if (t.name === 'bytes' || t.name === 'records') return Buffer.alloc(0);
  return 0;
}

function projectType(t: AnyType, v: unknown, version: number, flexible: boolean): unknown {
  if (v === null || v === undefined) return v;
  if (t.kind === 'array') return (v as unknown[]).map((x) => projectType(t.of, x, version, flexible));
  if (t.kind === 'struct') return projectStruct(t.fields, v as Record<string, unknown>, version, flexible);
  return v;
}

function projectStruct(fields: Fields, v: Record<string, unknown>, version: number, flexible: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(fields)) {
    const onWire = inRange(f.versions, version) && (f.tag === undefined || flexible);
    out[k] = onWire && v[k] !== undefined ? projectType(f.type, v[k], version, flexible) : defaultValue(f);
  }
  return out;
}

export function project(m: Message, value: Record<string, unknown>, version: number): Record<string, unknown> {
  return projectStruct(m.fields, value, version, m.isFlexible(version));
}
