/**
 * Avro for the registry: parsing with avsc (named types from references come first, in one
 * avsc registry), the canonical text, and schema resolution as the Avro specification defines it
 * ("Schema Resolution"), checked here rather than by trying avsc's resolver so that every
 * problem is reported with its path, in the words Confluent's registry uses:
 *
 * - same primitive, or a promotion: int → long, float, double; long → float, double;
 *   float → double; string ↔ bytes;
 * - records with the same unqualified name (or a reader alias); every reader field is in the
 *   writer (by name or reader alias) with a readable type, or has a default;
 * - enums with the same name; every writer symbol is in the reader, unless the reader has a default;
 * - fixed with the same name and size; arrays by items; maps by values;
 * - a writer union: every branch readable; a reader union: some branch reads the writer.
 * Logical types do not change resolution (as in Avro's Java checker, which Confluent runs).
 */
import * as avro from 'avsc';
import { invalidSchema } from '../errors';
import { incompatibility, type ParsedSchema, type ResolvedReference, type SchemaFormat } from './format';

export interface AvroSchema extends ParsedSchema {
  readonly type: avro.Type;
}

/** Parses an Avro schema text; named types of `references` are visible to it. */
export function parseAvro(schema: string, references: ResolvedReference[] = []): AvroSchema {
  const registry: Record<string, avro.Type> = {};
  for (const ref of references) {
    if (ref.schemaType !== 'AVRO') throw invalidSchema(`Invalid schema: reference '${ref.name}' is ${ref.schemaType}, not AVRO`);
    forSchema(ref.schema, registry, `reference '${ref.name}'`);
  }
  const { json, type } = forSchema(schema, registry, 'schema');
  return { schemaType: 'AVRO', canonical: JSON.stringify(normalize(json)), recordName: type.typeName === 'record' ? type.name : undefined, type };
}

function forSchema(text: string, registry: Record<string, avro.Type>, what: string): { json: unknown; type: avro.Type } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw invalidSchema(`Invalid schema: ${what} is not JSON (${(e as Error).message})`);
  }
  try {
    return { json, type: avro.Type.forSchema(json as avro.Schema, { registry }) };
  } catch (e) {
    throw invalidSchema(`Invalid schema: ${(e as Error).message}`);
  }
}

/**
 * Compact JSON with `{"type":"int"}` written as `"int"`, as Avro's own printing does; only
 * schema positions are rewritten (a default value or a custom attribute stays as given).
 */
function normalize(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(normalize);
  if (node === null || typeof node !== 'object') return node;
  const obj = node as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1 && keys[0] === 'type' && typeof obj.type === 'string') return obj.type;
  const out: Record<string, unknown> = { ...obj };
  if (typeof obj.type === 'object') out.type = normalize(obj.type);
  if ('items' in obj) out.items = normalize(obj.items);
  if ('values' in obj) out.values = normalize(obj.values);
  if (Array.isArray(obj.fields)) out.fields = obj.fields.map((f) => (f && typeof f === 'object' ? { ...f, type: normalize((f as { type: unknown }).type) } : f));
  return out;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
type AnyType = any;

const PROMOTIONS: Record<string, string[]> = {
  int: ['long', 'float', 'double'],
  long: ['float', 'double'],
  float: ['double'],
  string: ['bytes'],
  bytes: ['string'],
};

function kind(t: AnyType): string {
  const name: string = t.typeName;
  return name.startsWith('union') ? 'union' : name;
}

const upper = (t: AnyType) => kind(t).toUpperCase();
const simpleName = (full: string) => full.slice(full.lastIndexOf('.') + 1);

function sameName(reader: AnyType, writer: AnyType): boolean {
  return simpleName(reader.name) === simpleName(writer.name) || (reader.aliases ?? []).includes(writer.name);
}

/** Incompatibilities of reading `writer`'s data with `reader`, Confluent-worded ("new" = reader). */
export function avroIncompatibilities(reader: AnyType, writer: AnyType): string[] {
  const out: string[] = [];
  const inProgress = new Set<string>();
  const check = (r: AnyType, w: AnyType, path: string): boolean => {
    const rk = kind(r);
    const wk = kind(w);
    if (wk === 'union') {
      let ok = true;
      w.types.forEach((branch: AnyType, i: number) => {
        if (!check(r, branch, `${path}/${i}`)) ok = false;
      });
      return ok;
    }
    if (rk === 'union') {
      const probe = (branch: AnyType) => avroIncompatibilities(branch, w).length === 0;
      if (r.types.some(probe)) return true;
      out.push(incompatibility('MISSING_UNION_BRANCH', `The new schema is missing a type inside a union field at path '${path || '/'}' in the old schema`, `reader union lacking writer type: ${upper(w)}`));
      return false;
    }
    if (rk !== wk) {
      if ((PROMOTIONS[wk] ?? []).includes(rk)) return true;
      out.push(typeMismatch(path, r, w));
      return false;
    }
    switch (rk) {
      case 'record': {
        if (!sameName(r, w)) return nameMismatch(path, w);
        const key = `${r.name}|${w.name}`;
        if (inProgress.has(key)) return true;
        inProgress.add(key);
        let ok = true;
        r.fields.forEach((rf: AnyType, i: number) => {
          const wf = w.fields.find((f: AnyType) => f.name === rf.name) ?? w.fields.find((f: AnyType) => (rf.aliases ?? []).includes(f.name));
          if (wf) {
            if (!check(rf.type, wf.type, `${path}/fields/${i}/type`)) ok = false;
          } else if (rf.defaultValue() === undefined) {
            out.push(
              incompatibility(
                'READER_FIELD_MISSING_DEFAULT_VALUE',
                `The field '${rf.name}' at path '${path}/fields/${i}' in the new schema has no default value and is missing in the old schema`,
                rf.name,
              ),
            );
            ok = false;
          }
        });
        inProgress.delete(key);
        return ok;
      }
      case 'enum': {
        if (!sameName(r, w)) return nameMismatch(path, w);
        if (r.default !== undefined) return true;
        const missing = w.symbols.filter((s: string) => !r.symbols.includes(s));
        if (!missing.length) return true;
        out.push(incompatibility('MISSING_ENUM_SYMBOLS', `The new schema is missing enum symbols '[${missing.join(', ')}]' at path '${path}/symbols' in the old schema`, `[${missing.join(', ')}]`));
        return false;
      }
      case 'fixed': {
        if (!sameName(r, w)) return nameMismatch(path, w);
        if (r.size === w.size) return true;
        out.push(incompatibility('FIXED_SIZE_MISMATCH', `The size of FIXED type field at path '${path}/size' in the new schema does not match with the old schema`, `expected: ${w.size}, found: ${r.size}`));
        return false;
      }
      case 'array':
        return check(r.itemsType, w.itemsType, `${path}/items`);
      case 'map':
        return check(r.valuesType, w.valuesType, `${path}/values`);
      default:
        return true;
    }
  };
  const nameMismatch = (path: string, w: AnyType): false => {
    out.push(incompatibility('NAME_MISMATCH', `The name of the schema has changed (path '${path}/name')`, `expected: ${w.name}`));
    return false;
  };
  check(reader, writer, '');
  return out;
}

function typeMismatch(path: string, r: AnyType, w: AnyType): string {
  return incompatibility(
    'TYPE_MISMATCH',
    `The type (path '${path || '/'}') of a field in the new schema does not match with the old schema`,
    `reader type: ${upper(r)} not compatible with writer type: ${upper(w)}`,
  );
}

export const avroFormat: SchemaFormat<AvroSchema> = {
  parse: parseAvro,
  incompatibilities: (reader, writer) => avroIncompatibilities(reader.type, writer.type),
};
