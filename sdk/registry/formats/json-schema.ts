/**
 * JSON Schema for the registry and the serdes: a schema is JSON (drafts 7, 2019-09 and 2020-12,
 * chosen by `$schema`; draft 7 when absent), validated with ajv; references are other registered
 * JSON schemas a `$ref` names by their reference name.
 *
 * Compatibility asks whether every document valid under the writer is valid under the reader,
 * checked on the keywords that decide it in practice; as in Confluent's checker, an object
 * without `additionalProperties: false` is an open content model, so a property added to or
 * removed from an open model can break the other side. Incompatible:
 * - a type the writer allows that the reader does not (`integer` fits in `number`): TYPE_NARROWED;
 * - a reader property the writer may fill with anything (writer open) unless the reader's
 *   property schema accepts anything: PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL;
 * - a writer property the reader forbids (reader closed): PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL;
 * - a property both have, with incompatible schemas (recursively);
 * - the reader closed where the writer was open: ADDITIONAL_PROPERTIES_REMOVED;
 * - a property the reader requires that the writer does not: REQUIRED_ATTRIBUTE_ADDED;
 * - enum or const values the writer allows and the reader lacks: ENUM_ARRAY_NARROWED;
 * - bounds tightened: minimum/exclusiveMinimum raised, maximum/exclusiveMaximum lowered,
 *   minLength/minItems/minProperties raised, maxLength/maxItems/maxProperties lowered, a
 *   pattern, format or multipleOf the writer did not have: *_INCREASED / *_DECREASED / *_CHANGED;
 * - array `items` (one schema for all items) incompatible;
 * - oneOf/anyOf: each writer branch must fit some reader branch: COMBINED_TYPE_SUBSCHEMAS_CHANGED.
 * Not checked: `not`, `if/then/else`, `patternProperties`, `dependencies`, tuple `items`.
 * Local `$ref`s (`#/definitions/...`, `#/$defs/...`) and references by name are followed.
 */
import Ajv, { type AnySchema, type ValidateFunction } from 'ajv';
import Ajv2019 from 'ajv/dist/2019';
import Ajv2020 from 'ajv/dist/2020';
import { invalidSchema } from '../errors';
import { incompatibility, type ParsedSchema, type ResolvedReference, type SchemaFormat } from './format';

type Json = boolean | Record<string, unknown>;

export interface JsonSchema extends ParsedSchema {
  readonly json: Json;
  /** Referenced schemas by reference name, for following `$ref`s. */
  readonly refs: Map<string, Json>;
  readonly validate: ValidateFunction;
}

const DIALECTS = { draft7: Ajv, '2019-09': Ajv2019, '2020-12': Ajv2020 } as const;
type Dialect = keyof typeof DIALECTS;
/** One ajv per draft for schemas without references (a new ajv costs ~100 ms, a compile ~3 ms). */
const shared = new Map<Dialect, Ajv>();

function dialectOf(schema: Json): Dialect {
  const uri = typeof schema === 'object' && typeof schema.$schema === 'string' ? schema.$schema : '';
  return uri.includes('2020-12') ? '2020-12' : uri.includes('2019-09') ? '2019-09' : 'draft7';
}

function newAjv(dialect: Dialect): Ajv {
  return new DIALECTS[dialect]({ strict: false, allErrors: false, validateFormats: false });
}

function parseJson(text: string, what: string): Json {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw invalidSchema(`Invalid schema: ${what} is not JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'boolean' && (json === null || typeof json !== 'object' || Array.isArray(json))) throw invalidSchema(`Invalid schema: ${what} must be a JSON object or boolean`);
  return json as Json;
}

export function parseJsonSchema(schema: string, references: ResolvedReference[] = []): JsonSchema {
  const json = parseJson(schema, 'the schema');
  const dialect = dialectOf(json);
  // Referenced schemas are registered in the ajv by name, so they need an ajv of their own.
  let ajv = references.length ? newAjv(dialect) : shared.get(dialect);
  if (!ajv) shared.set(dialect, (ajv = newAjv(dialect)));
  const refs = new Map<string, Json>();
  try {
    for (const ref of references) {
      if (ref.schemaType !== 'JSON') throw invalidSchema(`Invalid schema: reference '${ref.name}' is ${ref.schemaType}, not JSON`);
      const r = parseJson(ref.schema, `reference '${ref.name}'`);
      refs.set(ref.name, r);
      ajv.addSchema(r as AnySchema, ref.name);
    }
    const validate = ajv.compile(json as AnySchema);
    // The validator keeps working; the shared ajv does not keep every schema it ever saw.
    if (!references.length) ajv.removeSchema(json as AnySchema);
    const title = typeof json === 'object' && typeof json.title === 'string' ? json.title : undefined;
    return { schemaType: 'JSON', canonical: JSON.stringify(json), recordName: title, json, refs, validate };
  } catch (e) {
    if ((e as { errorCode?: number }).errorCode) throw e;
    throw invalidSchema(`Invalid schema: ${(e as Error).message}`);
  }
}

const isObj = (s: Json): s is Record<string, unknown> => typeof s === 'object';

/** `$ref` followed inside the same document or to a referenced schema (bounded, for cycles). */
function deref(s: Json, doc: Json, refs: Map<string, Json>, depth = 0): { s: Json; doc: Json } {
  if (!isObj(s) || typeof s.$ref !== 'string' || depth > 32) return { s, doc };
  const [file, pointer = ''] = s.$ref.split('#');
  const base = file ? refs.get(file) : doc;
  if (base === undefined) return { s, doc };
  let node: unknown = base;
  for (const part of pointer.split('/').filter(Boolean)) node = (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  if (node === undefined) return { s, doc };
  return deref(node as Json, base, refs, depth + 1);
}

function typesOf(s: Record<string, unknown>): Set<string> | undefined {
  if (s.type === undefined) return undefined;
  const list = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
  const out = new Set(list);
  if (out.has('number')) out.add('integer');
  return out;
}

const accepts = (s: Json) => s === true || (isObj(s) && Object.keys(s).every((k) => ['title', 'description', '$comment', 'default', 'examples'].includes(k)));
const closed = (s: Record<string, unknown>) => s.additionalProperties === false;

export function jsonIncompatibilities(reader: JsonSchema, writer: JsonSchema): string[] {
  const out: string[] = [];
  const add = (type: string, path: string, text: string): void => void out.push(incompatibility(type, `${text} at path '${path}'`));
  // Pairs being checked, by identity: a recursive schema ($ref to an ancestor) is assumed compatible where it recurs.
  const inProgress = new Map<object, Set<object>>();
  const check = (r0: Json, rdoc: Json, w0: Json, wdoc: Json, path: string): void => {
    const { s: r, doc: rd } = deref(r0, rdoc, reader.refs);
    const { s: w, doc: wd } = deref(w0, wdoc, writer.refs);
    if (accepts(r) || w === false) return;
    if (r === false) return void add('TYPE_NARROWED', path, 'The new schema accepts nothing');
    if (w === true || !isObj(w) || !isObj(r)) return void add('TYPE_NARROWED', path, 'The new schema restricts what the old schema accepts');
    const against = inProgress.get(r) ?? new Set<object>();
    if (against.has(w)) return;
    against.add(w);
    inProgress.set(r, against);
    try {
      checkObjects(r, rd, w, wd, path);
    } finally {
      against.delete(w);
    }
  };
  const checkObjects = (r: Record<string, unknown>, rd: Json, w: Record<string, unknown>, wd: Json, path: string): void => {
    const rCombined = (r.oneOf ?? r.anyOf) as Json[] | undefined;
    const wCombined = (w.oneOf ?? w.anyOf) as Json[] | undefined;
    if (wCombined) {
      for (const [i, wb] of wCombined.entries()) {
        const target = rCombined ?? [r];
        if (!target.some((rb) => probe(rb, rd, wb, wd))) add('COMBINED_TYPE_SUBSCHEMAS_CHANGED', `${path}/${w.oneOf ? 'oneOf' : 'anyOf'}/${i}`, 'A subschema of the old schema has no compatible subschema in the new schema');
      }
      return;
    }
    if (rCombined) {
      if (!rCombined.some((rb) => probe(rb, rd, w, wd))) add('COMBINED_TYPE_SUBSCHEMAS_CHANGED', path, 'No subschema of the new schema accepts the old schema');
      return;
    }
    const rt = typesOf(r);
    const wt = typesOf(w);
    if (rt && (!wt || [...wt].some((t) => !rt.has(t)))) add('TYPE_NARROWED', path, `The new schema's type ${JSON.stringify(r.type)} does not accept the old schema's ${wt ? JSON.stringify(w.type) : 'values of any type'}`);
    enumCheck(r, w, path);
    bound(r, w, path, 'minimum', 'MINIMUM_INCREASED', (a, b) => a > b);
    bound(r, w, path, 'exclusiveMinimum', 'EXCLUSIVE_MINIMUM_INCREASED', (a, b) => a > b);
    bound(r, w, path, 'maximum', 'MAXIMUM_DECREASED', (a, b) => a < b);
    bound(r, w, path, 'exclusiveMaximum', 'EXCLUSIVE_MAXIMUM_DECREASED', (a, b) => a < b);
    bound(r, w, path, 'minLength', 'MIN_LENGTH_INCREASED', (a, b) => a > b);
    bound(r, w, path, 'maxLength', 'MAX_LENGTH_DECREASED', (a, b) => a < b);
    bound(r, w, path, 'minItems', 'MIN_ITEMS_INCREASED', (a, b) => a > b);
    bound(r, w, path, 'maxItems', 'MAX_ITEMS_DECREASED', (a, b) => a < b);
    bound(r, w, path, 'minProperties', 'MIN_PROPERTIES_INCREASED', (a, b) => a > b);
    bound(r, w, path, 'maxProperties', 'MAX_PROPERTIES_DECREASED', (a, b) => a < b);
    if (typeof r.multipleOf === 'number' && !(typeof w.multipleOf === 'number' && Number.isInteger(w.multipleOf / r.multipleOf)))
      add('MULTIPLE_OF_CHANGED', path, 'The new schema has a multipleOf the old schema does not guarantee');
    for (const k of ['pattern', 'format'] as const) if (r[k] !== undefined && r[k] !== w[k]) add(`${k.toUpperCase()}_CHANGED`, path, `The new schema's ${k} differs from the old schema's`);
    if (isObj(r.items as Json) || typeof r.items === 'boolean') {
      if (!Array.isArray(w.items)) check(r.items as Json, rd, (w.items ?? true) as Json, wd, `${path}/items`);
    }
    objectCheck(r, rd, w, wd, path);
  };
  const probe = (r: Json, rd: Json, w: Json, wd: Json): boolean => {
    const before = out.length;
    check(r, rd, w, wd, '');
    const ok = out.length === before;
    out.length = before;
    return ok;
  };
  const enumCheck = (r: Record<string, unknown>, w: Record<string, unknown>, path: string) => {
    const values = (s: Record<string, unknown>) => (Array.isArray(s.enum) ? (s.enum as unknown[]) : 'const' in s ? [s.const] : undefined);
    const rv = values(r);
    if (!rv) return;
    const wv = values(w);
    const have = new Set(rv.map((v) => JSON.stringify(v)));
    if (!wv || wv.some((v) => !have.has(JSON.stringify(v)))) add('ENUM_ARRAY_NARROWED', path, 'The new schema lacks values the old schema allows');
  };
  const bound = (r: Record<string, unknown>, w: Record<string, unknown>, path: string, k: string, type: string, tighter: (a: number, b: number) => boolean) => {
    if (typeof r[k] !== 'number') return;
    if (typeof w[k] !== 'number' || tighter(r[k] as number, w[k] as number)) add(type, path, `The new schema's ${k} ${r[k]} is tighter than the old schema's ${w[k] ?? 'none'}`);
  };
  const objectCheck = (r: Record<string, unknown>, rd: Json, w: Record<string, unknown>, wd: Json, path: string) => {
    const rp = (r.properties ?? {}) as Record<string, Json>;
    const wp = (w.properties ?? {}) as Record<string, Json>;
    const rExtra = (r.additionalProperties ?? true) as Json;
    const wExtra = (w.additionalProperties ?? true) as Json;
    for (const [name, ws] of Object.entries(wp)) {
      const at = `${path}/properties/${name}`;
      if (name in rp) check(rp[name], rd, ws, wd, at);
      else if (closed(r)) add('PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL', at, 'The new schema has a closed content model and lacks a property of the old schema');
      else check(rExtra, rd, ws, wd, at);
    }
    for (const [name, rs] of Object.entries(rp)) {
      if (name in wp) continue;
      const at = `${path}/properties/${name}`;
      if (closed(w)) continue;
      if (!probe(rs, rd, wExtra, wd)) add('PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL', at, "The old schema has an open content model and the new schema adds a property it may not accept");
    }
    if (closed(r) && !closed(w) && (w.type === 'object' || w.properties)) add('ADDITIONAL_PROPERTIES_REMOVED', path, 'The new schema closed the content model the old schema left open');
    const wReq = new Set((w.required ?? []) as string[]);
    for (const name of (r.required ?? []) as string[]) if (!wReq.has(name)) add('REQUIRED_ATTRIBUTE_ADDED', `${path}/required/${name}`, `The new schema requires '${name}', which the old schema does not`);
  };
  check(reader.json, reader.json, writer.json, writer.json, '#');
  return out;
}

export const jsonSchemaFormat: SchemaFormat<JsonSchema> = {
  parse: parseJsonSchema,
  incompatibilities: jsonIncompatibilities,
};
