/**
 * Protobuf for the registry and the serdes: a schema is a .proto file's text, or (as
 * Confluent's Python serializer sends it) a base64 FileDescriptorProto, stored as .proto text
 * (./proto-text.ts); references are the files it imports, by import name. Google's well-known types are known without a reference.
 *
 * Compatibility: the registry compares the two files message by message (by full name) and field
 * by field (by number). Incompatible, as in Confluent's Protobuf checker: a message removed, the
 * package changed, a field's kind changed (scalar / message / enum / map), its scalar type changed
 * outside a wire-compatible group ({int32, uint32, int64, uint64, bool}, {sint32, sint64},
 * {fixed32, sfixed32}, {fixed64, sfixed64}, {string, bytes}), its message or enum type renamed,
 * repeated ↔ singular, a field moved into a oneof that already existed, several fields moved into
 * one new oneof, a required (proto2) field added or removed. Adding or removing optional fields and
 * enum values is compatible. The rules are symmetric, so BACKWARD and FORWARD agree.
 */
import * as protobuf from 'protobufjs';
import { invalidSchema } from '../errors';
import { descriptorToProto } from './proto-text';
import { incompatibility, type ParsedSchema, type ResolvedReference, type SchemaFormat } from './format';

export interface ProtobufSchema extends ParsedSchema {
  /** Every file (references and this one) parsed into one resolved root. */
  readonly root: protobuf.Root;
  /** Full names (no leading dot) of this file's top-level messages, in file order. */
  readonly messages: string[];
  readonly packageName: string;
}

const PARSE_OPTIONS = { keepCase: true, alternateCommentMode: true };

/* eslint-disable @typescript-eslint/no-var-requires, @typescript-eslint/no-explicit-any */
let descriptorExt: any;
function descriptors(): any {
  return (descriptorExt ??= require('protobufjs/ext/descriptor'));
}

/**
 * .proto text as given, or a base64 FileDescriptorProto printed as .proto text (as Confluent's
 * registry stores it).
 */
export function protoText(text: string, what = 'the schema'): string {
  if (/[;{]/.test(text)) return text;
  const compact = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return text;
  try {
    const ext = descriptors();
    const fdp = ext.FileDescriptorProto.toObject(ext.FileDescriptorProto.decode(Buffer.from(compact, 'base64')), { enums: String });
    return descriptorToProto(fdp);
  } catch (e) {
    throw invalidSchema(`Invalid schema: ${what} is neither .proto text nor a base64 FileDescriptorProto (${(e as Error).message})`);
  }
}

/** One file's content as protobufjs JSON. */
function fileJson(text: string, what: string): { json: protobuf.INamespace; imports: string[]; packageName: string } {
  try {
    const parsed = protobuf.parse(text, new protobuf.Root(), PARSE_OPTIONS);
    return { json: parsed.root.toJSON(), imports: parsed.imports ?? [], packageName: parsed.package ?? '' };
  } catch (e) {
    throw invalidSchema(`Invalid schema: ${what} does not parse as .proto (${(e as Error).message})`);
  }
}

/** Names of the top-level messages of a namespace JSON, in order, qualified by the package. */
function topMessages(json: protobuf.INamespace, packageName: string): string[] {
  let ns: protobuf.INamespace | undefined = json;
  const prefix = packageName ? packageName.split('.') : [];
  for (const part of prefix) ns = ns?.nested?.[part] as protobuf.INamespace | undefined;
  const out: string[] = [];
  for (const [name, node] of Object.entries(ns?.nested ?? {})) if ('fields' in (node as object)) out.push(packageName ? `${packageName}.${name}` : name);
  return out;
}

export function parseProtobuf(schema: string, references: ResolvedReference[] = []): ProtobufSchema {
  const root = new protobuf.Root();
  const known = new Set<string>();
  for (const ref of references) {
    if (ref.schemaType !== 'PROTOBUF') throw invalidSchema(`Invalid schema: reference '${ref.name}' is ${ref.schemaType}, not PROTOBUF`);
    root.addJSON(fileJson(protoText(ref.schema, `reference '${ref.name}'`), `reference '${ref.name}'`).json.nested ?? {});
    known.add(ref.name);
  }
  const text = protoText(schema);
  const main = fileJson(text, 'the schema');
  for (const imp of main.imports) {
    if (known.has(imp)) continue;
    const common = protobuf.common.get(imp);
    if (common) root.addJSON(common.nested ?? {});
    else if (!imp.startsWith('google/protobuf/')) throw invalidSchema(`Invalid schema: import '${imp}' has no reference; register it and pass references: [{ name: '${imp}', subject, version }]`);
  }
  root.addJSON(main.json.nested ?? {});
  try {
    root.resolveAll();
  } catch (e) {
    throw invalidSchema(`Invalid schema: ${(e as Error).message}`);
  }
  const messages = topMessages(main.json, main.packageName);
  return { schemaType: 'PROTOBUF', canonical: text.trim(), recordName: messages[0], root, messages, packageName: main.packageName };
}

const SCALAR_GROUPS: string[][] = [['int32', 'uint32', 'int64', 'uint64', 'bool'], ['sint32', 'sint64'], ['fixed32', 'sfixed32'], ['fixed64', 'sfixed64'], ['string', 'bytes']];

function fieldKind(f: protobuf.Field): 'map' | 'message' | 'enum' | 'scalar' {
  if (f.map) return 'map';
  if (f.resolvedType instanceof protobuf.Type) return 'message';
  if (f.resolvedType instanceof protobuf.Enum) return 'enum';
  return 'scalar';
}

const wireCompatible = (a: string, b: string) => a === b || SCALAR_GROUPS.some((g) => g.includes(a) && g.includes(b));
const bare = (name: string) => name.replace(/^\./, '');

/** All message types of `names` and the messages nested in them. */
function messagesUnder(root: protobuf.Root, names: string[]): Map<string, protobuf.Type> {
  const out = new Map<string, protobuf.Type>();
  const visit = (t: protobuf.Type) => {
    out.set(bare(t.fullName), t);
    for (const n of t.nestedArray) if (n instanceof protobuf.Type) visit(n);
  };
  for (const n of names) visit(root.lookupType(n));
  return out;
}

/** Differences between an old and a new file that break reading one's data with the other. */
export function protobufIncompatibilities(newer: ProtobufSchema, older: ProtobufSchema): string[] {
  const out: string[] = [];
  if (newer.packageName !== older.packageName) out.push(incompatibility('PACKAGE_CHANGED', `The package changed from '${older.packageName}' to '${newer.packageName}'`));
  const oldMessages = messagesUnder(older.root, older.messages);
  const newMessages = messagesUnder(newer.root, newer.messages);
  for (const [name, oldType] of oldMessages) {
    const newType = newMessages.get(name);
    if (!newType) {
      out.push(incompatibility('MESSAGE_REMOVED', `The message '${name}' in the old schema is missing in the new schema`, name));
      continue;
    }
    const movedInto = new Map<string, number>();
    for (const nf of newType.fieldsArray) {
      const of = oldType.fieldsById[nf.id];
      const path = `#/${name}/${nf.id}`;
      if (!of) {
        if (nf.required) out.push(incompatibility('REQUIRED_FIELD_ADDED', `The required field '${nf.name}' at path '${path}' was added in the new schema`, nf.name));
        continue;
      }
      const nk = fieldKind(nf);
      const ok = fieldKind(of);
      if (nk !== ok) out.push(incompatibility('FIELD_KIND_CHANGED', `The kind of the field '${nf.name}' at path '${path}' changed from ${ok.toUpperCase()} to ${nk.toUpperCase()}`, nf.name));
      else if (nk === 'map' && (!wireCompatible(keyType(nf), keyType(of)) || !sameValueType(nf, of)))
        out.push(incompatibility('FIELD_SCALAR_KIND_CHANGED', `The key or value type of the map field '${nf.name}' at path '${path}' changed`, nf.name));
      else if (nk === 'scalar' && !wireCompatible(nf.type, of.type))
        out.push(incompatibility('FIELD_SCALAR_KIND_CHANGED', `The type of the field '${nf.name}' at path '${path}' changed from ${of.type} to ${nf.type}`, nf.name));
      else if ((nk === 'message' || nk === 'enum') && bare(nf.resolvedType!.fullName) !== bare(of.resolvedType!.fullName))
        out.push(incompatibility('FIELD_NAMED_TYPE_CHANGED', `The type of the field '${nf.name}' at path '${path}' changed from ${bare(of.resolvedType!.fullName)} to ${bare(nf.resolvedType!.fullName)}`, nf.name));
      if (nf.repeated !== of.repeated && nk !== 'map') out.push(incompatibility('FIELD_LABEL_CHANGED', `The field '${nf.name}' at path '${path}' changed between repeated and singular`, nf.name));
      if (of.required && !nf.required) out.push(incompatibility('REQUIRED_FIELD_REMOVED', `The field '${nf.name}' at path '${path}' is no longer required`, nf.name));
      if (nf.required && !of.required) out.push(incompatibility('REQUIRED_FIELD_ADDED', `The field '${nf.name}' at path '${path}' became required`, nf.name));
      const newOneof = nf.partOf && !isSyntheticOneof(nf.partOf) ? nf.partOf.name : undefined;
      const oldOneof = of.partOf && !isSyntheticOneof(of.partOf) ? of.partOf.name : undefined;
      if (newOneof && !oldOneof) {
        if (oldType.oneofs?.[newOneof]) out.push(incompatibility('FIELD_MOVED_TO_EXISTING_ONEOF', `The field '${nf.name}' at path '${path}' moved into the existing oneof '${newOneof}'`, nf.name));
        else movedInto.set(newOneof, (movedInto.get(newOneof) ?? 0) + 1);
      }
    }
    for (const [oneof, n] of movedInto)
      if (n > 1) out.push(incompatibility('MULTIPLE_FIELDS_MOVED_TO_ONEOF', `${n} existing fields of '${name}' moved into the new oneof '${oneof}'`, oneof));
    for (const of of oldType.fieldsArray)
      if (of.required && !newType.fieldsById[of.id]) out.push(incompatibility('REQUIRED_FIELD_REMOVED', `The required field '${of.name}' at path '#/${name}/${of.id}' was removed in the new schema`, of.name));
  }
  return out;
}

const keyType = (f: protobuf.Field) => (f as unknown as protobuf.MapField).keyType;

function sameValueType(a: protobuf.Field, b: protobuf.Field): boolean {
  const ak = fieldKindOfValue(a);
  const bk = fieldKindOfValue(b);
  if (ak !== bk) return false;
  return ak === 'scalar' ? wireCompatible(a.type, b.type) : bare(a.resolvedType!.fullName) === bare(b.resolvedType!.fullName);
}
const fieldKindOfValue = (f: protobuf.Field) => (f.resolvedType instanceof protobuf.Type ? 'message' : f.resolvedType instanceof protobuf.Enum ? 'enum' : 'scalar');

/** proto3 `optional` fields live in a oneof protobufjs names `_field`: not a real oneof. */
function isSyntheticOneof(o: protobuf.OneOf): boolean {
  return o.fieldsArray.length === 1 && o.name === `_${o.fieldsArray[0].name}`;
}

export const protobufFormat: SchemaFormat<ProtobufSchema> = {
  parse: parseProtobuf,
  // reader = the schema that reads; for BACKWARD that is the new one. The rules are symmetric.
  incompatibilities: (reader, writer) => protobufIncompatibilities(reader, writer),
};
